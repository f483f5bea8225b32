import { useEffect, useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SshHostsListing, TargetEntry } from '../../shared/api';
import { getApi } from '../api/client';
import { DialogFrame } from '../components/DialogFrame';
import { t as tr } from '../i18n';
import { showError, useAppStore } from '../state/appStore';
import { freeId, isCluster } from './profileForm';
import { refreshOverview } from './settingsStore';
import '../styles/targets.css';

const ID = /^[a-z][a-z0-9-]{0,47}$/;

/** Like `fluxo targets import HOST --like PROFILE`: a Host of ~/.ssh/config becomes a profile. */
export function ImportDialog({ entries, onClose }: { entries: TargetEntry[]; onClose(): void }) {
  const { t } = useTranslation('targets');
  const [listing, setListing] = useState<SshHostsListing | null>(null);
  const [alias, setAlias] = useState('');
  const clusters = entries.filter((e) => isCluster(e.profile) && e.source === 'shipped');
  const [like, setLike] = useState(clusters[0]?.profile.id ?? '');
  const taken = useMemo(() => new Set(entries.map((e) => e.profile.id)), [entries]);
  const [id, setId] = useState('');
  const [busy, setBusy] = useState(false);
  const likeId = useId();
  const idId = useId();
  const leadId = useId();

  useEffect(() => {
    let live = true;
    void getApi()
      .targets.sshHosts()
      .then((r) => {
        if (!live) return;
        if (!r.ok) return showError(tr('targets:errors.importFailed'), r.error);
        setListing(r.value);
        const first = r.value.hosts[0];
        if (first) {
          setAlias(first.alias);
          setId(freeId(first.alias, taken));
        }
      });
    return () => {
      live = false;
    };
  }, [taken]);

  const choose = (a: string) => {
    setAlias(a);
    setId(freeId(a, taken));
  };
  const idBad = !ID.test(id) || entries.some((e) => e.source === 'user' && e.profile.id === id);
  const submit = async () => {
    if (!alias || !like || idBad) return;
    setBusy(true);
    const r = await getApi().targets.importSshHost(alias, like, id);
    setBusy(false);
    if (!r.ok) return showError(tr('targets:errors.importFailed'), r.error);
    await refreshOverview();
    useAppStore.getState().toast({ kind: 'success', title: tr('targets:screen.imported', { title: r.value.profile.title }) });
    onClose();
  };

  return (
    <DialogFrame title={t('import.title')} describedBy={leadId} onEscape={onClose} className="targets-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p id={leadId} className="dialog-message">
          {listing ? t('import.lead', { file: listing.file }) : t('import.loading')}
        </p>
        {listing && !listing.exists && <p className="targets-note">{t('import.missing', { file: listing.file })}</p>}
        {listing && listing.exists && listing.hosts.length === 0 && <p className="targets-note">{t('import.none', { file: listing.file })}</p>}
        {listing && listing.hosts.length > 0 && (
          <fieldset className="targets-fieldset">
            <legend>{t('import.hostsLabel')}</legend>
            <ul className="targets-hosts">
              {listing.hosts.map((h) => (
                <li key={h.alias}>
                  <label className="targets-host">
                    <input type="radio" name="ssh-host" value={h.alias} checked={alias === h.alias} onChange={() => choose(h.alias)} />
                    <span>
                      <strong>{h.alias}</strong>{' '}
                      <span className="targets-mono">
                        {h.user ? `${h.user}@` : ''}
                        {h.hostName}
                        {h.port !== 22 ? `:${h.port}` : ''}
                      </span>
                      {h.proxyJump && <span className="muted"> {t('import.via', { jump: h.proxyJump })}</span>}
                      {h.hasProxyCommand && <span className="targets-note-inline"> {t('import.proxyCommand')}</span>}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        )}
        {listing && listing.hosts.length > 0 && (
          <>
            <div className="field">
              <label htmlFor={likeId}>{t('import.like')}</label>
              <select id={likeId} value={like} onChange={(e) => setLike(e.target.value)} aria-describedby={`${likeId}-help`}>
                {clusters.map((e) => (
                  <option key={e.profile.id} value={e.profile.id}>
                    {e.profile.title}
                  </option>
                ))}
              </select>
              <p id={`${likeId}-help`} className="field-help">
                {t('import.likeHelp')}
              </p>
            </div>
            <div className="field">
              <label htmlFor={idId}>{t('import.id')}</label>
              <input id={idId} type="text" className="targets-mono" value={id} onChange={(e) => setId(e.target.value)} aria-invalid={idBad ? true : undefined} aria-describedby={`${idId}-help`} />
              <p id={`${idId}-help`} className={idBad ? 'field-error' : 'field-help'}>
                {idBad ? t(ID.test(id) ? 'errors.idTaken' : 'errors.id') : t('profile.idHelp', { file: `${id}.yaml` })}
              </p>
            </div>
          </>
        )}
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onClose}>
            {t('import.cancel')}
          </button>
          <button type="submit" className="button primary" disabled={busy || !listing || listing.hosts.length === 0 || idBad}>
            {t('import.submit')}
          </button>
        </div>
      </form>
    </DialogFrame>
  );
}
