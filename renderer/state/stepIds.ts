import { STEP_ID_PATTERN } from '../../shared/document';

/**
 * Leading words of block ids that qualify rather than name the thing a step makes or does
 * ("clinical-dataset" is a dataset, "load-csv" gives a csv). Step ids only need to be short and
 * readable: they name folders in run bundles and handles in tests, and carry no behaviour.
 */
const QUALIFIERS = new Set(['clinical', 'custom', 'simple', 'basic', 'generic', 'my', 'new', 'load', 'read', 'import', 'open', 'run', 'make']);
const MAX_BASE = 40;

/** The short id a step of this block gets: "split-train-test" → "split", "clinical-dataset" → "dataset". */
export function stepIdBase(blockId: string): string {
  const words = blockId.toLowerCase().split(/[^a-z0-9_]+/).filter(Boolean);
  const word = words.find((w, i) => !QUALIFIERS.has(w) || i === words.length - 1) ?? 'step';
  let base = word.slice(0, MAX_BASE);
  if (!/^[a-z]/.test(base)) base = `s${base}`.slice(0, MAX_BASE);
  return STEP_ID_PATTERN.test(base) ? base : 'step';
}

/** A fresh id for a new step: the base, then base-2, base-3, ... skipping ids already used. */
export function nextStepId(blockId: string, taken: ReadonlySet<string>): string {
  const base = stepIdBase(blockId);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${base}-${n}`;
    if (!taken.has(id)) return id;
  }
}
