import type { FluxoEvent, FluxoEventListener } from '../../shared/api';

/**
 * Collects events and delivers them in one batch per tick: a chatty step (thousands of log lines)
 * becomes a few messages instead of one IPC round trip and one re-render per line.
 */
export class EventHub {
  private listeners = new Set<FluxoEventListener>();
  private pending: FluxoEvent[] = [];
  private scheduled = false;

  emit(event: FluxoEvent): void {
    this.pending.push(event);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  subscribe(listener: FluxoEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = coalesceLogs(this.pending);
    this.pending = [];
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch {
        // A broken listener (a closed window, a dropped socket) must not stop the others.
      }
    }
  }
}

/** Merges consecutive log chunks of the same step so a batch carries one string per step. */
function coalesceLogs(events: FluxoEvent[]): FluxoEvent[] {
  const out: FluxoEvent[] = [];
  for (const e of events) {
    const prev = out[out.length - 1];
    if (e.type === 'run.logAppended' && prev?.type === 'run.logAppended' && prev.runId === e.runId && prev.stepId === e.stepId) {
      out[out.length - 1] = { ...prev, text: prev.text + e.text };
    } else out.push(e);
  }
  return out;
}
