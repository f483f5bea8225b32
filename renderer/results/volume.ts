import dicomParser from 'dicom-parser';
import * as nifti from 'nifti-reader-js';

/**
 * A 3D image the slice viewer can show: voxel values in real units (Hounsfield units for CT, after
 * the rescale slope and intercept), x fastest, then y, then slice.
 */
export interface Volume {
  width: number;
  height: number;
  depth: number;
  data: Float32Array;
  /** Voxel size in mm (x, y, slice), when the file says. */
  spacing: [number, number, number];
  /** The display window the file suggests (DICOM window centre/width), else null. */
  window: { center: number; width: number } | null;
  min: number;
  max: number;
}

export class VolumeError extends Error {}

// ---------- DICOM ----------

/** One decoded DICOM slice. */
export interface DicomSlice {
  width: number;
  height: number;
  /** Values after rescale slope/intercept (HU for CT). */
  data: Float32Array;
  slope: number;
  intercept: number;
  window: { center: number; width: number } | null;
  /** Where the slice sits along the scan (image position z, else slice location, else instance number). */
  position: number;
  instance: number | null;
  spacing: [number, number, number];
}

const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);

function firstNumber(ds: dicomParser.DataSet, tag: string): number | null {
  const raw = ds.string(tag);
  if (raw === undefined || raw.trim() === '') return null;
  const n = Number.parseFloat(raw.split('\\')[0] ?? '');
  return Number.isFinite(n) ? n : null;
}

/** Decodes an uncompressed DICOM image: pixel data, rescale slope/intercept, window and position. */
export function decodeDicom(bytes: Uint8Array): DicomSlice {
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes);
  } catch (e) {
    throw new VolumeError(`not a DICOM file (${e instanceof Error ? e.message : String(e)})`);
  }
  const syntax = ds.string('x00020010')?.trim() ?? '1.2.840.10008.1.2';
  if (!UNCOMPRESSED.has(syntax)) throw new VolumeError(`compressed DICOM (transfer syntax ${syntax}) cannot be shown here`);
  const rows = ds.uint16('x00280010');
  const cols = ds.uint16('x00280011');
  const pixel = ds.elements.x7fe00010;
  if (!rows || !cols || !pixel) throw new VolumeError('the DICOM file has no image');
  const bits = ds.uint16('x00280100') ?? 16;
  const signed = ds.uint16('x00280103') === 1;
  const samples = ds.uint16('x00280002') ?? 1;
  if (samples !== 1) throw new VolumeError('colour DICOM images cannot be shown as slices');
  const slope = firstNumber(ds, 'x00281053') ?? 1;
  const intercept = firstNumber(ds, 'x00281052') ?? 0;
  const count = rows * cols;
  const little = syntax !== '1.2.840.10008.1.2.2';
  const view = new DataView(bytes.buffer, bytes.byteOffset + pixel.dataOffset, Math.min(pixel.length, bytes.length - pixel.dataOffset));
  const per = bits <= 8 ? 1 : bits <= 16 ? 2 : 4;
  if (view.byteLength < count * per) throw new VolumeError('the DICOM pixel data is shorter than its rows and columns say');
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const raw =
      per === 1 ? (signed ? view.getInt8(i) : view.getUint8(i))
      : per === 2 ? (signed ? view.getInt16(i * 2, little) : view.getUint16(i * 2, little))
      : signed ? view.getInt32(i * 4, little) : view.getUint32(i * 4, little);
    data[i] = raw * slope + intercept;
  }
  const center = firstNumber(ds, 'x00281050');
  const width = firstNumber(ds, 'x00281051');
  const positionText = ds.string('x00200032');
  const z = positionText ? Number.parseFloat(positionText.split('\\')[2] ?? '') : Number.NaN;
  const instance = ds.intString('x00200013') ?? null;
  const location = firstNumber(ds, 'x00201041');
  const spacingText = ds.string('x00280030');
  const [sy, sx] = spacingText ? spacingText.split('\\').map(Number) : [1, 1];
  const thickness = firstNumber(ds, 'x00180050') ?? 1;
  return {
    width: cols,
    height: rows,
    data,
    slope,
    intercept,
    window: center !== null && width !== null && width > 0 ? { center, width } : null,
    position: Number.isFinite(z) ? z : (location ?? instance ?? 0),
    instance: instance ?? null,
    spacing: [sx || 1, sy || 1, thickness],
  };
}

/** Stacks slices into a volume, ordered along the scan; slices of another size are left out. */
export function stackDicom(slices: DicomSlice[]): Volume {
  if (slices.length === 0) throw new VolumeError('the series has no images');
  const first = slices[0]!;
  const same = slices.filter((s) => s.width === first.width && s.height === first.height).sort((a, b) => a.position - b.position || (a.instance ?? 0) - (b.instance ?? 0));
  const size = first.width * first.height;
  const data = new Float32Array(size * same.length);
  same.forEach((s, i) => data.set(s.data, i * size));
  const gap = same.length > 1 ? Math.abs(same[1]!.position - same[0]!.position) : first.spacing[2];
  return { width: first.width, height: first.height, depth: same.length, data, spacing: [first.spacing[0], first.spacing[1], gap || first.spacing[2]], window: first.window, ...range(data) };
}

// ---------- NIfTI ----------

