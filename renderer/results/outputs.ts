import type { OutputFile, StepRecord } from '../../shared/api';
import { sweepLabel } from './charts';

/** Which viewer shows an output, from its format (the port's contract) and, failing that, its name. */
export type ViewerKind = 'metrics' | 'report' | 'image' | 'table' | 'nifti' | 'mask' | 'dicom' | 'images' | 'none';

export function viewerFor(output: Pick<OutputFile, 'format' | 'path'>): ViewerKind {
  const { format, path } = output;
  const lower = path.toLowerCase();
  if (format === 'metrics.json') return 'metrics';
  if (format === 'report.html') return 'report';
  if (format === 'mask.nifti') return 'mask';
  if (format === 'dicom.series' || lower.endsWith('.dcm')) return 'dicom';
  if (/\.nii(\.gz)?$/.test(lower)) return 'nifti';
  if (/\.(png|jpe?g|svg|gif|webp)$/.test(lower)) return 'image';
  // A folder of pictures (export-slices writes one PNG per slice).
  if (format.startsWith('images.')) return 'images';
  if (/\.(csv|tsv|tab)$/.test(lower) || /^(table|predictions)\./.test(format) || format.endsWith('.csv') || format.endsWith('.tsv')) return 'table';
  return 'none';
}

/** One output port of a step: its file, or one file per array task. */
export interface PortGroup {
  port: string;
  title: string;
  format: string;
  files: Array<{ output: OutputFile; label: string | null }>;
}

/**
 * Groups a step's outputs by port, in the block's port order, each array task labelled with its
 * sweep values ("c = 0.1") so the points of a sweep can be told apart.
 */
export function groupOutputs(step: StepRecord, portOrder: Array<{ id: string; title: string }>, taskWord: (index: number) => string): PortGroup[] {
  const groups = new Map<string, PortGroup>();
  const title = (port: string) => portOrder.find((p) => p.id === port)?.title ?? port;
  for (const o of step.outputs) {
    let g = groups.get(o.port);
    if (!g) {
      g = { port: o.port, title: title(o.port), format: o.format, files: [] };
      groups.set(o.port, g);
    }
    let label: string | null = null;
    if (o.task !== null) {
      const params = step.tasks?.find((t) => t.index === o.task)?.params;
      label = params && Object.keys(params).length ? sweepLabel(params) : taskWord(o.task);
    }
    g.files.push({ output: o, label });
  }
  const order = (port: string) => {
    const i = portOrder.findIndex((p) => p.id === port);
    return i < 0 ? portOrder.length : i;
  };
  return [...groups.values()].sort((a, b) => order(a.port) - order(b.port));
}

/** The folder an output file sits in, run-relative ("steps/evaluate" for "steps/evaluate/roc.png"). */
export function folderOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Where evaluate-classifier puts the points of its curves: curves.json beside the metrics. */
export function curvesPathFor(step: StepRecord, output: OutputFile): string | null {
  const metrics = step.outputs.find((o) => o.format === 'metrics.json' && o.task === output.task && o.exists);
  return metrics ? `${folderOf(metrics.path) ? `${folderOf(metrics.path)}/` : ''}curves.json` : null;
}

/** The chart an output figure is drawn as, when the block also wrote the points (by port id). */
export function curveKindOf(port: string): 'roc' | 'pr' | 'calibration' | null {
  if (port === 'roc_curve') return 'roc';
  if (port === 'pr_curve') return 'pr';
  if (port === 'calibration') return 'calibration';
  return null;
}

export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Decodes base64 (runs.readFile, runs.readRange) to bytes. */
export function base64Bytes(base64: string): Uint8Array {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
