import { parse as parseYaml } from 'yaml';
import type { TargetProfile } from './schema';
import { checkProfile, zTargetProfile } from './schema';

/**
 * Profiles come from two folders: the ones shipped with Fluxo and the user's own
 * (<FLUXO_HOME>/targets). A user profile with the id of a shipped one replaces it, so a site's
 * facts can be corrected without waiting for a release. This module is the pure part: text in,
 * profiles and problems out; electron/backend/resources.ts reads the folders.
 */

export type ProfileSource = 'shipped' | 'user';

/** One profile file's text, as read from disk. */
export interface ProfileText {
  /** Where it was read from (a full path from the backend), quoted in messages. */
  file: string;
  source: ProfileSource;
  text: string;
}

/** A profile that is offered, with where it came from. Kept out of the profile schema on purpose. */
export interface ListedTarget {
  profile: TargetProfile;
  source: ProfileSource;
  file: string;
  /** For a user profile that replaces a shipped one: the shipped file it replaces. */
  overrides: string | null;
}

/** A file that could not be used, or a part of it that is wrong. */
export interface ProfileProblem {
  file: string;
  source: ProfileSource;
  /** Dotted path with indexes ("partitions[2].maxGpus"); "" for the whole file. */
  field: string;
  message: string;
}

export type ParsedProfile = { ok: true; profile: TargetProfile } | { ok: false; problems: ProfileProblem[]; id: string | null };

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out;
}

/** The id a broken file meant to have, so a message can say which shipped profile stays in use. */
function intendedId(raw: unknown): string | null {
  if (raw && typeof raw === 'object' && 'id' in raw && typeof raw.id === 'string') return raw.id;
  return null;
}

/** Parses and checks one profile: YAML, then the schema, then the cross-field checks. Never throws. */
export function parseProfile(input: ProfileText): ParsedProfile {
  const problem = (field: string, message: string): ProfileProblem => ({ file: input.file, source: input.source, field, message });
  let raw: unknown;
  try {
    raw = parseYaml(input.text);
  } catch (e) {
    // The yaml library's message names line and column on its first line; the rest is a code frame.
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
    return { ok: false, id: null, problems: [problem('', `not valid YAML: ${first}`)] };
  }
  if (raw === null || raw === undefined) return { ok: false, id: null, problems: [problem('', 'the file is empty; a profile needs at least id, title and kind')] };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, id: null, problems: [problem('', 'a profile must be a YAML mapping (key: value lines), not a list or a single value')] };
  const parsed = zTargetProfile.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, id: intendedId(raw), problems: parsed.error.issues.map((i) => problem(fieldPath(i.path), i.message)) };
  }
  const crossField = checkProfile(parsed.data);
  if (crossField.length > 0) return { ok: false, id: parsed.data.id, problems: crossField.map((p) => problem(p.field, p.message)) };
  return { ok: true, profile: parsed.data };
}

export interface MergedProfiles {
  /** Shipped profiles in file order (with user replacements in their place), then the user's own. */
  targets: ListedTarget[];
  problems: ProfileProblem[];
}

/**
 * Merges shipped and user profiles. Invalid files are reported and skipped, never hiding the
 * valid ones; a broken user file that meant to replace a shipped profile leaves the shipped one
 * in use and says so.
 */
export function mergeProfiles(files: ProfileText[]): MergedProfiles {
  const problems: ProfileProblem[] = [];
  const shipped = new Map<string, ListedTarget>();
  const user = new Map<string, ListedTarget>();
  const brokenUser: Array<{ id: string; file: string }> = [];

  for (const source of ['shipped', 'user'] as const) {
    const seen = source === 'shipped' ? shipped : user;
    for (const f of files.filter((x) => x.source === source)) {
      const parsed = parseProfile(f);
      if (!parsed.ok) {
        problems.push(...parsed.problems);
        if (source === 'user' && parsed.id) brokenUser.push({ id: parsed.id, file: f.file });
        continue;
      }
      const earlier = seen.get(parsed.profile.id);
      if (earlier) {
        problems.push({ file: f.file, source, field: 'id', message: `id "${parsed.profile.id}" is already used by ${earlier.file}; this file is ignored. Give it another id.` });
        continue;
      }
      seen.set(parsed.profile.id, { profile: parsed.profile, source, file: f.file, overrides: null });
    }
  }

  for (const b of brokenUser) {
    const kept = shipped.get(b.id);
    if (kept && !user.has(b.id)) {
      problems.push({ file: b.file, source: 'user', field: '', message: `this file cannot be used, so the shipped profile "${b.id}" (${kept.file}) is used instead` });
    }
  }

  const targets: ListedTarget[] = [];
  for (const [id, s] of shipped) {
    const u = user.get(id);
    targets.push(u ? { ...u, overrides: s.file } : s);
  }
  for (const [id, u] of user) if (!shipped.has(id)) targets.push(u);
  return { targets, problems };
}

/** One line per problem: "file (field): message". */
export function formatProfileProblem(p: ProfileProblem): string {
  return `${p.file}${p.field ? ` (${p.field})` : ''}: ${p.message}`;
}
