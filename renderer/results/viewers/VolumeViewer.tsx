import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { getApi } from '../../api/client';
import { capitalize } from '../../state/appStore';
import { base64Bytes } from '../outputs';
import type { DicomSlice, Volume } from '../volume';
import { LABEL_COLOURS, decodeDicom, decodeNifti, defaultWindow, labelsInSlice, renderSlice, stackDicom } from '../volume';

/** More slices than this in one series are not loaded into the window (open the folder instead). */
const MAX_DICOM_FILES = 600;

type Source = { kind: 'dicom-folder' | 'dicom-file' | 'nifti'; path: string };

export interface VolumeViewerProps {
  runId: string;
  title: string;
  /** The image to show: how to read it, and its run-relative path. */
  imageKind: Source['kind'] | null;
  imagePath: string | null;
  /** A label mask drawn over it in colour (a segmentation's output). */
  mask?: string | null;
}

async function readBytes(runId: string, path: string): Promise<Uint8Array> {
  const r = await getApi().runs.readFile(runId, path);
  if (!r.ok) throw new Error(capitalize(r.error.message));
  return base64Bytes(r.value.base64);
}

function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function loadSource(runId: string, source: Source, onProgress: (done: number, total: number) => void): Promise<Volume> {
  if (source.kind === 'nifti') return decodeNifti(buffer(await readBytes(runId, source.path)));
  if (source.kind === 'dicom-file') return stackDicom([decodeDicom(await readBytes(runId, source.path))]);
  const listing = await getApi().runs.listFiles(runId, source.path);
  if (!listing.ok) throw new Error(capitalize(listing.error.message));
  const files = listing.value.entries.filter((e) => e.kind === 'file' && !/\.(json|csv|txt|md)$/i.test(e.name)).slice(0, MAX_DICOM_FILES);
  const slices: DicomSlice[] = [];
  for (const [i, f] of files.entries()) {
    try {
      slices.push(decodeDicom(await readBytes(runId, f.path)));
    } catch {
      // Not every file of a series folder is an image (DICOMDIR, notes): those are skipped.
    }
    onProgress(i + 1, files.length);
  }
  return stackDicom(slices);
}

type Presets = Array<{ id: string; center: number; width: number }>;

function presetsFor(volume: Volume): Presets {
  const auto = defaultWindow(volume);
  const list: Presets = [{ id: volume.window ? 'file' : 'auto', ...auto }];
  // Hounsfield units: the usual CT windows make sense.
  if (volume.min < -500) list.push({ id: 'softTissue', center: 40, width: 400 }, { id: 'lung', center: -600, width: 1500 }, { id: 'bone', center: 400, width: 1800 });
  list.push({ id: 'full', center: (volume.min + volume.max) / 2, width: volume.max - volume.min || 1 });
  return list;
}

/** DICOM series and NIfTI volumes a slice at a time: a slider (and the arrow keys), window presets, masks in colour. */
export default function VolumeViewer({ runId, title, imageKind, imagePath, mask }: VolumeViewerProps) {
  const { t } = useTranslation('results');
  const [state, setState] = useState<{ key: string; volume?: Volume; mask?: Volume | null; error?: string; progress?: [number, number] }>({ key: '' });
  const key = `${runId}|${imagePath ?? ''}|${mask ?? ''}`;
  useEffect(() => {
    let live = true;
    const image: Source | null = imageKind && imagePath ? { kind: imageKind, path: imagePath } : null;
    (async () => {
      try {
        const m = mask ? decodeNifti(buffer(await readBytes(runId, mask))) : null;
        const volume = image ? await loadSource(runId, image, (done, total) => live && setState({ key, progress: [done, total] })) : m;
        if (!volume) throw new Error(t('volume.nothing'));
        if (live) setState({ key, volume, mask: image ? m : null });
      } catch (e) {
        if (live) setState({ key, error: e instanceof Error ? e.message : String(e) });
      }
    })();
    return () => {
      live = false;
    };
  }, [runId, imageKind, imagePath, mask, key, t]);

  if (state.key !== key || (!state.volume && !state.error)) {
    return (
      <p className="muted" aria-busy="true">
        {state.progress ? t('volume.loadingSlices', { done: state.progress[0], total: state.progress[1] }) : t('loading', { what: title })}
      </p>
    );
  }
  if (state.error || !state.volume) return <p className="field-error">{t('couldNotShow', { what: title, message: state.error })}</p>;
  const onlyMask = !imagePath && !!mask;
  return <SliceView title={title} volume={state.volume} mask={state.mask ?? null} flipY={imageKind !== 'dicom-folder' && imageKind !== 'dicom-file'} labelsOnly={onlyMask} />;
}

