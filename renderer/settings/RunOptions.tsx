import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RunOptionsSetting } from '../../shared/api';
import { DialogFrame } from '../components/DialogFrame';
import { NO_RUN_OPTIONS, useAppStore } from '../state/appStore';
import { isCluster } from './profileForm';
import { saveRunOptions } from './settingsStore';
import '../styles/targets.css';

const SLURM = /^$|^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** Account, QoS and reservation inputs, shared by the profile dialog and the run-options dialog. */
export function RunOptionsFields({ value, onChange, accountExample, knownQos }: { value: RunOptionsSetting; onChange(v: RunOptionsSetting): void; accountExample: string; knownQos: string[] }) {
  const { t } = useTranslation('targets');
  const ids = { account: useId(), qos: useId(), reservation: useId(), qosList: useId() };
  const field = (name: keyof RunOptionsSetting, label: string, help: string, list?: string) => {
    const bad = !SLURM.test(value[name]);
    return (
      <div className="field">
        <label htmlFor={ids[name]}>
          {label} <span className="optional">{t('profile.optional')}</span>
        </label>
        <input
          id={ids[name]}
          type="text"
          value={value[name]}
          maxLength={64}
          spellCheck={false}
          list={list}
          aria-invalid={bad}
          aria-describedby={`${ids[name]}-help`}
          onChange={(e) => onChange({ ...value, [name]: e.target.value })}
          data-field={`runOptions.${name}`}
        />
        <p id={`${ids[name]}-help`} className={bad ? 'field-error' : 'field-help'}>
          {bad ? t('errors.slurmName') : help}
        </p>
      </div>
    );
  };
  return (
    <>
      {field('account', t('profile.account'), accountExample ? t('profile.accountHelp', { example: accountExample }) : t('profile.accountHelpNone'))}
      {field('qos', t('profile.qos'), t('profile.qosHelp'), knownQos.length > 0 ? ids.qosList : undefined)}
      {knownQos.length > 0 && (
        <datalist id={ids.qosList}>
          {knownQos.map((q) => (
            <option key={q} value={q} />
          ))}
        </datalist>
      )}
      {field('reservation', t('profile.reservation'), t('profile.reservationHelp'))}
    </>
  );
}

export function runOptionsValid(v: RunOptionsSetting): boolean {
  return SLURM.test(v.account) && SLURM.test(v.qos) && SLURM.test(v.reservation);
}

/** Edits the Slurm choices of one cluster target and saves them in settings.json. */
export function RunOptionsDialog({ targetId, onClose }: { targetId: string; onClose(): void }) {
  const { t } = useTranslation('targets');
  const target = useAppStore((s) => s.targets.find((x) => x.id === targetId));
  const saved = useAppStore((s) => s.runOptions[targetId] ?? NO_RUN_OPTIONS);
  const [value, setValue] = useState<RunOptionsSetting>({ account: saved.account, qos: saved.qos, reservation: saved.reservation });
  const [busy, setBusy] = useState(false);
  const leadId = useId();
  if (!target || !isCluster(target)) return null;
  const trimmed = { account: value.account.trim(), qos: value.qos.trim(), reservation: value.reservation.trim() };
  return (
    <DialogFrame title={t('runOptions.title', { title: target.title })} describedBy={leadId} onEscape={onClose} className="targets-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!runOptionsValid(trimmed)) return;
          setBusy(true);
          void saveRunOptions(targetId, trimmed).then((ok) => {
            setBusy(false);
            if (ok) onClose();
          });
        }}
      >
        <p id={leadId} className="dialog-message">
          {t('runOptions.lead', { title: target.title })}
        </p>
        <RunOptionsFields value={value} onChange={setValue} accountExample={target.account.example} knownQos={target.qos.known} />
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onClose}>
            {t('runOptions.cancel')}
          </button>
          <button type="submit" className="button primary" disabled={busy || !runOptionsValid(trimmed)}>
            {t('runOptions.save')}
          </button>
        </div>
      </form>
    </DialogFrame>
  );
}

/** "ehpc123 · short · course-2026", or "defaults" when nothing is chosen. */
export function runOptionsSummary(o: RunOptionsSetting | undefined, none: string): string {
  const parts = [o?.account, o?.qos, o?.reservation].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(' · ') : none;
}

/** Beside "Run on": the Slurm choices of the chosen cluster, one click from changing them. */
export function RunOptionsControl({ disabled = false }: { disabled?: boolean }) {
  const { t } = useTranslation('targets');
  const targetId = useAppStore((s) => s.targetId);
  const target = useAppStore((s) => s.targets.find((x) => x.id === s.targetId));
  const options = useAppStore((s) => s.runOptions[s.targetId]);
  const [open, setOpen] = useState(false);
  if (!target || !isCluster(target)) return null;
  const summary = runOptionsSummary(options, t('runOptions.none'));
  return (
    <>
      <button type="button" className="button small targets-run-options" disabled={disabled} onClick={() => setOpen(true)} aria-label={`${t('runOptions.buttonNamed', { title: target.title })}: ${summary}`} title={t('runOptions.buttonNamed', { title: target.title })}>
        <span className="targets-run-options-label">{t('runOptions.button')}:</span> {summary}
      </button>
      {open && <RunOptionsDialog targetId={targetId} onClose={() => setOpen(false)} />}
    </>
  );
}
