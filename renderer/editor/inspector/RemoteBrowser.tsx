import { useCallback, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RemoteListing } from '../../../shared/api';
import type { SlurmProfile } from '../../../shared/targets';
import { getApi } from '../../api/client';
import { DialogFrame } from '../../components/DialogFrame';
import { FileIcon, FolderIcon } from '../../components/icons';
import { capitalize } from '../../state/appStore';

const formatSize = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KB` : bytes < 1024 ** 3 ? `${(bytes / 1024 ** 2).toFixed(1)} MB` : `${(bytes / 1024 ** 3).toFixed(2)} GB`);

/**
 * Browses a cluster's folders over SFTP (remote.browse) to pick data already there. Every entry is
 * a button (Tab/Enter); a folder opens, a file is chosen; a path can also be typed and opened.
 */
export function RemoteBrowser({ target, title, pick, extensions, start, onClose }: { target: SlurmProfile; title: string; pick: 'file' | 'folder'; extensions: string[]; start: string | null; onClose(path: string | null): void }) {
  const { t } = useTranslation('inspector');
  const [listing, setListing] = useState<RemoteListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [value, setValue] = useState(start ?? '');
  const fieldId = useId();
  const listLabelId = useId();
  const errorId = useId();

  const open = useCallback(
    async (folder: string | null) => {
      setLoading(true);
      const r = await getApi().remote.browse(target.id, folder);
      setLoading(false);
      if (r.ok) {
        setListing(r.value);
        setError(null);
        if (pick === 'folder') setValue(r.value.folder);
      } else {
        const message = capitalize(r.error.message.trim());
        setError(`${message}${/[.!?]$/.test(message) ? '' : '.'}${r.error.hint ? ` ${r.error.hint}` : ''}`);
      }
    },
    [target.id, pick],
  );

  useEffect(() => {
    // Opening on a file's value shows the folder that holds it.
    const folder = start ? (pick === 'folder' ? start : start.replace(/\/[^/]*$/, '') || '/') : null;
    // Listing the first folder synchronises with the backend, the purpose of an effect.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    void open(folder);
  }, [open, start, pick]);

  const matches = (name: string) => extensions.length === 0 || extensions.some((x) => name.toLowerCase().endsWith(x));
  const entries = (listing?.entries ?? []).filter((e) => e.kind === 'folder' || (pick === 'file' && matches(e.name)));
  const typed = value.trim();

  return (
    <DialogFrame title={title} onEscape={() => onClose(null)} className="file-dialog remote-browser" initialFocus=".file-entry, input">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (typed.startsWith('/')) onClose(typed);
        }}
      >
        <p className="field-hint">{t('remote.intro', { target: target.title })}</p>
        <div className="file-dialog-location">
          <button type="button" className="button small" disabled={!listing?.parent || loading} onClick={() => listing?.parent && void open(listing.parent)} aria-label={t('remote.up')}>
            ↑ {t('remote.upShort')}
          </button>
          <span className="file-dialog-folder" title={listing?.folder}>
            {listing?.folder ?? '…'}
          </span>
        </div>
        <p id={listLabelId} className="visually-hidden">
          {t('remote.contents', { folder: listing?.folder ?? '' })}
        </p>
        {/* Without a listing the error alone says what happened; an empty box would only add noise. */}
        {(listing || !error) && <ul className="file-list" aria-labelledby={listLabelId} aria-busy={loading}>
          {loading && !listing && <li className="file-list-empty">{t('remote.connecting', { target: target.title })}</li>}
          {!loading && listing && entries.length === 0 && <li className="file-list-empty">{pick === 'folder' ? t('remote.noFolders') : t('remote.noFiles')}</li>}
          {entries.map((e) => (
            <li key={e.path}>
              {e.kind === 'folder' ? (
                <button type="button" className="file-entry folder" aria-label={t('remote.folder', { name: e.name })} onClick={() => void open(e.path)}>
                  <FolderIcon /> {e.name}
                </button>
              ) : (
                <button type="button" className={`file-entry file ${typed === e.path ? 'selected' : ''}`} aria-pressed={typed === e.path} onClick={() => setValue(e.path)} onDoubleClick={() => onClose(e.path)}>
                  <FileIcon /> {e.name} <span className="file-size">{formatSize(e.size)}</span>
                </button>
              )}
            </li>
          ))}
        </ul>}
        {error && (
          <p id={errorId} className="field-error remote-error" role="alert">
            {error}
          </p>
        )}
        <div className="field">
          <label htmlFor={fieldId}>{pick === 'folder' ? t('remote.folderPath') : t('remote.filePath')}</label>
          <div className="path-widget">
            <input id={fieldId} type="text" value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} autoComplete="off" aria-describedby={error ? errorId : undefined} />
            <button type="button" className="button small" disabled={!typed.startsWith('/') || loading} onClick={() => void open(pick === 'folder' ? typed : typed.replace(/\/[^/]*$/, '') || '/')}>
              {t('remote.go')}
            </button>
          </div>
        </div>
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={() => onClose(null)}>
            {t('remote.cancel')}
          </button>
          <button type="submit" className="button primary" disabled={!typed.startsWith('/')}>
            {pick === 'folder' ? t('remote.chooseFolder') : t('remote.choose')}
          </button>
        </div>
      </form>
    </DialogFrame>
  );
}
