import { create } from 'zustand';

const STORAGE_KEY = 'fluxo.tour';

/** The tour's steps: what it points at, in order (selectors tried in turn, the first shown wins). */
export const TOUR_STEPS = [
  { id: 'palette', targets: ['[data-tour="palette"]', 'aside.palette', '[aria-label="Palette"]'] },
  { id: 'canvas', targets: ['[data-tour="canvas"]', 'section.canvas', '[aria-label="Canvas"]'] },
  { id: 'inspector', targets: ['[data-tour="inspector"]', 'aside.inspector', '[aria-label="Inspector"]'] },
  { id: 'run', targets: ['[data-tour="run"]', '.toolbar-run', '.toolbar-run button.primary'] },
] as const;
export type TourStepId = (typeof TOUR_STEPS)[number]['id'];

export type TourOutcome = 'done' | 'skipped';

/** Whether this person already finished or skipped the tour (remembered per profile). */
export function tourOutcome(): TourOutcome | null {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    return v === 'done' || v === 'skipped' ? v : null;
  } catch {
    return null;
  }
}

function remember(outcome: TourOutcome): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, outcome);
  } catch {
    // Not remembered: the invitation shows again next time, which is harmless.
  }
}

interface TourState {
  /** Index into TOUR_STEPS while the tour is shown, null otherwise. */
  step: number | null;
  /** Finished or skipped, now or in an earlier session. */
  outcome: TourOutcome | null;
  start(): void;
  next(): void;
  back(): void;
  skip(): void;
}

export const useTour = create<TourState>()((set, get) => ({
  step: null,
  outcome: tourOutcome(),
  start() {
    set({ step: 0 });
  },
  next() {
    const { step } = get();
    if (step === null) return;
    if (step + 1 < TOUR_STEPS.length) {
      set({ step: step + 1 });
      return;
    }
    remember('done');
    set({ step: null, outcome: 'done' });
  },
  back() {
    const { step } = get();
    if (step !== null && step > 0) set({ step: step - 1 });
  },
  skip() {
    remember('skipped');
    set({ step: null, outcome: 'skipped' });
  },
}));
