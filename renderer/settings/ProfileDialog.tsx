import { useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TargetEntry } from '../../shared/api';
import type { SlurmProfile } from '../../shared/targets/schema';
import { getApi } from '../api/client';
import { DialogFrame } from '../components/DialogFrame';
import { showError, useAppStore } from '../state/appStore';
import type { AuthKind, FormErrors, FormField, ProfileForm } from './profileForm';
import { AUTH_KINDS, emptyForm, formFromProfile, freeId, isCluster, profileFromForm, runOptionsOf, validateForm } from './profileForm';
import { RunOptionsFields } from './RunOptions';
import { refreshOverview, saveRunOptions } from './settingsStore';
import { t as tr } from '../i18n';
import '../styles/targets.css';

export type ProfileDialogMode = { kind: 'add' } | { kind: 'edit'; entry: TargetEntry } | { kind: 'copy'; entry: TargetEntry };

/** The order fields appear in, so the first mistake focused is the first one seen. */
const FIELD_ORDER: FormField[] = ['title', 'id', 'host', 'port', 'user', 'auth', 'identityFile', 'proxyJump', 'workRoot', 'defaultPartition', 'account', 'qos', 'reservation'];

const AUTH_LABEL: Record<AuthKind, string> = { agent: 'profile.authAgent', key: 'profile.authKey', 'keyboard-interactive': 'profile.authKeyboard', password: 'profile.authPassword' };