function SliceView({ title, volume, mask, flipY, labelsOnly }: { title: string; volume: Volume; mask: Volume | null; flipY: boolean; labelsOnly: boolean }) {
  const { t } = useTranslation('results');
  const canvas = useRef<HTMLCanvasElement>(null);
  const presets = useMemo(() => (labelsOnly ? [{ id: 'labels', center: volume.max / 2, width: volume.max || 1 }] : presetsFor(volume)), [volume, labelsOnly]);
  const overlay = labelsOnly ? volume : mask;
  // Start on the slice with the most labelled voxels (where the finding is), else the middle.
  const [z, setZ] = useState(() => {
    if (!overlay) return Math.floor(volume.depth / 2);
    let best = Math.floor(volume.depth / 2);
    let most = 0;
    for (let i = 0; i < overlay.depth; i++) {
      let n = 0;
      for (const c of labelsInSlice(overlay, i).values()) n += c;
      if (n > most) [best, most] = [i, n];
    }
    return best;
  });
  const [preset, setPreset] = useState(presets[0]!.id);
  const [showMask, setShowMask] = useState(true);
  const sliderId = useId();
  const summaryId = useId();
  const win = presets.find((p) => p.id === preset) ?? presets[0]!;
  const maskMismatch = !!mask && (mask.width !== volume.width || mask.height !== volume.height || mask.depth !== volume.depth);

  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const pixels = labelsOnly ? renderSlice({ ...volume, data: new Float32Array(volume.data.length) }, z, { center: 0.5, width: 1 }, volume, flipY) : renderSlice(volume, z, win, showMask && !maskMismatch ? mask : null, flipY);
    ctx.putImageData(new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, volume.width, volume.height), 0, 0);
  }, [volume, mask, z, win, showMask, flipY, labelsOnly, maskMismatch]);

  const labels = overlay && !maskMismatch ? [...labelsInSlice(overlay, z).entries()].sort((a, b) => a[0] - b[0]) : [];
  const move = (delta: number) => setZ((v) => Math.min(volume.depth - 1, Math.max(0, v + delta)));
  const onKeyDown = (e: React.KeyboardEvent) => {
    const step = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 10, PageDown: -10 }[e.key];
    if (step !== undefined) move(step);
    else if (e.key === 'Home') setZ(0);
    else if (e.key === 'End') setZ(volume.depth - 1);
    else return;
    e.preventDefault();
  };
  const aspect = (volume.width * volume.spacing[0]) / (volume.height * volume.spacing[1]) || 1;
  const summary = [
    t('volume.sliceOf', { slice: z + 1, total: volume.depth }),
    t('volume.size', { width: volume.width, height: volume.height, sx: volume.spacing[0].toFixed(2), sy: volume.spacing[1].toFixed(2), sz: volume.spacing[2].toFixed(2) }),
    overlay ? (labels.length ? t('volume.labelsHere', { count: labels.length }) : t('volume.noLabelsHere')) : null,
  ].filter(Boolean).join(' · ');

  return (
    <div className="volume-viewer" data-testid="volume-viewer">
      <div className="volume-canvas" tabIndex={0} onKeyDown={onKeyDown} role="img" aria-label={t('volume.canvasLabel', { title, slice: z + 1, total: volume.depth })} aria-describedby={summaryId} style={{ aspectRatio: String(aspect) }}>
        <canvas ref={canvas} width={volume.width} height={volume.height} />
      </div>
      <div className="volume-controls">
        <label htmlFor={sliderId}>{t('volume.slice')}</label>
        <input
          id={sliderId}
          type="range"
          min={1}
          max={volume.depth}
          value={z + 1}
          onChange={(e) => setZ(Number(e.target.value) - 1)}
          aria-valuetext={t('volume.sliceOf', { slice: z + 1, total: volume.depth })}
          disabled={volume.depth < 2}
        />
        <output className="volume-slice-number" htmlFor={sliderId} aria-live="polite">
          {t('volume.sliceOf', { slice: z + 1, total: volume.depth })}
        </output>
        {!labelsOnly && presets.length > 1 && (
          <label className="volume-window">
            {t('volume.window')}{' '}
            <select value={preset} onChange={(e) => setPreset(e.target.value)}>
              {presets.map((p) => (
                <option key={p.id} value={p.id}>
                  {t(`volume.preset.${p.id}`, { center: Math.round(p.center), width: Math.round(p.width) })}
                </option>
              ))}
            </select>
          </label>
        )}
        {mask && !maskMismatch && (
          <label className="volume-mask-toggle">
            <input type="checkbox" checked={showMask} onChange={(e) => setShowMask(e.target.checked)} /> {t('volume.showMask')}
          </label>
        )}
      </div>
      <p className="volume-summary" id={summaryId}>
        {summary}
      </p>
      {maskMismatch && <p className="field-error">{t('volume.maskMismatch')}</p>}
      {labels.length > 0 && (
        <ul className="volume-labels" aria-label={t('volume.labelsList')}>
          {labels.map(([label, count]) => {
            const [r, g, b] = LABEL_COLOURS[(label - 1) % LABEL_COLOURS.length]!;
            return (
              <li key={label}>
                <span className="swatch" style={{ background: `rgb(${r} ${g} ${b})` }} aria-hidden="true" />
                {t('volume.label', { label, count })}
              </li>
            );
          })}
        </ul>
      )}
      <p className="muted volume-help">{t('volume.keys')}</p>
    </div>
  );
}