/** Decodes a .nii or .nii.gz file (3D, or the first volume of 4D), applying scl_slope/scl_inter. */
export function decodeNifti(input: ArrayBuffer): Volume {
  let buf = input;
  try {
    if (nifti.isCompressed(buf)) buf = nifti.decompress(buf) as ArrayBuffer;
  } catch {
    throw new VolumeError('the .nii.gz file could not be decompressed');
  }
  if (!nifti.isNIFTI(buf)) throw new VolumeError('not a NIfTI file');
  const header = nifti.readHeader(buf);
  const image = nifti.readImage(header, buf);
  const [, x = 1, y = 1, z = 1] = header.dims;
  const count = x * y * z;
  const raw = typedArray(header.datatypeCode, image, header.littleEndian, count);
  // scl_slope 0 means "no scaling" in the NIfTI standard.
  const slope = header.scl_slope && Number.isFinite(header.scl_slope) ? header.scl_slope : 1;
  const inter = Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = (raw[i] ?? 0) * slope + inter;
  const [, px = 1, py = 1, pz = 1] = header.pixDims;
  return { width: x, height: y, depth: z, data, spacing: [Math.abs(px) || 1, Math.abs(py) || 1, Math.abs(pz) || 1], window: null, ...range(data) };
}

function typedArray(code: number, image: ArrayBuffer, little: boolean, count: number): ArrayLike<number> {
  const view = new DataView(image);
  const read = (bytes: number, get: (o: number) => number): Float64Array => {
    if (image.byteLength < count * bytes) throw new VolumeError('the NIfTI image is shorter than its dimensions say');
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = get(i * bytes);
    return out;
  };
  switch (code) {
    case nifti.NIFTI1.TYPE_UINT8:
    case nifti.NIFTI1.TYPE_BINARY:
      return read(1, (o) => view.getUint8(o));
    case nifti.NIFTI1.TYPE_INT8:
      return read(1, (o) => view.getInt8(o));
    case nifti.NIFTI1.TYPE_INT16:
      return read(2, (o) => view.getInt16(o, little));
    case nifti.NIFTI1.TYPE_UINT16:
      return read(2, (o) => view.getUint16(o, little));
    case nifti.NIFTI1.TYPE_INT32:
      return read(4, (o) => view.getInt32(o, little));
    case nifti.NIFTI1.TYPE_UINT32:
      return read(4, (o) => view.getUint32(o, little));
    case nifti.NIFTI1.TYPE_FLOAT32:
      return read(4, (o) => view.getFloat32(o, little));
    case nifti.NIFTI1.TYPE_FLOAT64:
      return read(8, (o) => view.getFloat64(o, little));
    case nifti.NIFTI1.TYPE_INT64:
      return read(8, (o) => Number(view.getBigInt64(o, little)));
    case nifti.NIFTI1.TYPE_UINT64:
      return read(8, (o) => Number(view.getBigUint64(o, little)));
    default:
      throw new VolumeError(`NIfTI data type ${code} cannot be shown`);
  }
}

function range(data: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) ? { min, max } : { min: 0, max: 0 };
}

// ---------- display ----------

/** A window to start with: the file's own, else the 1st to 99th percentile of the values. */
export function defaultWindow(volume: Volume): { center: number; width: number } {
  if (volume.window) return volume.window;
  const step = Math.max(1, Math.floor(volume.data.length / 200_000));
  const sample: number[] = [];
  for (let i = 0; i < volume.data.length; i += step) sample.push(volume.data[i]!);
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(sample.length * 0.01)] ?? volume.min;
  const hi = sample[Math.min(sample.length - 1, Math.floor(sample.length * 0.99))] ?? volume.max;
  const width = hi - lo || volume.max - volume.min || 1;
  return { center: lo + width / 2, width };
}

/**
 * The RGBA pixels of slice `z` with window/level applied, and the mask's labels (if any) blended
 * in colour. The image is flipped so row 0 is drawn at the top (NIfTI rows grow upwards).
 */
export function renderSlice(volume: Volume, z: number, win: { center: number; width: number }, mask: Volume | null, flipY: boolean): Uint8ClampedArray {
  const { width, height } = volume;
  const out = new Uint8ClampedArray(width * height * 4);
  const lo = win.center - win.width / 2;
  const scale = 255 / (win.width || 1);
  const base = z * width * height;
  const useMask = mask && mask.width === width && mask.height === height && mask.depth === volume.depth;
  for (let y = 0; y < height; y++) {
    const row = flipY ? height - 1 - y : y;
    for (let x = 0; x < width; x++) {
      const i = base + row * width + x;
      const g = Math.max(0, Math.min(255, (volume.data[i]! - lo) * scale));
      const o = (y * width + x) * 4;
      let r = g;
      let gg = g;
      let b = g;
      const label = useMask ? Math.round(mask.data[i]!) : 0;
      if (label > 0) {
        const [cr, cg, cb] = LABEL_COLOURS[(label - 1) % LABEL_COLOURS.length]!;
        r = g * 0.5 + cr * 0.5;
        gg = g * 0.5 + cg * 0.5;
        b = g * 0.5 + cb * 0.5;
      }
      out[o] = r;
      out[o + 1] = gg;
      out[o + 2] = b;
      out[o + 3] = 255;
    }
  }
  return out;
}

/** Labels drawn in colour-blind-safe hues (Okabe-Ito). */
export const LABEL_COLOURS: Array<[number, number, number]> = [
  [230, 159, 0],
  [86, 180, 233],
  [0, 158, 115],
  [240, 228, 66],
  [0, 114, 178],
  [213, 94, 0],
  [204, 121, 167],
];

/** How many voxels of slice z carry each mask label. */
export function labelsInSlice(mask: Volume, z: number): Map<number, number> {
  const counts = new Map<number, number>();
  const size = mask.width * mask.height;
  for (let i = z * size; i < (z + 1) * size; i++) {
    const l = Math.round(mask.data[i] ?? 0);
    if (l > 0) counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  return counts;
}
