import { useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BlockDefinition } from '../../../shared/catalog';
import { checkTarget, resolveResources } from '../../../shared/compiler';
import type { PipelineDocument, Step, StepResources } from '../../../shared/document';
import type { Problem } from '../../../shared/validate';
import type { TargetProfile } from '../../../shared/targets';
import { findPartition } from '../../../shared/targets';
import { NO_RUN_OPTIONS, useAppStore } from '../../state/appStore';
import { useDocumentStoreApi } from '../../state/hooks';
import { parseTypedNumber } from '../paramWidgets';
import type { FieldLock } from './ParamField';
import { LockIcon } from './LockIcon';

type T = (key: string, options?: Record<string, unknown>) => string;
type Parsed = { ok: true; value: number | undefined } | { ok: false; message: string };
type ResourceKey = keyof StepResources;

/** "1:30" -> 90; "2" -> 120 (a plain number is hours, as people say "a 2-hour job"); "" -> undefined. */
export function parseDuration(text: string): number | null | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const hm = /^(\d{1,5}):([0-5]?\d)$/.exec(s);
  if (hm) return Number(hm[1]) * 60 + Number(hm[2]);
  const n = parseTypedNumber(s);
  return n === null || n < 0 ? null : Math.round(n * 60);
}

/** 90 -> "1:30". */
export function formatDuration(minutes: number): string {
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

/** 1440 -> "24 h", 90 -> "1:30 h". */
export function formatLimitTime(minutes: number): string {
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${formatDuration(minutes)} h`;
}

const gb = (mb: number) => Math.round((mb / 1024) * 100) / 100;

/** Memory in words with the unit a person expects: "512 MB", "15.63 GB". */
export function formatMemory(mb: number): string {
  return mb >= 1024 ? `${gb(mb)} GB` : `${mb} MB`;
}

/** The step's resource problems on the chosen target, as the compiler words them (shared/compiler). */
export function resourceProblems(doc: PipelineDocument, step: Step, blocks: readonly BlockDefinition[], target: TargetProfile, options = NO_RUN_OPTIONS): Problem[] {
  // This step alone: another step's problems are not this form's, and checking is cheaper.
  const alone: PipelineDocument = { ...doc, steps: [step], connections: [] };
  return checkTarget(alone, { blocks: blocks as BlockDefinition[] }, target, options).filter((p) => p.stepId === step.id && (p.field?.startsWith('resources.') ?? false));
}

interface DraftProps {
  id: string;
  field: ResourceKey;
  label: string;
  /** The stored override in the field's own text ("" when the block default applies). */
  text: string;
  placeholder: string;
  parse(text: string): Parsed;
  commit(value: number | undefined): void;
  disabled: boolean;
  describedBy: string[];
  warning: string | null;
  note?: string | null;
  suffix?: React.ReactNode;
}

/** A resource field: text kept as typed; the override changes only when the text is valid. */
function DraftField(p: DraftProps) {
  const [draft, setDraft] = useState(p.text);
  const [seen, setSeen] = useState(p.text);
  const [error, setError] = useState<string | null>(null);
  if (seen !== p.text) {
    setSeen(p.text);
    // Our own write comes back reformatted ("1:3" as "1:03"): keep the text as typed when it means the same.
    const mine = p.parse(draft);
    const theirs = p.parse(p.text);
    if (!(mine.ok && theirs.ok && mine.value === theirs.value)) {
      setDraft(p.text);
      setError(null);
    }
  }
  const ids = { error: `${p.id}-error`, warning: `${p.id}-warning`, note: `${p.id}-note` };
  const describedBy = [error ? ids.error : null, p.warning ? ids.warning : null, p.note ? ids.note : null, ...p.describedBy].filter(Boolean).join(' ');
  return (
    <div className={`field resource-field ${error ? 'invalid' : ''} ${p.warning ? 'over-limit' : ''}`}>
      <label htmlFor={p.id}>{p.label}</label>
      <span className="resource-input">
        <input
          id={p.id}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          data-field={`resources.${p.field}`}
          value={draft}
          placeholder={p.placeholder}
          disabled={p.disabled}
          aria-invalid={!!error}
          aria-describedby={describedBy || undefined}
          onChange={(e) => {
            const text = e.target.value;
            setDraft(text);
            const r = p.parse(text);
            if (!r.ok) return setError(r.message);
            setError(null);
            p.commit(r.value);
          }}
        />
        {p.suffix}
      </span>
      {error && (
        <p id={ids.error} className="field-error">
          {error}
        </p>
      )}
      {p.warning && (
        <p id={ids.warning} className="field-warning" role="status">
          <span aria-hidden="true">⚠ </span>
          {p.warning}
        </p>
      )}
      {p.note && (
        <p id={ids.note} className="field-hint">
          {p.note}
        </p>
      )}
    </div>
  );
}

function wholeNumber(t: T, label: string, min: number, max: number): (text: string) => Parsed {
  return (text) => {
    if (text.trim() === '') return { ok: true, value: undefined };
    const n = parseTypedNumber(text);
    if (n === null || !Number.isInteger(n)) return { ok: false, message: t('resources.wholeNumber', { label }) };
    if (n < min || n > max) return { ok: false, message: t('resources.between', { label, min, max }) };
    return { ok: true, value: n };
  };
}

/** Resources of one step on the chosen target: overrides of the block's defaults, with the target's limits. */
export function ResourcesSection({ step, block, target, blocks, lock }: { step: Step; block: BlockDefinition; target: TargetProfile | undefined; blocks: readonly BlockDefinition[]; lock: FieldLock }) {
  const disabled = lock !== 'none';
  const { t } = useTranslation('inspector');
  const store = useDocumentStoreApi();
  const cores = useAppStore((s) => s.host?.cores ?? null);
  const runOptions = useAppStore((s) => (target ? s.runOptions[target.id] : undefined));
  const base = useId();
  const limitsId = `${base}-limits`;
  const r = step.resources ?? {};
  const [memUnit, setMemUnit] = useState<'GB' | 'MB'>((r.memoryMb ?? block.resources.memoryMb) >= 1024 ? 'GB' : 'MB');
  const set = (patch: Partial<Record<ResourceKey, StepResources[ResourceKey] | undefined>>) => store.getState().setResources(step.id, patch);

  const problems = useMemo(() => (target ? resourceProblems(store.getState().doc, step, blocks, target, runOptions ?? NO_RUN_OPTIONS) : []), [store, step, blocks, target, runOptions]);
  const warningOf = (field: ResourceKey) => {
    const found = problems.filter((p) => p.field === `resources.${field}`).map((p) => p.message);
    return found.length ? found.join(' ') : null;
  };
  const resolved = target ? resolveResources(step, block, target) : null;
  const partition = target?.kind === 'slurm' && resolved?.partition ? findPartition(target, resolved.partition) : undefined;

  const unknown = t('resources.unknown');
  const limits =
    target?.kind === 'slurm'
      ? partition
        ? t('resources.partitionLimits', {
            partition: partition.title ? `${partition.name} (${partition.title})` : partition.name,
            cpus: partition.maxCpus ?? unknown,
            memory: partition.maxMemoryMb === null ? unknown : formatMemory(partition.maxMemoryMb),
            time: partition.maxTimeMinutes === null ? unknown : formatLimitTime(partition.maxTimeMinutes),
            gpus: partition.maxGpus ?? unknown,
          })
        : null
      : cores !== null
        ? t('resources.localCores', { count: cores })
        : null;

  const cpuWarning = warningOf('cpus') ?? (target?.kind === 'local' && cores !== null && (r.cpus ?? block.resources.cpus) > cores ? t('resources.moreThanCores', { count: cores }) : null);
  const raised = resolved?.cpusRaisedFrom != null && target?.kind === 'slurm' ? t('resources.cpusRaised', { cpus: resolved.cpus, gpus: resolved.gpus, perGpu: target.gpus?.cpusPerGpu ?? 0 }) : null;

  const memoryText = r.memoryMb === undefined ? '' : memUnit === 'GB' ? String(gb(r.memoryMb)) : String(r.memoryMb);
  const memoryDefault = memUnit === 'GB' ? String(gb(block.resources.memoryMb)) : String(block.resources.memoryMb);
  const parseMemory = (text: string): Parsed => {
    if (text.trim() === '') return { ok: true, value: undefined };
    const n = parseTypedNumber(text);
    if (n === null || n <= 0) return { ok: false, message: t('resources.memoryNumber') };
    const mb = Math.round(memUnit === 'GB' ? n * 1024 : n);
    if (mb < 64) return { ok: false, message: t('resources.memoryMin') };
    return { ok: true, value: mb };
  };
  const parseTime = (text: string): Parsed => {
    const m = parseDuration(text);
    if (m === null) return { ok: false, message: t('resources.timeFormat') };
    if (m !== undefined && m < 1) return { ok: false, message: t('resources.timeMin') };
    return { ok: true, value: m };
  };

  return (
    <section className="inspector-resources" aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`} className="inspector-section">
        {t('resources.title')}
      </h3>
      {limits && (
        <p id={limitsId} className="resources-limits">
          {limits}
        </p>
      )}
      <p className="field-hint">{t('resources.defaultsHint')}</p>
      <div className="resources-grid">
        <DraftField id={`${base}-cpus`} field="cpus" label={t('resources.cpus')} text={r.cpus === undefined ? '' : String(r.cpus)} placeholder={String(block.resources.cpus)} parse={wholeNumber(t, t('resources.cpus'), 1, 1024)} commit={(v) => set({ cpus: v })} disabled={disabled} describedBy={limits ? [limitsId] : []} warning={cpuWarning} note={raised} />
        <DraftField
          id={`${base}-memory`}
          field="memoryMb"
          label={t('resources.memory')}
          text={memoryText}
          placeholder={memoryDefault}
          parse={parseMemory}
          commit={(v) => set({ memoryMb: v })}
          disabled={disabled}
          describedBy={limits ? [limitsId] : []}
          warning={warningOf('memoryMb')}
          suffix={
            <select className="memory-unit" aria-label={t('resources.memoryUnit')} value={memUnit} disabled={disabled} onChange={(e) => setMemUnit(e.target.value as 'GB' | 'MB')}>
              <option value="GB">GB</option>
              <option value="MB">MB</option>
            </select>
          }
        />
        <DraftField id={`${base}-time`} field="timeMinutes" label={t('resources.time')} text={r.timeMinutes === undefined ? '' : formatDuration(r.timeMinutes)} placeholder={formatDuration(block.resources.timeMinutes)} parse={parseTime} commit={(v) => set({ timeMinutes: v })} disabled={disabled} describedBy={limits ? [limitsId] : []} warning={warningOf('timeMinutes')} note={t('resources.timeHint')} />
        <DraftField id={`${base}-gpus`} field="gpus" label={t('resources.gpus')} text={r.gpus === undefined ? '' : String(r.gpus)} placeholder={String(block.resources.gpus)} parse={wholeNumber(t, t('resources.gpus'), 0, 64)} commit={(v) => set({ gpus: v })} disabled={disabled} describedBy={limits ? [limitsId] : []} warning={warningOf('gpus')} />
      </div>
      {target?.kind === 'slurm' && (
        <div className="field">
          <label htmlFor={`${base}-partition`}>{t('resources.partition')}</label>
          <select
            id={`${base}-partition`}
            data-field="resources.partition"
            value={r.partition ?? ''}
            disabled={disabled}
            aria-describedby={warningOf('partition') ? `${base}-partition-warning` : undefined}
            onChange={(e) => set({ partition: e.target.value === '' ? undefined : e.target.value })}
          >
            <option value="">{t('resources.defaultPartition', { name: (resolved?.gpus ?? 0) > 0 ? (target.defaults.gpuPartition ?? target.defaults.cpuPartition) : target.defaults.cpuPartition })}</option>
            {r.partition !== undefined && !target.partitions.some((x) => x.name === r.partition) && <option value={r.partition}>{t('resources.unknownPartition', { name: r.partition })}</option>}
            {target.partitions.map((x) => (
              <option key={x.name} value={x.name}>
                {x.title ? `${x.name} — ${x.title}` : x.name}
              </option>
            ))}
          </select>
          {warningOf('partition') && (
            <p id={`${base}-partition-warning`} className="field-warning" role="status">
              <span aria-hidden="true">⚠ </span>
              {warningOf('partition')}
            </p>
          )}
        </div>
      )}
      {lock !== 'none' && (
        <p className="field-lock">
          <LockIcon /> 
          {lock === 'instructor' ? t('lock.instructor') : t('lock.pastRun')}
        </p>
      )}
    </section>
  );
}
