import { DOCUMENT_FORMAT, DOCUMENT_VERSION } from './schema';

/**
 * A migration takes a raw document of version N and returns one of version N + 1.
 * Migrations work on raw JSON (not on zod types) because old shapes are not typed any more.
 * INVARIANT: a migration never drops user content it cannot map; it keeps it in a note instead.
 */
export type Migration = (raw: Record<string, unknown>) => Record<string, unknown>;

/** Keyed by the version a migration starts from. */
export const migrations: Readonly<Record<number, Migration>> = {
  // Version 2 added optional per-step `resources` and `sweep`; a version 1 file is already valid.
  1: (raw) => raw,
  // Version 3 added optional note size and colour and the instructor's `lock`; a version 2 file is
  // already valid. The number still changes so that an older Fluxo refuses a locked file instead
  // of silently dropping the lock.
  2: (raw) => raw,
};

export type MigrationOutcome =
  | { ok: true; raw: Record<string, unknown>; from: number }
  | { ok: false; message: string; hint: string };

export function migrate(
  input: unknown,
  table: Readonly<Record<number, Migration>> = migrations,
  target: number = DOCUMENT_VERSION,
): MigrationOutcome {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, message: 'the file does not hold a JSON object', hint: 'Open a file saved by Fluxo (.fluxo).' };
  }
  let raw = input as Record<string, unknown>;
  if (raw.format !== DOCUMENT_FORMAT) {
    return {
      ok: false,
      message: `the file is not a Fluxo pipeline (its "format" is ${JSON.stringify(raw.format ?? null)}, expected "${DOCUMENT_FORMAT}")`,
      hint: 'Open a file saved by Fluxo (.fluxo).',
    };
  }
  const from = raw.version;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) {
    return { ok: false, message: 'the file has no valid "version" number', hint: 'Set "version": 1 if the file was written by hand.' };
  }
  if (from > target) {
    return {
      ok: false,
      message: `the file was saved by a newer Fluxo (document version ${from}; this Fluxo reads up to ${target})`,
      hint: 'Update Fluxo to open this file.',
    };
  }
  for (let v = from; v < target; v++) {
    const step = table[v];
    if (!step) {
      return { ok: false, message: `no migration from document version ${v}`, hint: 'This is a Fluxo bug; please report it with the file.' };
    }
    raw = { ...step(raw), version: v + 1 };
  }
  return { ok: true, raw, from };
}