/** Adds a cluster (blank, or like a shipped one), edits one of the user's own, or copies a shipped one. */
export function ProfileDialog({ mode, entries, onClose }: { mode: ProfileDialogMode; entries: TargetEntry[]; onClose(): void }) {
  const { t } = useTranslation('targets');
  const runOptions = useAppStore((s) => s.runOptions);
  const clusters = entries.filter((e) => isCluster(e.profile));
  const ownIds = useMemo(() => new Set(entries.filter((e) => e.source === 'user').map((e) => e.profile.id)), [entries]);
  const allIds = useMemo(() => new Set(entries.map((e) => e.profile.id)), [entries]);
  const editingId = mode.kind === 'edit' ? mode.entry.profile.id : null;
  const taken = useMemo(() => new Set([...ownIds].filter((id) => id !== editingId)), [ownIds, editingId]);

  const [form, setForm] = useState<ProfileForm>(() => {
    if (mode.kind === 'edit' && isCluster(mode.entry.profile)) return formFromProfile(mode.entry.profile, runOptions[mode.entry.profile.id]);
    if (mode.kind === 'copy' && isCluster(mode.entry.profile)) {
      const p = mode.entry.profile;
      return formFromProfile(p, runOptions[p.id], { id: freeId(`${p.id}-mine`, allIds), title: tr('targets:profile.startLike', { title: p.title }), baseId: p.id });
    }
    return emptyForm();
  });
  const [touched, setTouched] = useState<Partial<Record<FormField, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const errors: FormErrors = validateForm(form, taken);
  const base = form.baseId ? (clusters.find((e) => e.profile.id === form.baseId)?.profile as SlurmProfile | undefined) ?? null : null;
  const ids = {
    start: useId(), id: useId(), title: useId(), host: useId(), port: useId(), user: useId(), identityFile: useId(), proxyJump: useId(), workRoot: useId(), partition: useId(), defaultPartition: useId(), auth: useId(),
  };

  const set = (patch: Partial<ProfileForm>) => setForm((f) => ({ ...f, ...patch }));
  const show = (f: FormField) => (submitted || touched[f]) && errors[f];

  const startFrom = (baseId: string) => {
    if (baseId === '') return setForm((f) => ({ ...emptyForm(), id: f.id, title: f.title }));
    const p = clusters.find((e) => e.profile.id === baseId)?.profile;
    if (!p || !isCluster(p)) return;
    setForm(formFromProfile(p, runOptions[p.id], { id: freeId(`${p.id}-mine`, allIds), title: tr('targets:profile.startLike', { title: p.title }), baseId: p.id }));
  };

  const text = (f: FormField & keyof typeof ids, label: string, help: string | null, extra: { optional?: boolean; mono?: boolean; inputMode?: 'numeric' } = {}) => {
    const id = ids[f];
    const error = show(f);
    return (
      <div className="field">
        <label htmlFor={id}>
          {label} {extra.optional && <span className="optional">{t('profile.optional')}</span>}
        </label>
        <input
          id={id}
          type="text"
          value={form[f] as string}
          spellCheck={false}
          inputMode={extra.inputMode}
          className={extra.mono ? 'targets-mono' : undefined}
          aria-invalid={error ? true : undefined}
          aria-describedby={help || error ? `${id}-help` : undefined}
          onChange={(e) => set({ [f]: e.target.value } as Partial<ProfileForm>)}
          onBlur={() => setTouched((x) => ({ ...x, [f]: true }))}
          data-field={`profile.${f}`}
        />
        {error ? (
          <p id={`${id}-help`} className="field-error">
            {t(error)}
          </p>
        ) : help ? (
          <p id={`${id}-help`} className="field-help">
            {help}
          </p>
        ) : null}
      </div>
    );
  };

  const submit = async () => {
    setSubmitted(true);
    if (Object.keys(errors).length > 0) {
      const first = FIELD_ORDER.find((f) => errors[f]);
      document.querySelector<HTMLElement>(`[data-field="profile.${first}"], [data-field="runOptions.${first}"]`)?.focus();
      return;
    }
    setBusy(true);
    const profile = profileFromForm(form, base);
    const r = await getApi().targets.save(profile, editingId);
    if (!r.ok) {
      setBusy(false);
      return showError(tr('targets:errors.saveFailed'), r.error);
    }
    await saveRunOptions(profile.id, runOptionsOf(form));
    await refreshOverview();
    setBusy(false);
    useAppStore.getState().toast({ kind: 'success', title: tr('targets:screen.saved', { title: profile.title }) });
    onClose();
  };

  const title = mode.kind === 'edit' ? t('profile.editTitle', { title: mode.entry.profile.title }) : t('profile.addTitle');
  const partitions = base?.partitions ?? [];
  return (
    <DialogFrame title={title} onEscape={onClose} className="targets-dialog targets-profile-dialog">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {mode.kind === 'add' && (
          <div className="field">
            <label htmlFor={ids.start}>{t('profile.startFrom')}</label>
            <select id={ids.start} value={form.baseId ?? ''} onChange={(e) => startFrom(e.target.value)} aria-describedby={`${ids.start}-help`}>
              <option value="">{t('profile.startBlank')}</option>
              {clusters
                .filter((e) => e.source === 'shipped')
                .map((e) => (
                  <option key={e.profile.id} value={e.profile.id}>
                    {t('profile.startLike', { title: e.profile.title })}
                  </option>
                ))}
            </select>
            <p id={`${ids.start}-help`} className="field-help">
              {t('profile.startHelp')}
            </p>
          </div>
        )}
        <div className="targets-grid">
          {text('title', t('profile.title'), null)}
          {text('id', t('profile.id'), t('profile.idHelp', { file: `${form.id || '…'}.yaml` }), { mono: true })}
        </div>

        <div className="targets-columns">
        <fieldset className="targets-fieldset">
          <legend>{t('profile.sectionLogin')}</legend>
          <div className="targets-grid targets-grid-host">
            {text('host', t('profile.host'), t('profile.hostHelp'), { mono: true })}
            {text('port', t('profile.port'), null, { inputMode: 'numeric' })}
          </div>
          {text('user', t('profile.user'), t('profile.userHelp'), { optional: true, mono: true })}
          <fieldset className="targets-auth" aria-describedby={`${ids.auth}-help`} aria-invalid={show('auth') ? true : undefined}>
            <legend>{t('profile.auth')}</legend>
            {AUTH_KINDS.map((a) => (
              <label key={a} className="checkbox-row targets-check">
                <input
                  type="checkbox"
                  checked={form.auth.includes(a)}
                  onChange={(e) => set({ auth: e.target.checked ? AUTH_KINDS.filter((k) => k === a || form.auth.includes(k)) : form.auth.filter((k) => k !== a) })}
                />
                {t(AUTH_LABEL[a])}
              </label>
            ))}
            <p id={`${ids.auth}-help`} className={show('auth') ? 'field-error' : 'field-help'}>
              {show('auth') ? t('errors.auth') : t('profile.authHelp')}
            </p>
          </fieldset>
          {form.auth.includes('key') && text('identityFile', t('profile.identityFile'), t('profile.identityFileHelp'), { optional: true, mono: true })}
          {text('proxyJump', t('profile.proxyJump'), t('profile.proxyJumpHelp'), { optional: true, mono: true })}
        </fieldset>

        <div>
        <fieldset className="targets-fieldset">
          <legend>{t('profile.sectionCluster')}</legend>
          {text('workRoot', t('profile.workRoot'), t('profile.workRootHelp'), { mono: true })}
          {partitions.length > 0 ? (
            <div className="field">
              <label htmlFor={ids.partition}>{t('profile.partition')}</label>
              <select id={ids.partition} value={form.defaultPartition} onChange={(e) => set({ defaultPartition: e.target.value })} aria-describedby={`${ids.partition}-help`} data-field="profile.defaultPartition">
                {partitions.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.title && p.title !== p.name ? `${p.name} (${p.title})` : p.name}
                  </option>
                ))}
              </select>
              <p id={`${ids.partition}-help`} className="field-help">
                {t('profile.partitionHelp')}
              </p>
            </div>
          ) : (
            text('defaultPartition', t('profile.partition'), t('profile.partitionHelp'), { mono: true })
          )}
        </fieldset>

        <fieldset className="targets-fieldset">
          <legend>{t('profile.sectionRuns')}</legend>
          <RunOptionsFields
            value={runOptionsOf(form)}
            onChange={(v) => set({ account: v.account, qos: v.qos, reservation: v.reservation })}
            accountExample={base?.account.example ?? ''}
            knownQos={base?.qos.known ?? []}
          />
        </fieldset>
        </div>
        </div>

        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onClose}>
            {t('profile.cancel')}
          </button>
          {/* No blur on press: a field's error appearing on blur would move the button before the click lands. */}
          <button type="submit" className="button primary" disabled={busy} onMouseDown={(e) => e.preventDefault()}>
            {busy ? t('profile.saving') : t('profile.save')}
          </button>
        </div>
      </form>
    </DialogFrame>
  );
}
