import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RunRecord } from '../../shared/api';
import { ErrorCode } from '../../shared/api';
import { getApi } from '../api/client';
import { DialogFrame } from '../components/DialogFrame';
import { capitalize, showError, useAppStore } from '../state/appStore';

function parentOf(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i <= 0 ? p : p.slice(0, i);
}

function separatorOf(p: string): string {
  return p.includes('\\') && !p.includes('/') ? '\\' : '/';
}

/** Where an export goes unless the user says otherwise: <Fluxo home>/exports/<run id>.zip. */
export function defaultExportPath(pipelinesFolder: string | undefined, runDir: string, runId: string, format: 'zip' | 'tar.gz'): string {
  const home = pipelinesFolder ? parentOf(pipelinesFolder) : parentOf(parentOf(runDir));
  const sep = separatorOf(home);
  return `${home}${sep}exports${sep}${runId}.${format}`;
}

/** Replaces the archive extension of a path (the format choice follows the name and vice versa). */
export function withFormat(path: string, format: 'zip' | 'tar.gz'): string {
  const base = path.replace(/\.(zip|tar\.gz|tgz)$/i, '');
  return `${base}.${format}`;
}

/** "Open the folder" and "Export…" for a finished run. */
export function RunActions({ run }: { run: RunRecord }) {
  const { t } = useTranslation('results');
  const [fallback, setFallback] = useState(false);
  const [copied, setCopied] = useState(false);
  const [exporting, setExporting] = useState(false);

  const openFolder = async () => {
    const r = await getApi().runs.openFolder(run.id);
    if (r.ok) return;
    // A browser tab cannot open folders on the computer: show the path to copy instead.
    if (r.error.code === ErrorCode.Unsupported) setFallback(true);
    else showError(t('actions.openFailed'), r.error);
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(run.runDir);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <div className="run-actions">
      <p className="run-folder">
        {t('runFolder')} <code>{run.runDir}</code>
      </p>
      <div className="run-actions-buttons">
        <button type="button" className="button small" onClick={() => void openFolder()}>
          {t('actions.openFolder')}
        </button>
        <button type="button" className="button small" onClick={() => setExporting(true)}>
          {t('actions.export')}
        </button>
      </div>
      {fallback && (
        <div className="folder-fallback" role="status">
          <span>{t('actions.cannotOpen')}</span> <code>{run.runDir}</code>{' '}
          <button type="button" className="button small" onClick={() => void copy()}>
            {copied ? t('actions.copied') : t('actions.copy')}
          </button>
        </div>
      )}
      {exporting && <ExportDialog run={run} onClose={() => setExporting(false)} />}
    </div>
  );
}

function ExportDialog({ run, onClose }: { run: RunRecord; onClose(): void }) {
  const { t } = useTranslation('results');
  const host = useAppStore((s) => s.host);
  const toast = useAppStore((s) => s.toast);
  const [format, setFormat] = useState<'zip' | 'tar.gz'>('zip');
  const [dest, setDest] = useState(() => defaultExportPath(host?.pipelinesFolder, run.runDir, run.id, 'zip'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pathId = useId();
  const errorId = useId();

  const choose = async () => {
    const r = await getApi().dialogs.saveArchive(`${run.id}.${format}`);
    if (r.ok && r.value) {
      setDest(r.value);
      if (/\.(tar\.gz|tgz)$/i.test(r.value)) setFormat('tar.gz');
      else if (/\.zip$/i.test(r.value)) setFormat('zip');
    }
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const r = await getApi().runs.export(run.id, withFormat(dest.trim(), format));
    setBusy(false);
    if (!r.ok) {
      setError(`${capitalize(r.error.message)}${r.error.hint ? ` ${r.error.hint}` : ''}`);
      return;
    }
    toast({ kind: 'success', title: t('export.done'), message: t('export.doneMessage', { count: r.value.files, path: r.value.path }) });
    onClose();
  };

  return (
    <DialogFrame title={t('export.title')} onEscape={onClose} className="export-dialog">
      <form onSubmit={(e) => void submit(e)}>
        <p>{t('export.intro')}</p>
        <fieldset className="export-format">
          <legend>{t('export.format')}</legend>
          {(['zip', 'tar.gz'] as const).map((f) => (
            <label key={f}>
              <input
                type="radio"
                name="export-format"
                value={f}
                checked={format === f}
                onChange={() => {
                  setFormat(f);
                  setDest((d) => withFormat(d, f));
                }}
              />{' '}
              {t(`export.${f === 'zip' ? 'zip' : 'targz'}`)}
            </label>
          ))}
        </fieldset>
        <label htmlFor={pathId}>{t('export.saveTo')}</label>
        <div className="export-path">
          <input id={pathId} type="text" value={dest} onChange={(e) => setDest(e.target.value)} aria-describedby={error ? errorId : undefined} aria-invalid={error ? true : undefined} spellCheck={false} />
          {host?.nativeDialogs && (
            <button type="button" className="button small" onClick={() => void choose()}>
              {t('export.choose')}
            </button>
          )}
        </div>
        {error && (
          <p className="field-error" id={errorId} role="alert">
            {error}
          </p>
        )}
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onClose}>
            {t('export.cancel')}
          </button>
          <button type="submit" className="button primary" disabled={busy || !dest.trim()}>
            {busy ? t('export.busy') : t('export.submit')}
          </button>
        </div>
      </form>
    </DialogFrame>
  );
}
