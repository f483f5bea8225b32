/**
 * The imaging blocks and the DICOM segmentation example (resources/examples/dicom-segmentation.fluxo).
 *
 * Every script runs for real, with the argv its block.yaml template produces. The data is made here
 * (the synthetic CT of Sample CT series, small NIfTI volumes, PNG pictures) or shipped by Debian
 * packages: pydicom's test series (python3-pydicom) and nibabel's sample volumes (python3-nibabel).
 * Nothing is downloaded. The example pipeline runs once in beforeAll; later tests read its outputs.
 *
 * Needs a Python with numpy, scipy, scikit-image, matplotlib, nibabel and pydicom (and torch with
 * Pillow for the CNN tests): FLUXO_PYTHON, else /usr/bin/python3. Without one the script tests skip.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParamValue, PipelineDocument } from '../../shared/document';
import { parseDocument, serializeDocument } from '../../shared/document';
import { validatePipeline } from '../../shared/validate';
import type { StepRun } from './harness';
import { BLOCKS_DIR, EXAMPLES_DIR, PNG_SIGNATURE, blockOf, catalog, column, expandCommand, expectError, findPython, pythonEnv, readCsv, runBlock } from './harness';

const IMAGING_BLOCKS = [
  'sample-ct-series',
  'load-dicom-series',
  'load-nifti',
  'preprocess-volume',
  'segment-threshold',
  'export-slices',
  'train-cnn',
  'predict-cnn',
  'segment-monai',
];
const EXAMPLE = path.join(EXAMPLES_DIR, 'dicom-segmentation.fluxo');
const MONAI_IMAGE = 'docker://projectmonai/monai:1.3.2';

const imaging = findPython(['numpy', 'scipy', 'skimage', 'matplotlib', 'nibabel', 'pydicom']);
const torch = findPython(['torch', 'PIL', 'numpy']);
const python = imaging.python;
if (!python) console.warn(`Skipping the imaging script tests: ${imaging.reason}`);
if (!torch.python) console.warn(`Skipping the CNN script tests: ${torch.reason}`);

let tmp = '';

const run = (blockId: string, stepDir: string, params?: Record<string, ParamValue>, inputs?: Record<string, string>, interpreter = python): StepRun =>
  runBlock(blockOf(catalog, blockId), { python: interpreter ?? 'python3', stepDir: path.join(tmp, stepDir), params, inputs }, 120_000);

const ok = (r: StepRun, what: string): StepRun => {
  expect(r.stderr, `${what} stderr`).toBe('');
  expect(r.status, `${what} exit status`).toBe(0);
  return r;
};

/** Runs Python code that prints one JSON value (the last line of stdout) and returns it. */
const py = (code: string, interpreter = python): unknown => {
  const result = spawnSync(interpreter ?? 'python3', ['-c', code], { cwd: tmp, encoding: 'utf8', timeout: 120_000, env: pythonEnv() });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`python failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? 'null') as unknown;
};
const q = (text: string): string => JSON.stringify(text);

const pngSize = (file: string): [number, number] => {
  const png = fs.readFileSync(file);
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE), file).toBe(true);
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
};

describe('imaging block definitions', () => {
  it('are all in the catalog, in the imaging domain, with a pinned container after the local Python', () => {
    for (const id of IMAGING_BLOCKS) {
      const block = blockOf(catalog, id);
      expect(block.domain, id).toBe('imaging');
      const envs = block.software.environments;
      const containers = envs.filter((e) => e.kind === 'container');
      expect(containers.length, `${id} has a container for clusters`).toBeGreaterThan(0);
      for (const env of containers) {
        if (env.kind !== 'container') continue;
        // A tag that moves (latest, or none) would make last month's bundle run different software.
        expect(env.image, id).toMatch(/^docker:\/\/[a-z0-9./_-]+:[A-Za-z0-9._-]+$/);
        expect(env.image, id).not.toMatch(/:latest$/);
      }
      if (id !== 'segment-monai') expect(envs[0], `${id} runs on the local Python first`).toEqual({ kind: 'system', tools: [] });
    }
  });

  it('train on GPUs with torchrun in NVIDIA or AMD PyTorch images, and default to the CPU', () => {
    const train = blockOf(catalog, 'train-cnn');
    expect(train.software.launcher).toBe('torchrun');
    expect(train.resources.gpus).toBe(0);
    expect(train.software.environments.map((e) => (e.kind === 'container' ? `${e.vendor}:${e.image.split(':')[1]?.replace('//', '')}` : e.kind))).toEqual([
      'system',
      'nvidia:pytorch/pytorch',
      'amd:rocm/pytorch',
    ]);
    expect(blockOf(catalog, 'predict-cnn').software.environments).toEqual(train.software.environments);
  });

  it('segment-monai needs a cluster GPU and MONAI\'s container, and passes every value as one argument', () => {
    const block = blockOf(catalog, 'segment-monai');
    expect(block.requires).toMatchObject({ cluster: true, gpus: 1 });
    expect(block.requires.reason).toContain('GPU');
    expect(block.resources.gpus).toBe(1);
    expect(block.software.environments).toEqual([{ kind: 'container', image: MONAI_IMAGE, vendor: 'nvidia' }]);
    const bundle = "/scratch/my bundles/spleen ct; echo 'x' $(id)";
    const { argv, outputs } = expandCommand(block, {
      python: 'python3',
      stepDir: '/runs/r1/steps/monai',
      params: { bundle },
      inputs: { image: '/runs/r1/steps/load/volume.nii.gz' },
    });
    expect(argv).toEqual([
      'python3',
      path.join(BLOCKS_DIR, 'segment-monai', 'segment_monai.py'),
      '--image',
      '/runs/r1/steps/load/volume.nii.gz',
      '--bundle',
      bundle,
      '--config',
      'configs/inference.json',
      '--mask',
      '/runs/r1/steps/monai/mask.nii.gz',
    ]);
    expect(outputs.mask).toBe('/runs/r1/steps/monai/mask.nii.gz');
  });
});

describe('DICOM segmentation example', () => {
  const text = fs.readFileSync(EXAMPLE, 'utf8');
  const parsed = parseDocument(text);

  it('parses, round-trips byte-identically and validates without problems', () => {
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(serializeDocument(parsed.document)).toBe(text);
    expect(validatePipeline(parsed.document, catalog)).toEqual([]);
    expect(parsed.document.steps.map((s) => s.type)).toEqual(['sample-ct-series', 'load-dicom-series', 'preprocess-volume', 'segment-threshold', 'export-slices']);
    // It needs no file of the user's: the loader reads the phantom's output, not a folder on disk.
    expect(parsed.document.steps.find((s) => s.id === 'load')?.params.folder).toBeUndefined();
  });
});

describe('imaging block scripts', () => {
  /** Outputs of the example's steps, by step id. */
  const example: Record<string, StepRun> = {};
  let doc: PipelineDocument | null = null;
  let pydicomData = '';
  let nibabelData = '';
  let truth: Array<{ x: number; y: number; z: number; volume: number }> = [];

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-imaging-'));
    if (!python) return;
    const paths = py('import json, os, pydicom, nibabel.testing as t; print(json.dumps([os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files"), t.data_path]))') as string[];
    [pydicomData = '', nibabelData = ''] = paths;
    const parsed = parseDocument(fs.readFileSync(EXAMPLE, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.message);
    doc = parsed.document;
    for (const step of doc.steps) {
      const inputs: Record<string, string> = {};
      for (const c of doc.connections.filter((c) => c.to.step === step.id)) {
        const from = example[c.from.step]?.outputs[c.from.port];
        if (!from) throw new Error(`${c.from.step} has not run before ${step.id}`);
        inputs[c.to.port] = from;
      }
      example[step.id] = run(step.type, step.id, step.params, inputs);
    }
    const lesions = readCsv(example.phantom?.outputs.truth ?? '');
    truth = lesions.rows.map((_, i) => ({
      x: Number(column(lesions, 'centre_x_mm')[i]),
      y: Number(column(lesions, 'centre_y_mm')[i]),
      z: Number(column(lesions, 'centre_z_mm')[i]),
      volume: Number(column(lesions, 'volume_ml')[i]),
    }));
  }, 240_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const step = (id: string): StepRun => {
    const r = example[id];
    if (!r) throw new Error(`step ${id} did not run`);
    return ok(r, id);
  };

  describe('the example pipeline, end to end', () => {
    it.skipIf(!python)('finds the three lesions of the phantom with their true volumes and positions', () => {
      const components = readCsv(step('segment').outputs.components ?? '');
      expect(components.header).toEqual(['label', 'voxels', 'volume_ml', 'mean_value', 'max_value', 'centroid_x_mm', 'centroid_y_mm', 'centroid_z_mm']);
      expect(truth).toHaveLength(3);
      expect(components.rows).toHaveLength(3);
      components.rows.forEach((_, i) => {
        const lesion = truth[i]!;
        // Labels go from the largest down, like the phantom's lesions; volumes in mL from the voxel size.
        expect(Number(column(components, 'label')[i])).toBe(i + 1);
        expect(Math.abs(Number(column(components, 'volume_ml')[i]) / lesion.volume - 1), `lesion ${i + 1} volume`).toBeLessThan(0.1);
        const dx = Number(column(components, 'centroid_x_mm')[i]) - lesion.x;
        const dy = Number(column(components, 'centroid_y_mm')[i]) - lesion.y;
        const dz = Number(column(components, 'centroid_z_mm')[i]) - lesion.z;
        expect(Math.hypot(dx, dy, dz), `lesion ${i + 1} position`).toBeLessThan(1.5);
      });
      const summary = JSON.parse(fs.readFileSync(step('segment').outputs.summary ?? '', 'utf8')) as Record<string, unknown>;
      expect(summary).toMatchObject({ method: 'fixed', threshold: 0.675, components: 3 });
      const [width, height] = pngSize(step('segment').outputs.overlay ?? '');
      expect(width).toBeGreaterThan(600);
      expect(height).toBeGreaterThan(300);
    });

    it.skipIf(!python)('draws the lesion outlines on exactly the exported slices that cross a lesion', () => {
      const r = step('slices');
      const folder = r.outputs.slices ?? '';
      const table = readCsv(path.join(folder, 'slices.csv'));
      expect(table.header).toEqual(['file', 'plane', 'slice', 'position_mm', 'mask_voxels']);
      expect(table.rows).toHaveLength(12);
      expect(fs.readdirSync(folder).filter((f) => f.endsWith('.png'))).toEqual(column(table, 'file'));
      // Coloured pixels (red, green and blue differ) exist only where the mask is.
      const coloured = py(`
import json, numpy as np, matplotlib.image as im
files = ${q(JSON.stringify(column(table, 'file')))}
out = []
for f in json.loads(files):
    rgb = (im.imread(${q(folder)} + "/" + f)[..., :3] * 255).round()
    out.append(int(((rgb.max(axis=2) - rgb.min(axis=2)) > 40).sum()))
print(json.dumps(out))`) as number[];
      const maskVoxels = column(table, 'mask_voxels').map(Number);
      expect(maskVoxels.some((v) => v > 0)).toBe(true);
      expect(maskVoxels.some((v) => v === 0)).toBe(true);
      coloured.forEach((pixels, i) => expect(pixels > 0, `slice ${column(table, 'slice')[i]}`).toBe((maskVoxels[i] ?? 0) > 0));
      pngSize(r.outputs.contact_sheet ?? '');
    });
  });

  describe('sample-ct-series and load-dicom-series', () => {
    it.skipIf(!python)('sample-ct-series writes the same files for the same seed, named out of slice order', () => {
      const first = step('phantom');
      const again = ok(run('sample-ct-series', 'phantom-again', doc?.steps[0]?.params), 'again');
      const names = fs.readdirSync(first.outputs.series ?? '').sort();
      expect(names).toHaveLength(40);
      expect(fs.readdirSync(again.outputs.series ?? '').sort()).toEqual(names);
      for (const name of names) {
        expect(fs.readFileSync(path.join(again.outputs.series ?? '', name)).equals(fs.readFileSync(path.join(first.outputs.series ?? '', name))), name).toBe(true);
      }
      const instances = py(`
import json, os, pydicom
folder = ${q(first.outputs.series ?? '')}
print(json.dumps([int(pydicom.dcmread(os.path.join(folder, f)).InstanceNumber) for f in sorted(os.listdir(folder))]))`) as number[];
      expect(instances).not.toEqual([...instances].sort((a, b) => a - b));
      const other = ok(run('sample-ct-series', 'phantom-other', { seed: 8, lesions: 5 }), 'other seed');
      expect(readCsv(other.outputs.truth ?? '').rows).toHaveLength(5);
      expect(fs.readdirSync(other.outputs.series ?? '').sort()).not.toEqual(names);
    });

    it.skipIf(!python)('load-dicom-series stacks the phantom by position, in Hounsfield units, with the scanner geometry', () => {
      const r = step('load');
      const meta = JSON.parse(fs.readFileSync(r.outputs.metadata ?? '', 'utf8')) as Record<string, unknown>;
      expect(meta).toMatchObject({ modality: 'CT', units: 'HU', slices: 40, shape: [128, 128, 40], voxel_size_mm: [0.9, 0.9, 2.5], deidentified: true });
      // Every voxel equals the stored pixel x slope + intercept of the file at that position, and the
      // affine maps the voxel to that file's ImagePositionPatient (DICOM LPS -> NIfTI RAS: x, y negated).
      const check = py(`
import json, os, numpy as np, nibabel as nib, pydicom
folder = ${q(example.phantom?.outputs.series ?? '')}
image = nib.load(${q(r.outputs.volume ?? '')})
data = np.asanyarray(image.dataobj)
worst_value, worst_mm = 0.0, 0.0
for name in os.listdir(folder):
    ds = pydicom.dcmread(os.path.join(folder, name))
    position = np.array([float(v) for v in ds.ImagePositionPatient])
    ras = np.array([-position[0], -position[1], position[2]])
    k = int(np.argmin([np.abs(image.affine @ [0, 0, kk, 1] - np.r_[ras, 1]).max() for kk in range(data.shape[2])]))
    worst_mm = max(worst_mm, float(np.abs((image.affine @ [0, 0, k, 1])[:3] - ras).max()))
    expected = ds.pixel_array.T * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    worst_value = max(worst_value, float(np.abs(data[:, :, k] - expected).max()))
print(json.dumps({"value": worst_value, "mm": worst_mm, "dtype": str(data.dtype), "air": float(data[0, 0, :].mean()),
                  "tissue": float(np.median(data[54:74, 54:74, :]))}))`) as Record<string, number | string>;
      expect(check.value).toBe(0);
      expect(check.mm).toBeLessThan(1e-3);
      expect(check.dtype).toBe('int16');
      expect(Math.abs((check.air as number) + 1000)).toBeLessThan(10);
      expect(Math.abs((check.tissue as number) - 40)).toBeLessThan(15);
    });

    it.skipIf(!python)('load-dicom-series copies no names, identifiers or UIDs into its outputs', () => {
      const r = step('load');
      const found = py(`
import gzip, json, os, pydicom
folder = ${q(example.phantom?.outputs.series ?? '')}
ds = pydicom.dcmread(os.path.join(folder, sorted(os.listdir(folder))[0]))
meta = open(${q(r.outputs.metadata ?? '')}, "rb").read()
volume = gzip.open(${q(r.outputs.volume ?? '')}).read()
needles = [str(ds.PatientName), ds.PatientID, ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.StudyDate, ds.SeriesDescription]
print(json.dumps([n for n in needles if n.encode() in meta or n.encode() in volume]))`);
      expect(found).toEqual([]);
    });

    it.skipIf(!python)('load-dicom-series loads the largest of pydicom\'s real CT series, values as pydicom decodes them', () => {
      const folder = path.join(pydicomData, 'dicomdirtests', '98892001');
      const r = ok(run('load-dicom-series', 'pydicom-ct', { folder }), 'pydicom CT');
      expect(r.stdout).toContain('in 2 series');
      const meta = JSON.parse(fs.readFileSync(r.outputs.metadata ?? '', 'utf8')) as Record<string, unknown>;
      expect(meta).toMatchObject({ modality: 'CT', shape: [16, 16, 5], voxel_size_mm: [0.4883, 0.4883, 2.5], orientation: 'LPS' });
      const check = py(`
import json, os, numpy as np, nibabel as nib, pydicom
folder = ${q(path.join(folder, 'CT5N'))}
image = nib.load(${q(r.outputs.volume ?? '')})
data = np.asanyarray(image.dataobj)
files = sorted((float(pydicom.dcmread(os.path.join(folder, f)).ImagePositionPatient[2]), f) for f in os.listdir(folder))
worst = 0.0
for k, (z, name) in enumerate(files):
    ds = pydicom.dcmread(os.path.join(folder, name))
    worst = max(worst, float(np.abs(data[:, :, k] - (ds.pixel_array.T * float(ds.RescaleSlope) + float(ds.RescaleIntercept))).max()))
    worst = max(worst, abs(float((image.affine @ [0, 0, k, 1])[2]) - z))
print(json.dumps(worst))`);
      expect(check).toBeLessThan(1e-3);
    });

    it.skipIf(!python)('load-dicom-series explains folders and series it cannot turn into a volume', () => {
      const empty = path.join(tmp, 'no-dicom');
      fs.mkdirSync(empty, { recursive: true });
      fs.writeFileSync(path.join(empty, 'notes.txt'), 'not an image\n');
      expectError(run('load-dicom-series', 'err-empty', { folder: empty }), 'no DICOM images in');
      expectError(run('load-dicom-series', 'err-none', {}), 'no DICOM folder: set "Folder"');
      expectError(run('load-dicom-series', 'err-missing', { folder: path.join(tmp, 'nowhere') }), 'does not exist');
      // Real series from pydicom that are not volumes: a gap of 200 mm, and a localiser pair at right angles.
      expectError(run('load-dicom-series', 'err-gap', { folder: path.join(pydicomData, 'dicomdirtests', '77654033', 'CT2') }), 'not evenly spaced');
      expectError(
        run('load-dicom-series', 'err-tilt', { folder: path.join(pydicomData, 'dicomdirtests', '98892001'), series_uid: '1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.2' }),
        'not parallel',
      );
      expectError(run('load-dicom-series', 'err-uid', { folder: path.join(pydicomData, 'dicomdirtests', '98892001'), series_uid: '1.2.3' }), 'no series has SeriesInstanceUID "1.2.3"; this folder holds: series 4');
    });

    it.skipIf(!python)('load-dicom-series refuses a series with mixed image sizes, naming the sizes', () => {
      const mixed = path.join(tmp, 'mixed');
      py(`
import json, os, shutil, numpy as np, pydicom
source = ${q(example.phantom?.outputs.series ?? '')}
os.makedirs(${q(mixed)}, exist_ok=True)
names = sorted(os.listdir(source))
for name in names[:5]:
    shutil.copy(os.path.join(source, name), ${q(mixed)})
ds = pydicom.dcmread(os.path.join(source, names[5]))
ds.Rows, ds.Columns = 64, 64
ds.PixelData = np.zeros((64, 64), np.uint16).tobytes()
ds.save_as(os.path.join(${q(mixed)}, "odd.dcm"))
print(json.dumps(True))`);
      expectError(run('load-dicom-series', 'err-mixed', { folder: mixed }), 'different sizes: 128 x 128 (5 file(s)');
    });

    it.skipIf(!python)('load-dicom-series names a compression it cannot decode', () => {
      const folder = path.join(tmp, 'jpeg-ls');
      fs.mkdirSync(folder, { recursive: true });
      fs.copyFileSync(path.join(pydicomData, 'MR_small_jpeg_ls_lossless.dcm'), path.join(folder, 'slice.dcm'));
      const decodable = py(`
import json, pydicom
try:
    pydicom.dcmread(${q(path.join(folder, 'slice.dcm'))}).pixel_array
    print(json.dumps(True))
except Exception:
    print(json.dumps(False))`);
      const r = run('load-dicom-series', 'err-jpeg-ls', { folder });
      // With a JPEG-LS decoder installed (pylibjpeg), the file simply loads.
      if (decodable) ok(r, 'JPEG-LS with a decoder');
      else expectError(r, 'its pixels are compressed as "JPEG-LS Lossless Image Compression" (1.2.840.10008.1.2.4.80)');
    });
  });

  describe('load-nifti', () => {
    it.skipIf(!python)('keeps nibabel\'s anatomical volume and its geometry exactly', () => {
      const file = path.join(nibabelData, 'anatomical.nii');
      const r = ok(run('load-nifti', 'anatomical', { file }), 'anatomical');
      const same = py(`
import json, numpy as np, nibabel as nib
a, b = nib.load(${q(file)}), nib.load(${q(r.outputs.volume ?? '')})
print(json.dumps([bool(np.array_equal(np.asanyarray(a.dataobj), np.asanyarray(b.dataobj))), bool(np.allclose(a.affine, b.affine)), list(b.shape)]))`);
      expect(same).toEqual([true, true, [33, 41, 25]]);
    });

    it.skipIf(!python)('takes the chosen volume of a 4D file and says how many there are when it does not exist', () => {
      const file = path.join(nibabelData, 'example4d.nii.gz');
      const r = ok(run('load-nifti', 'fourd', { file, volume_index: 1 }), '4D');
      const same = py(`
import json, numpy as np, nibabel as nib
a, b = nib.load(${q(file)}), nib.load(${q(r.outputs.volume ?? '')})
print(json.dumps([bool(np.array_equal(np.asanyarray(a.dataobj)[..., 1], np.asanyarray(b.dataobj))), list(b.shape)]))`);
      expect(same).toEqual([true, [128, 96, 24]]);
      expectError(run('load-nifti', 'fourd-bad', { file, volume_index: 2 }), 'holds 2 volumes (numbered 0 to 1)');
    });

    it.skipIf(!python)('refuses a 2D image and a file that is not NIfTI', () => {
      const flat = path.join(tmp, 'flat.nii.gz');
      py(`
import json, numpy as np, nibabel as nib
nib.save(nib.Nifti1Image(np.zeros((8, 9), np.float32), np.eye(4)), ${q(flat)})
print(json.dumps(True))`);
      expectError(run('load-nifti', 'flat', { file: flat }), 'is a 2D image (8 x 9)');
      const fake = path.join(tmp, 'fake.nii');
      fs.writeFileSync(fake, 'a,b\n1,2\n');
      expectError(run('load-nifti', 'fake', { file: fake }), 'is not a readable NIfTI image');
    });
  });

  describe('preprocess-volume', () => {
    it.skipIf(!python)('crops, resamples to 1 mm and windows the phantom while every lesion stays where it was', () => {
      const r = step('preprocess');
      expect(r.stdout).toContain('Cropped to the foreground');
      const facts = py(`
import json, numpy as np, nibabel as nib
image = nib.load(${q(r.outputs.volume ?? '')})
data = np.asanyarray(image.dataobj)
lesions = ${JSON.stringify(truth.map((t) => [t.x, t.y, t.z]))}
inverse = np.linalg.inv(image.affine)
at = [float(data[tuple(np.round((inverse @ np.r_[c, 1])[:3]).astype(int))]) for c in lesions]
print(json.dumps({"zooms": [round(float(z), 2) for z in image.header.get_zooms()], "shape": list(data.shape),
                  "range": [float(data.min()), float(data.max())], "tissue": float(np.median(data[data > 0.3])), "at_lesions": at}))`) as {
        zooms: number[];
        shape: number[];
        range: number[];
        tissue: number;
        at_lesions: number[];
      };
      expect(facts.zooms).toEqual([1, 1, 1]);
      // Cropping to the body: the 115 mm field of view shrinks to the 100 x 80 mm body plus 5 mm margins.
      expect(facts.shape[0]).toBeLessThan(115);
      expect(facts.shape[1]).toBeLessThan(100);
      expect(facts.shape[2]).toBe(100);
      expect(facts.range[0]).toBeGreaterThanOrEqual(0);
      expect(facts.range[1]).toBeLessThanOrEqual(1);
      // Soft-tissue window: 40 HU -> (40 + 160) / 400 = 0.5; lesions at 180 HU -> 0.85.
      expect(Math.abs(facts.tissue - 0.5)).toBeLessThan(0.05);
      for (const value of facts.at_lesions) expect(value).toBeGreaterThan(0.75);
    });

    it.skipIf(!python)('z-scores and min-max scales, and refuses a border wider than the image', () => {
      const image = step('load').outputs.volume ?? '';
      const z = ok(run('preprocess-volume', 'zscore', { normalise: 'zscore' }, { image }), 'z-score');
      const m = ok(run('preprocess-volume', 'minmax', { normalise: 'minmax', spacing_mm: 2 }, { image }), 'min-max');
      const stats = py(`
import json, numpy as np, nibabel as nib
z = np.asanyarray(nib.load(${q(z.outputs.volume ?? '')}).dataobj)
m = nib.load(${q(m.outputs.volume ?? '')})
d = np.asanyarray(m.dataobj)
print(json.dumps([float(z.mean()), float(z.std()), float(d.min()), float(d.max()), list(d.shape), [round(float(v), 3) for v in m.header.get_zooms()]]))`) as [number, number, number, number, number[], number[]];
      expect(Math.abs(stats[0])).toBeLessThan(1e-3);
      expect(Math.abs(stats[1] - 1)).toBeLessThan(1e-3);
      expect([stats[2], stats[3]]).toEqual([0, 1]);
      // 128 x 0.9 mm = 115.2 mm -> 58 voxels of 1.986 mm; 40 x 2.5 mm = 100 mm -> 50 voxels of 2 mm.
      expect(stats[4]).toEqual([58, 58, 50]);
      expect(stats[5]).toEqual([1.986, 1.986, 2]);
      expectError(run('preprocess-volume', 'border', { crop: 'border', margin_mm: 60 }, { image }), 'leaves nothing');
      expectError(run('preprocess-volume', 'unconnected', {}), 'no image is connected');
    });
  });

  describe('segment-threshold', () => {
    it.skipIf(!python)('with Otsu on raw Hounsfield units finds the body, whose volume is known', () => {
      const r = ok(run('segment-threshold', 'otsu', { method: 'otsu', keep_largest: 1 }, { image: step('load').outputs.volume ?? '' }), 'otsu');
      const table = readCsv(r.outputs.components ?? '');
      expect(table.rows).toHaveLength(1);
      // An elliptic cylinder of 50 x 40 mm semi-axes and 100 mm length: pi * 50 * 40 * 100 mm^3 = 628.3 mL.
      expect(Math.abs(Number(column(table, 'volume_ml')[0]) / 628.3 - 1)).toBeLessThan(0.02);
      const summary = JSON.parse(fs.readFileSync(r.outputs.summary ?? '', 'utf8')) as Record<string, number>;
      expect(summary.threshold).toBeGreaterThan(-1000);
      expect(summary.threshold).toBeLessThan(-100);
    });

    it.skipIf(!python)('keeps the largest components, drops small ones, and writes a mask labelled like the table', () => {
      const image = step('preprocess').outputs.volume ?? '';
      const largest = ok(run('segment-threshold', 'largest', { method: 'fixed', threshold: 0.675, keep_largest: 2 }, { image }), 'largest');
      const big = ok(run('segment-threshold', 'big', { method: 'fixed', threshold: 0.675, min_volume_ml: 5 }, { image }), 'big');
      const all = readCsv(step('segment').outputs.components ?? '');
      expect(column(readCsv(largest.outputs.components ?? ''), 'voxels')).toEqual(column(all, 'voxels').slice(0, 2));
      expect(column(readCsv(big.outputs.components ?? ''), 'voxels')).toEqual(column(all, 'voxels').slice(0, 1));
      const counts = py(`
import json, numpy as np, nibabel as nib
mask = np.asanyarray(nib.load(${q(step('segment').outputs.mask ?? '')}).dataobj)
print(json.dumps([int((mask == label).sum()) for label in range(1, int(mask.max()) + 1)]))`);
      expect(counts).toEqual(column(all, 'voxels').map(Number));
    });

    it.skipIf(!python)('finishes with an empty mask and says so when nothing passes the threshold', () => {
      const r = ok(run('segment-threshold', 'nothing', { method: 'fixed', threshold: 2 }, { image: step('preprocess').outputs.volume ?? '' }), 'nothing');
      expect(r.stdout).toContain('no component is left');
      expect(readCsv(r.outputs.components ?? '').rows).toEqual([]);
      pngSize(r.outputs.overlay ?? '');
    });
  });

  describe('export-slices', () => {
    it.skipIf(!python)('shows slices the radiology way: patient\'s right on the left, front and head at the top', () => {
      // A volume stored left-posterior-inferior first (the opposite of RAS on every axis), with a
      // bright block at the patient's right, front and top corner.
      const volume = path.join(tmp, 'corner.nii.gz');
      py(`
import json, numpy as np, nibabel as nib
data = np.zeros((20, 24, 16), np.float32)
data[:6, :6, :5] = 100
affine = np.diag([-2.0, -2.0, -3.0, 1.0])
affine[:3, 3] = [19, 23, 22]
nib.save(nib.Nifti1Image(data, affine), ${q(volume)})
print(json.dumps(nib.aff2axcodes(affine)))`);
      const where: Record<string, [number, number]> = {};
      for (const plane of ['axial', 'coronal', 'sagittal']) {
        const r = ok(run('export-slices', `corner-${plane}`, { plane, selection: 'every', every: 1, contrast: 'full' }, { image: volume }), plane);
        const table = readCsv(path.join(r.outputs.slices ?? '', 'slices.csv'));
        where[plane] = py(`
import json, numpy as np, matplotlib.image as im
best = None
for f in ${JSON.stringify(column(table, 'file'))}:
    grey = im.imread(${q(r.outputs.slices ?? '')} + "/" + f)[..., 0]
    if grey.max() > 0.5:
        rows, cols = np.nonzero(grey > 0.5)
        best = [float(rows.mean() / grey.shape[0]), float(cols.mean() / grey.shape[1])]
print(json.dumps(best))`) as [number, number];
      }
      // Axial: right on the left, front at the top. Coronal: right on the left, head at the top.
      // Sagittal: front on the left, head at the top. The block sits in the top-left corner of each.
      for (const plane of ['axial', 'coronal', 'sagittal']) {
        expect(where[plane]?.[0], `${plane} row`).toBeLessThan(0.5);
        expect(where[plane]?.[1], `${plane} column`).toBeLessThan(0.5);
      }
    });

    it.skipIf(!python)('exports every Nth slice with square pixels and refuses a mask from another grid', () => {
      const image = step('load').outputs.volume ?? '';
      const axial = ok(run('export-slices', 'every4', { selection: 'every', every: 4 }, { image }), 'every 4');
      expect(fs.readdirSync(axial.outputs.slices ?? '').filter((f) => f.endsWith('.png'))).toHaveLength(10);
      expect(readCsv(path.join(axial.outputs.slices ?? '', 'slices.csv')).header).toEqual(['file', 'plane', 'slice', 'position_mm']);
      expect(pngSize(path.join(axial.outputs.slices ?? '', 'axial_000.png'))).toEqual([128, 128]);
      const coronal = ok(run('export-slices', 'coronal', { plane: 'coronal', count: 3 }, { image }), 'coronal');
      // 40 slices of 2.5 mm shown with 0.9 mm pixels: 100 mm / 0.9 mm = 111 rows, 128 columns.
      expect(pngSize(path.join(coronal.outputs.slices ?? '', 'coronal_064.png'))).toEqual([128, 111]);
      expectError(run('export-slices', 'wrong-mask', {}, { image, mask: step('segment').outputs.mask ?? '' }), 'does not lie on the image\'s voxel grid');
    });
  });

  describe('train-cnn and predict-cnn', () => {
    const pictures = (root: string, perClass: number, seed: number): void => {
      // Noise pictures, half of them with a bright blob: a task a small CNN learns in a few epochs.
      py(`
import json, os, numpy as np
from PIL import Image
rng = np.random.default_rng(${seed})
yy, xx = np.mgrid[:32, :32]
for cls in ("blob", "empty"):
    os.makedirs(os.path.join(${q(root)}, cls), exist_ok=True)
    for i in range(${perClass}):
        picture = rng.normal(90, 20, (32, 32))
        if cls == "blob":
            cy, cx = rng.uniform(8, 24, 2)
            picture[(yy - cy) ** 2 + (xx - cx) ** 2 <= rng.uniform(3, 5) ** 2] += 100
        Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).save(os.path.join(${q(root)}, cls, "%s %03d.png" % (cls, i)))
