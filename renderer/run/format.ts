import type { RunRecord, StepRecord, TaskRecord } from '../../shared/api';
import { currentLanguage, t } from '../i18n';

/** 1536 -> "1.5 KB": decimal units, as file managers show them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return t('run:units.bytes', { count: bytes });
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toLocaleString(currentLanguage(), { maximumFractionDigits: v < 10 ? 1 : 0 })} ${units[i]}`;
}

/** Seconds -> "45 s", "3 min 5 s", "2 h 10 min". */
export function formatSeconds(total: number): string {
  const s = Math.max(0, Math.round(total));
  if (s < 60) return t('run:units.seconds', { s });
  if (s < 3600) return t('run:units.minutesSeconds', { m: Math.floor(s / 60), s: s % 60 });
  return t('run:units.hoursMinutes', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

/** Minutes of a time limit -> "45 min", "1 h 30 min", "2 h". */
export function formatMinutes(minutes: number): string {
  const m = Math.round(minutes);
  if (m < 60) return t('run:units.minutes', { m });
  return m % 60 === 0 ? t('run:units.hours', { h: m / 60 }) : t('run:units.hoursMinutes', { h: Math.floor(m / 60), m: m % 60 });
}

/** Memory as profiles and blocks state it (MB, 1024 to a GB): 4096 -> "4 GB", 512 -> "512 MB". */
export function formatMemoryMb(mb: number): string {
  if (mb < 1024) return `${mb} MB`;
  return `${(mb / 1024).toLocaleString(currentLanguage(), { maximumFractionDigits: 1 })} GB`;
}

export function formatHours(hours: number): string {
  return hours.toLocaleString(currentLanguage(), { maximumFractionDigits: hours < 10 ? 2 : 1 });
}

/** A time of day (and the date when not today), in the UI language. */
export function formatWhen(iso: string | null, now = new Date()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const sameDay = d.toDateString() === now.toDateString();
  const lang = currentLanguage();
  return sameDay
    ? d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : d.toLocaleString(lang, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** How long a step or run took, or has taken so far. */
export function elapsedSeconds(from: string | null, to: string | null, now = Date.now()): number | null {
  if (!from) return null;
  const end = to ? Date.parse(to) : now;
  return Math.max(0, (end - Date.parse(from)) / 1000);
}

/** A step's (or task's) state in words, with Slurm's queue reason when it is waiting in the queue. */
export function stateText(s: Pick<StepRecord | TaskRecord, 'state' | 'scheduler'>, cached = false): string {
  if (cached && s.state === 'completed') return t('run:state.cached');
  const pending = s.scheduler?.state === 'PENDING';
  if (s.state === 'waiting' && pending) {
    return s.scheduler?.reasonText ? t('run:state.queuedBecause', { reason: s.scheduler.reasonText }) : t('run:state.queued');
  }
  return t(`run:state.${s.state}`);
}

/** Where a run ran, for people: "ana@ft3.cesga.es" on a cluster, "This computer" here. */
export function whereText(run: Pick<RunRecord, 'remote' | 'targetId'>, targetTitle?: string): string {
  if (run.remote) return `${run.remote.user}@${run.remote.host}`;
  if (run.targetId === 'local') return t('run:where.local');
  return targetTitle ?? run.targetId;
}
