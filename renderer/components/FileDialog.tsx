import { useCallback, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { FolderListing } from '../../shared/api';
import { DOCUMENT_EXTENSION } from '../../shared/document';
import { joinPath } from '../actions/files';
import { getApi } from '../api/client';
import type { FileDialogRequest } from '../state/appStore';
import { capitalize, useAppStore } from '../state/appStore';
import { DialogFrame } from './DialogFrame';
import { FileIcon, FolderIcon } from './icons';

/** The in-app file dialog over documents.browse, for hosts without native dialogs (the browser). */
export function FileDialog() {
  const request = useAppStore((s) => s.fileDialog);
  if (!request) return null;
  return <FileDialogBody key={request.id} request={request} />;
}

function isAbsolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

function FileDialogBody({ request }: { request: FileDialogRequest }) {
  const { t } = useTranslation('app');
  const answerPath = useAppStore((s) => s.answerPath);
  const ask = useAppStore((s) => s.ask);
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [value, setValue] = useState(request.mode === 'save' ? (request.suggestedName ?? `${t('common:untitledPipeline')}${DOCUMENT_EXTENSION}`) : '');
  const fieldId = useId();
  const listLabelId = useId();
  const errorId = useId();

  const browse = useCallback(async (folder: string | null) => {
    setLoading(true);
    const result = await getApi().documents.browse(folder, request.mode !== 'save' && request.extensions?.length ? request.extensions : null);
    setLoading(false);
    if (result.ok) {
      setListing(result.value);
      setError(null);
      if (request.mode === 'folder') setValue(result.value.folder);
    } else {
      setError(`${capitalize(result.error.message)}${result.error.hint ? ` ${result.error.hint}` : ''}`);
    }
  }, [request.mode, request.extensions]);

  useEffect(() => {
    // Loading the first listing is synchronising with the backend, the purpose of an effect.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    void browse(request.folder);
  }, [browse, request.folder]);

  const entries = (listing?.entries ?? []).filter(
    (e) => e.kind === 'folder' || (request.mode !== 'folder' && (request.mode === 'save' || !request.extensions?.length || request.extensions.some((x) => e.name.toLowerCase().endsWith(x)))),
  );

  const resolvePath = (): string | null => {
    const typed = value.trim();
    if (!typed) return null;
    if (request.mode === 'save') {
      const ext = request.extension ?? DOCUMENT_EXTENSION;
      const name = typed.toLowerCase().endsWith(ext) ? typed : `${typed}${ext}`;
      return isAbsolute(name) ? name : listing ? joinPath(listing.folder, name) : null;
    }
    return isAbsolute(typed) ? typed : listing ? joinPath(listing.folder, typed) : null;
  };

  const confirm = async () => {
    const path = resolvePath();
    if (!path) return;
    if (request.mode === 'save' && listing?.entries.some((e) => e.kind === 'file' && e.path === path)) {
      const answer = await ask({
        tone: 'confirm',
        title: t('fileDialog.replaceTitle'),
        message: t('fileDialog.replaceMessage', { name: path.split(/[\\/]/).pop() }),
        buttons: [
          { value: 'cancel', label: t('common:cancel') },
          { value: 'replace', label: t('fileDialog.replace'), primary: true },
        ],
      });
      if (answer !== 'replace') return;
    }
    answerPath(path);
  };

  const action = request.mode === 'save' ? t('common:save') : request.mode === 'open' ? t('fileDialog.open') : request.mode === 'folder' ? t('inspector:fileDialog.chooseFolder') : t('fileDialog.choose');
  const fieldLabel = request.mode === 'save' ? t('fileDialog.fileName') : request.mode === 'folder' ? t('inspector:fileDialog.folderPath') : t('fileDialog.filePath');

  return (
    <DialogFrame title={request.title} onEscape={() => answerPath(null)} className="file-dialog" initialFocus="input">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void confirm();
        }}
      >
        <div className="file-dialog-location">
          <button type="button" className="button small" disabled={!listing?.parent || loading} onClick={() => listing?.parent && void browse(listing.parent)} aria-label={t('fileDialog.upLabel')}>
            {t('fileDialog.up')}
          </button>
          <span className="file-dialog-folder" title={listing?.folder}>
            {listing?.folder ?? '…'}
          </span>
        </div>
        <p id={listLabelId} className="visually-hidden">
          {listing ? t('fileDialog.contentsOf', { folder: listing.folder }) : t('fileDialog.contentsOfFolder')}
        </p>
        <ul className="file-list" aria-labelledby={listLabelId} aria-busy={loading}>
          {entries.length === 0 && !loading && <li className="file-list-empty">{request.mode === 'folder' ? t('inspector:fileDialog.noFolders') : request.mode === 'pick' ? t('fileDialog.noMatchingFiles') : t('fileDialog.noPipelines')}</li>}
          {entries.map((e) => (
            <li key={e.path}>
              {e.kind === 'folder' ? (
                <button type="button" className="file-entry folder" aria-label={t('fileDialog.folder', { name: e.name })} onClick={() => void browse(e.path)}>
                  <FolderIcon /> {e.name}
                </button>
              ) : (
                <button
                  type="button"
                  className={`file-entry file ${resolvePath() === e.path ? 'selected' : ''}`}
                  aria-pressed={resolvePath() === e.path}
                  onClick={() => setValue(request.mode === 'save' ? e.name : e.path)}
                  onDoubleClick={() => answerPath(e.path)}
                >
                  <FileIcon /> {e.name}
                </button>
              )}
            </li>
          ))}
        </ul>
        {error && (
          <p id={errorId} className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="field">
          <label htmlFor={fieldId}>{fieldLabel}</label>
          <input id={fieldId} type="text" value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} autoComplete="off" aria-describedby={error ? errorId : undefined} />
          {request.mode === 'save' && <p className="field-help">{t('fileDialog.saveHelp', { extension: request.extension ?? DOCUMENT_EXTENSION })}</p>}
        </div>
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={() => answerPath(null)}>
            {t('common:cancel')}
          </button>
          <button type="submit" className="button primary" disabled={!value.trim() || (!listing && !isAbsolute(value.trim()))}>
            {action}
          </button>
        </div>
      </form>
    </DialogFrame>
  );
}
