import { createStore } from 'zustand/vanilla';
import type { FluxoEvent, PreflightReport, RunFile, RunRecord, StepRecord, TransferView } from '../../shared/api';
import { t } from '../i18n';

/** A run file loaded for display (metrics, figures, the report). */
export type LoadedFile = { state: 'loading' } | { state: 'ok'; file: RunFile } | { state: 'error'; message: string };

/** The pre-flight check shown when Run is pressed, before anything starts. */
export type Preflight = { state: 'loading'; docKey: string } | { state: 'ready'; docKey: string; report: PreflightReport } | { state: 'error'; docKey: string; message: string; hint: string | null };

/** A past run open read-only, and what to go back to. */
export interface PastRunView {
  runId: string;
  /** The session as it was before (the current pipeline's last run), restored on the way back. */
  previous: { run: RunRecord | null; docKey: string | null };
}

export interface SessionState {
  /** The open pipeline (document store key) the run belongs to; step states show only there. */
  docKey: string | null;
  run: RunRecord | null;
  /** Latest record of each step, by step id. */
  steps: Record<string, StepRecord>;
  /** Log text of each step, by step id (the tail, when a step is very chatty). */
  logs: Record<string, string>;
  /** True between pressing Run and the backend's answer. */
  starting: boolean;
  files: Record<string, LoadedFile>;
  /** Latest upload and download of the current run (cluster runs), by direction. */
  transfers: Partial<Record<TransferView['direction'], TransferView>>;
  preflight: Preflight | null;
  pastRun: PastRunView | null;

  beginStart(docKey: string): void;
  startFailed(): void;
  setRun(run: RunRecord, docKey: string): void;
  applyEvents(batch: readonly FluxoEvent[]): void;
  /** A fresh record fetched after a reconnect (events may have been missed); logs are kept. */
  refreshRun(run: RunRecord): void;
  setFile(runId: string, path: string, file: LoadedFile): void;
  clear(): void;
  setPreflight(preflight: Preflight | null): void;
  /** Shows a past run (its record drives the step states, results and logs) until closePastRun. */
  showPastRun(run: RunRecord, docKey: string): void;
  /** Back to the run that was shown before; returns it. */
  closePastRun(): PastRunView['previous'] | null;
}

/** Keeps the UI responsive with chatty steps; the full log stays in the run folder. */
export const MAX_LOG_CHARS = 400_000;
/** Events of a run we do not know yet (they can overtake the answer to runs.start). */
const MAX_EARLY_EVENTS = 2000;

export function fileKey(runId: string, path: string): string {
  return `${runId}\u0000${path}`;
}

function appendLog(current: string | undefined, text: string): string {
  const next = (current ?? '') + text;
  if (next.length <= MAX_LOG_CHARS) return next;
  const cut = next.slice(next.length - MAX_LOG_CHARS);
  const nl = cut.indexOf('\n');
  return `${t('run:log.earlierLines')}\n${nl >= 0 ? cut.slice(nl + 1) : cut}`;
}

function stepsOf(run: RunRecord): Record<string, StepRecord> {
  return Object.fromEntries(run.steps.map((s) => [s.id, s]));
}

/**
 * Run state fed by backend events. Separate from the document store on purpose: a status change
 * or a log line must never touch the document, its dirty flag or its undo history.
 */
export function createSessionStore() {
  let early: FluxoEvent[] = [];

  return createStore<SessionState>()((set, get) => {
    const apply = (batch: readonly FluxoEvent[]) => {
      const { run } = get();
      if (!run) return;
      let steps = get().steps;
      let logs = get().logs;
      let transfers = get().transfers;
      let record: RunRecord = run;
      for (const e of batch) {
        if (e.type === 'ssh.promptRequested' || e.type === 'ssh.promptClosed') continue;
        const runId = e.type === 'run.started' || e.type === 'run.finished' ? e.run.id : e.runId;
        if (runId !== run.id) continue;
        switch (e.type) {
          case 'run.started':
            record = { ...e.run, status: record.status === 'running' ? e.run.status : record.status };
            break;
          case 'run.stepChanged':
            steps = { ...steps, [e.step.id]: e.step };
            record = { ...record, steps: record.steps.map((s) => (s.id === e.step.id ? e.step : s)) };
            break;
          case 'run.logAppended':
            logs = { ...logs, [e.stepId]: appendLog(logs[e.stepId], e.text) };
            break;
          case 'run.transfer':
            transfers = { ...transfers, [e.transfer.direction]: e.transfer };
            break;
          case 'run.remoteChanged':
            record = { ...record, remote: e.remote };
            break;
          case 'run.finished':
            record = e.run;
            steps = stepsOf(e.run);
            break;
        }
      }
      if (record !== run || steps !== get().steps || logs !== get().logs || transfers !== get().transfers) set({ run: record, steps, logs, transfers });
    };

    return {
      docKey: null,
      run: null,
      steps: {},
      logs: {},
      starting: false,
      files: {},
      transfers: {},
      preflight: null,
      pastRun: null,

      beginStart(docKey) {
        set({ starting: true, docKey });
      },
      startFailed() {
        set({ starting: false });
      },
      setRun(run, docKey) {
        set({ run, docKey, starting: false, steps: stepsOf(run), logs: {}, files: {}, transfers: {}, preflight: null });
        const mine = early.filter((e) => e.type !== 'ssh.promptRequested' && e.type !== 'ssh.promptClosed' && (e.type === 'run.started' || e.type === 'run.finished' ? e.run.id : e.runId) === run.id);
        early = [];
        if (mine.length) apply(mine);
      },
      applyEvents(batch) {
        const { run, starting } = get();
        if (!run || starting) {
          early = [...early, ...batch].slice(-MAX_EARLY_EVENTS);
          if (!run) return;
        }
        apply(batch);
      },
      refreshRun(next) {
        if (get().run?.id !== next.id) return;
        set({ run: next, steps: stepsOf(next) });
      },
      setFile(runId, path, file) {
        set({ files: { ...get().files, [fileKey(runId, path)]: file } });
      },
      clear() {
        early = [];
        set({ docKey: null, run: null, steps: {}, logs: {}, starting: false, files: {}, transfers: {}, preflight: null, pastRun: null });
      },
      setPreflight(preflight) {
        set({ preflight });
      },
      showPastRun(past, docKey) {
        const current = get();
        // INVARIANT: a running run is never hidden behind a past one (the UI does not offer it).
        if (current.starting || current.run?.status === 'running') return;
        const previous = current.pastRun?.previous ?? { run: current.run, docKey: current.docKey };
        set({ run: past, docKey, steps: stepsOf(past), logs: {}, transfers: {}, preflight: null, pastRun: { runId: past.id, previous } });
      },
      closePastRun() {
        const view = get().pastRun;
        if (!view) return null;
        const { run, docKey } = view.previous;
        set({ run, docKey, steps: run ? stepsOf(run) : {}, logs: {}, transfers: {}, pastRun: null });
        return view.previous;
      },
    };
  });
}

export type SessionStore = ReturnType<typeof createSessionStore>;

/** The window's one session: runs outlive switching between pipelines. */
export const sessionStore = createSessionStore();
