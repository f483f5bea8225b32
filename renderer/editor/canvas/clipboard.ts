import { z } from 'zod';
import { zConnection, zNote, zStep } from '../../../shared/document';
import type { Fragment, Position, Selection } from '../../state/documentStore';
import type { PipelineDocument } from '../../../shared/document';

/** Marks clipboard text as a Fluxo fragment, so foreign text is told apart and ignored. */
const KIND = 'fluxo-fragment';
const zFragmentText = z.object({
  kind: z.literal(KIND),
  version: z.literal(1),
  steps: z.array(zStep).max(5000),
  connections: z.array(zConnection).max(20000),
  notes: z.array(zNote).max(2000),
});

/** The selected steps, every connection among them and the selected notes. */
export function copyFragment(doc: PipelineDocument, selection: Pick<Selection, 'steps' | 'notes'>): Fragment | null {
  const ids = new Set(selection.steps);
  const noteIds = new Set(selection.notes);
  const steps = doc.steps.filter((s) => ids.has(s.id));
  const notes = doc.notes.filter((n) => noteIds.has(n.id));
  if (!steps.length && !notes.length) return null;
  const connections = doc.connections.filter((c) => ids.has(c.from.step) && ids.has(c.to.step));
  return structuredClone({ steps, connections, notes });
}

export function fragmentToText(fragment: Fragment): string {
  return JSON.stringify({ kind: KIND, version: 1, ...fragment });
}

/** A fragment from clipboard text, or null for anything else (text from another program). */
export function fragmentFromText(text: string): Fragment | null {
  if (!text || text.length > 5_000_000) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = zFragmentText.safeParse(json);
  if (!parsed.success) return null;
  const { steps, connections, notes } = parsed.data;
  return { steps, connections, notes };
}

/** Top-left corner of what the fragment holds. */
export function fragmentOrigin(fragment: Fragment): Position {
  const points = [...fragment.steps.map((s) => s.position), ...fragment.notes.map((n) => n.position)];
  return { x: Math.min(...points.map((p) => p.x)), y: Math.min(...points.map((p) => p.y)) };
}

/**
 * The app's own clipboard: used whenever the system clipboard cannot be read or written (a browser
 * that denies the permission), so copy and paste always work inside Fluxo.
 */
let inApp: string | null = null;
/** The last copy could not reach the system clipboard: what is there is older than the app's own. */
let systemStale = false;

export async function writeClipboard(fragment: Fragment): Promise<void> {
  const text = fragmentToText(fragment);
  inApp = text;
  systemStale = true;
  try {
    if (!navigator.clipboard) return;
    await navigator.clipboard.writeText(text);
    systemStale = false;
  } catch {
    // Denied or unavailable: the in-app copy is enough.
  }
}

/** What to paste: the system clipboard when readable, else the app's own. Null when nothing Fluxo's is there. */
export async function readClipboard(): Promise<Fragment | null> {
  if (systemStale) return inApp ? fragmentFromText(inApp) : null;
  let text: string | null = null;
  try {
    text = (await navigator.clipboard?.readText()) ?? null;
  } catch {
    text = null;
  }
  if (text !== null && text !== '') return fragmentFromText(text);
  return inApp ? fragmentFromText(inApp) : null;
}

/** For tests: forget the in-app clipboard. */
export function resetInAppClipboard(): void {
  inApp = null;
  systemStale = false;
}
