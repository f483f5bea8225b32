/**
 * One SlurmMonitor per cluster, shared by every run on it that this process watches: a workshop
 * of thirty runs on one cluster still costs one `squeue` per cycle, not thirty. Updates are
 * routed to the run whose job they concern; a change of contact concerns every run there.
 */
import type { JobUpdate, SlurmMonitorOptions, TrackedJob } from './monitor';
import { SlurmMonitor } from './monitor';

/** What a cluster run needs of the monitor (RemoteExecution's view of it). */
export interface ClusterMonitor {
  track(job: TrackedJob): void;
  untrack(key: string): void;
  /** scancel, then watch until each is final (or a timeout). */
  cancel(keys: string[]): Promise<unknown>;
  /** Routes this run's updates and the cluster's contact changes to it; returns the unsubscribe. */
  subscribe(runId: string, onUpdate: (updates: JobUpdate[]) => void, onContact: (ok: boolean, reason: string | null) => void): () => void;
}

interface Subscriber {
  onUpdate: (updates: JobUpdate[]) => void;
  onContact: (ok: boolean, reason: string | null) => void;
}

export class SharedMonitor implements ClusterMonitor {
  private readonly monitor: SlurmMonitor;
  private readonly runs = new Map<string, Subscriber>();
  /** The last contact change, so a run that subscribes later learns the cluster does not answer. */
  private contact: { ok: boolean; reason: string | null } | null = null;

  constructor(options: Omit<SlurmMonitorOptions, 'onUpdate' | 'onContact'>) {
    this.monitor = new SlurmMonitor({
      ...options,
      onUpdate: (updates) => {
        const byRun = new Map<string, JobUpdate[]>();
        for (const u of updates) byRun.set(u.runId, [...(byRun.get(u.runId) ?? []), u]);
        for (const [runId, list] of byRun) this.runs.get(runId)?.onUpdate(list);
      },
      onContact: (ok, reason) => {
        this.contact = { ok, reason };
        for (const r of this.runs.values()) r.onContact(ok, reason);
      },
    });
  }

  track(job: TrackedJob): void {
    this.monitor.track(job);
  }

  untrack(key: string): void {
    this.monitor.untrack(key);
  }

  /** One cycle now (a "refresh" button); calls during a cycle share the next one. */
  pollNow(): Promise<void> {
    return this.monitor.pollNow();
  }

  cancel(keys: string[]): Promise<unknown> {
    return this.monitor.cancel(keys);
  }

  subscribe(runId: string, onUpdate: (updates: JobUpdate[]) => void, onContact: (ok: boolean, reason: string | null) => void): () => void {
    this.runs.set(runId, { onUpdate, onContact });
    if (this.contact && !this.contact.ok) onContact(false, this.contact.reason);
    return () => {
      this.runs.delete(runId);
    };
  }

  /** Every run that is watched here; when none is left the owner may drop this monitor. */
  get watching(): number {
    return this.runs.size;
  }

  stop(): void {
    this.monitor.stop();
  }
}