print(json.dumps(True))`, torch.python);
    };
    let trainDir = '';
    let testDir = '';
    let trained: StepRun | null = null;
    const cnnParams = { image_size: 32, epochs: 6, learning_rate: 0.003, batch_size: 16 };

    beforeAll(() => {
      if (!torch.python) return;
      trainDir = path.join(tmp, 'pictures', 'train');
      testDir = path.join(tmp, 'pictures', 'held out');
      pictures(trainDir, 40, 1);
      pictures(testDir, 20, 2);
      trained = run('train-cnn', 'cnn', { folder: trainDir, ...cnnParams }, {}, torch.python);
    }, 180_000);

    it.skipIf(!torch.python)('train-cnn learns to tell pictures with a blob from pure noise', () => {
      const r = ok(trained!, 'train-cnn');
      expect(r.stdout).toContain('device cpu');
      const metrics = JSON.parse(fs.readFileSync(r.outputs.metrics ?? '', 'utf8')) as Record<string, unknown>;
      expect(metrics).toMatchObject({ classes: ['blob', 'empty'], n_train: 64, n_validation: 16, epochs: 6, processes: 1, device: 'cpu' });
      expect(metrics.accuracy).toBeGreaterThanOrEqual(0.9);
      const curves = readCsv(r.outputs.curves ?? '');
      expect(curves.header).toEqual(['epoch', 'train_loss', 'train_accuracy', 'validation_loss', 'validation_accuracy']);
      expect(column(curves, 'epoch')).toEqual(['1', '2', '3', '4', '5', '6']);
      const losses = column(curves, 'train_loss').map(Number);
      expect(losses.at(-1)).toBeLessThan(losses[0] ?? 0);
      expect(pngSize(r.outputs.curves_figure ?? '')).toEqual([900, 340]);
      expect(fs.statSync(r.outputs.model ?? '').size).toBeGreaterThan(10_000);
    });

    it.skipIf(!torch.python)('predict-cnn classifies held-out pictures it never saw, reading their class from the folder', () => {
      const r = ok(run('predict-cnn', 'predict', { folder: testDir }, { model: trained?.outputs.model ?? '' }, torch.python), 'predict-cnn');
      const table = readCsv(r.outputs.predictions ?? '');
      expect(table.header).toEqual(['file', 'predicted', 'actual', 'probability_blob', 'probability_empty']);
      expect(table.rows).toHaveLength(40);
      expect(column(table, 'file')[0]).toBe('blob/blob 000.png');
      const actual = column(table, 'actual');
      expect(actual.filter((c) => c === 'blob')).toHaveLength(20);
      const right = column(table, 'predicted').filter((p, i) => p === actual[i]).length;
      expect(right / 40).toBeGreaterThanOrEqual(0.9);
      for (const row of table.rows) expect(Math.abs(Number(row[3]) + Number(row[4]) - 1)).toBeLessThan(1e-5);
      expect(r.stdout).toMatch(/Accuracy on the 40 picture\(s\) whose folder names their class: (0\.9\d\d|1\.000)/);
    });

    it.skipIf(!torch.python || !python)('predict-cnn takes the slices of Export slices as its pictures', () => {
      const slices = step('slices').outputs.slices ?? '';
      const r = ok(run('predict-cnn', 'predict-slices', {}, { model: trained?.outputs.model ?? '', images: slices }, torch.python), 'on slices');
      const table = readCsv(r.outputs.predictions ?? '');
      expect(column(table, 'file')).toEqual(fs.readdirSync(slices).filter((f) => f.endsWith('.png')).sort());
      expect(new Set(column(table, 'actual'))).toEqual(new Set(['']));
    });

    it.skipIf(!torch.python)('train-cnn and predict-cnn explain unusable folders and models', () => {
      const one = path.join(tmp, 'one-class');
      fs.mkdirSync(path.join(one, 'lesion'), { recursive: true });
      fs.copyFileSync(path.join(trainDir, 'blob', 'blob 000.png'), path.join(one, 'lesion', 'a.png'));
      expectError(run('train-cnn', 'cnn-one', { folder: one, ...cnnParams }, {}, torch.python), 'it has only the class "lesion"');
      expectError(run('predict-cnn', 'predict-bad', { folder: testDir }, { model: trained?.outputs.curves ?? '' }, torch.python), 'is not a model saved by Train CNN');
      expectError(run('predict-cnn', 'predict-none', {}, { model: trained?.outputs.model ?? '' }, torch.python), 'no pictures: connect a folder');
    });

    it.skipIf(!torch.python)('train-cnn trains with two processes under torchrun, as on a multi-GPU node', () => {
      const block = blockOf(catalog, 'train-cnn');
      const stepDir = path.join(tmp, 'cnn-torchrun');
      fs.mkdirSync(stepDir, { recursive: true });
      const { argv, outputs } = expandCommand(block, { python: torch.python ?? '', stepDir, params: { folder: trainDir, ...cnnParams, epochs: 2 } });
      // CPU processes talk over gloo on 127.0.0.1. "--redirects 2 --tee 2" works around torch 1.13's
      // launcher on Python 3.11 (its default "0" parses to None there); newer torch does not need it.
      const launcher = ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', '--redirects', '2', '--tee', '2'];
      const result = spawnSync(torch.python ?? '', [...launcher, ...argv.slice(1)], { cwd: stepDir, encoding: 'utf8', timeout: 180_000, env: pythonEnv() });
      expect(result.status, result.stderr).toBe(0);
      const metrics = JSON.parse(fs.readFileSync(outputs.metrics ?? '', 'utf8')) as Record<string, unknown>;
      expect(metrics).toMatchObject({ processes: 2, n_train: 64, epochs: 2 });
      expect(result.stdout.match(/^Wrote /gm)).toHaveLength(1);
      expect(readCsv(outputs.curves ?? '').rows).toHaveLength(2);
    }, 180_000);
  });

  describe('segment-monai', () => {
    const script = path.join(BLOCKS_DIR, 'segment-monai', 'segment_monai.py');

    it.skipIf(!python)('is valid Python', () => {
      expect(py(`import json; compile(open(${q(script)}).read(), ${q(script)}, "exec"); print(json.dumps(True))`)).toBe(true);
    });

    it.skipIf(!python)('stops with one line naming MONAI\'s container where MONAI is not installed', () => {
      const hasMonai = py('import importlib.util, json; print(json.dumps(importlib.util.find_spec("monai") is not None))');
      const r = run('segment-monai', 'monai', { bundle: path.join(tmp, 'no-bundle') }, { image: step('load').outputs.volume ?? '' });
      if (hasMonai) {
        expectError(r, 'the bundle folder');
        return;
      }
      expectError(r, 'MONAI cannot be imported by');
      expect(r.stderr).toContain(`this block runs inside the container ${MONAI_IMAGE} on a cluster`);
    });
  });
});
