import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useRunFolder } from '../useRunData';
import ImageViewer from './ImageViewer';

/** A folder of pictures (one PNG per slice): one at a time, with a slider. */
export default function FolderImages({ runId, path, title }: { runId: string; path: string; title: string }) {
  const { t } = useTranslation('results');
  const listing = useRunFolder(runId, path);
  const [index, setIndex] = useState(0);
  const sliderId = useId();
  if (listing.state === 'loading') return <p className="muted" aria-busy="true">{t('loading', { what: title })}</p>;
  if (listing.state === 'error') return <p className="field-error">{t('couldNotShow', { what: title, message: listing.message })}</p>;
  const images = listing.value.entries.filter((e) => e.kind === 'file' && /\.(png|jpe?g)$/i.test(e.name));
  if (images.length === 0) return <p className="muted">{t('images.none')}</p>;
  const i = Math.min(index, images.length - 1);
  const current = images[i]!;
  return (
    <div className="folder-images">
      <div className="volume-controls">
        <label htmlFor={sliderId}>{t('images.picture')}</label>
        <input id={sliderId} type="range" min={1} max={images.length} value={i + 1} onChange={(e) => setIndex(Number(e.target.value) - 1)} aria-valuetext={t('images.of', { n: i + 1, total: images.length, name: current.name })} />
        <output htmlFor={sliderId}>{t('images.of', { n: i + 1, total: images.length, name: current.name })}</output>
      </div>
      <ImageViewer runId={runId} output={{ path: current.path }} title={`${title}: ${current.name}`} />
    </div>
  );
}
