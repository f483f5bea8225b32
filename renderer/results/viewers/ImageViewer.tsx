import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { OutputFile } from '../../../shared/api';
import { useRunFile } from '../useRunData';

/** A PNG/JPEG/SVG output (shown as an <img>, so an SVG's scripts never run), enlarged on demand. */
export default function ImageViewer({ runId, output, title, compact = false }: { runId: string; output: Pick<OutputFile, 'path'>; title: string; compact?: boolean }) {
  const { t } = useTranslation('results');
  const loaded = useRunFile(runId, output.path);
  const [large, setLarge] = useState(false);
  if (!loaded || loaded.state === 'loading') return <p className="muted" aria-busy="true">{t('loading', { what: title })}</p>;
  if (loaded.state === 'error') return <p className="field-error">{t('couldNotShow', { what: title, message: loaded.message })}</p>;
  return (
    <figure className={`figure${compact ? ' figure-compact' : ''}${large ? ' figure-large' : ''}`}>
      <img src={`data:${loaded.file.mime};base64,${loaded.file.base64}`} alt={title} />
      <figcaption>
        {compact ? t('image.fromBlock', { title }) : title}{' '}
        <button type="button" className="button small subtle" aria-pressed={large} onClick={() => setLarge((v) => !v)}>
          {large ? t('image.smaller') : t('image.larger')}
        </button>
      </figcaption>
    </figure>
  );
}
