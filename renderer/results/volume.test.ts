/* eslint-disable no-restricted-imports -- the decoders run in the browser; this test (in Node) writes real DICOM and NIfTI files with pydicom and nibabel first. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDicom, decodeNifti, defaultWindow, labelsInSlice, renderSlice, stackDicom } from './volume';

const python = '/usr/bin/python3';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-volume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Small real files written by the same libraries the imaging blocks use: a CT series of 4 slices
// stored with rescale slope 2 and intercept -1024, written out of order, and NIfTI volumes.
const MAKE = String.raw`
import sys, numpy as np, pydicom, nibabel as nib
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid, CTImageStorage
out = sys.argv[1]
series = generate_uid()
for k in [2, 0, 3, 1]:
    meta = FileMetaDataset(); meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid(); meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = CTImageStorage; ds.SeriesInstanceUID = series; ds.Modality = "CT"
    ds.Rows, ds.Columns = 3, 5; ds.BitsAllocated = 16; ds.BitsStored = 16; ds.HighBit = 15
    ds.PixelRepresentation = 1; ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = "MONOCHROME2"
    ds.RescaleSlope = "2"; ds.RescaleIntercept = "-1024"; ds.WindowCenter = "40"; ds.WindowWidth = "400"
    ds.ImagePositionPatient = [0, 0, 2.5 * k]; ds.InstanceNumber = k + 1; ds.PixelSpacing = [0.7, 0.8]; ds.SliceThickness = "2.5"
    stored = (np.arange(15, dtype=np.int16).reshape(3, 5) + 100 * k)
    ds.PixelData = stored.tobytes()
    ds.is_little_endian = True; ds.is_implicit_VR = False
    ds.save_as("%s/slice-%d.dcm" % (out, k), write_like_original=False)
vol = np.zeros((5, 3, 4), dtype=np.int16)
for x in range(5):
    for y in range(3):
        for z in range(4):
            vol[x, y, z] = x + 10 * y + 100 * z
img = nib.Nifti1Image(vol, np.diag([1.5, 1.5, 3, 1]))
img.header.set_slope_inter(0.5, 10)
nib.save(img, "%s/vol.nii.gz" % out)
nib.save(nib.Nifti1Image(vol.astype(np.float32), np.eye(4)), "%s/vol.nii" % out)
mask = np.zeros((5, 3, 4), dtype=np.uint8); mask[1:3, 1, 2] = 1; mask[4, 0, 2] = 2
nib.save(nib.Nifti1Image(mask, np.eye(4)), "%s/mask.nii.gz" % out)
`;

function arrayBuffer(file: string): ArrayBuffer {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

describe('volume decoders on real files', () => {
  beforeAll(() => {
    // Never skipped: the fixtures need the Python the imaging blocks need (.ci/run installs it).
    const probe = spawnSync(python, ['-c', 'import pydicom, nibabel, numpy'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error(`${python} cannot import pydicom, nibabel and numpy (Debian: apt install python3-pydicom python3-nibabel python3-numpy): ${probe.stderr}`);
    const r = spawnSync(python, ['-c', MAKE, tmp], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  });

  it('decodes DICOM pixel data in Hounsfield units through the rescale slope and intercept', () => {
    const slice = decodeDicom(new Uint8Array(readFileSync(path.join(tmp, 'slice-1.dcm'))));
    expect([slice.width, slice.height]).toEqual([5, 3]);
    expect([slice.slope, slice.intercept]).toEqual([2, -1024]);
    // stored value 100 + i -> 2 * (100 + i) - 1024
    expect(Array.from(slice.data.slice(0, 3))).toEqual([-824, -822, -820]);
    expect(slice.window).toEqual({ center: 40, width: 400 });
    expect(slice.position).toBe(2.5);
  });

  it('stacks a series written out of order by position along the scan', () => {
    const files = readdirSync(tmp).filter((f) => f.endsWith('.dcm'));
    const volume = stackDicom(files.map((f) => decodeDicom(new Uint8Array(readFileSync(path.join(tmp, f))))));
    expect([volume.width, volume.height, volume.depth]).toEqual([5, 3, 4]);
    for (let z = 0; z < 4; z++) expect(volume.data[z * 15]).toBe(2 * (100 * z) - 1024);
    expect(volume.spacing).toEqual([0.8, 0.7, 2.5]);
    expect(volume.min).toBe(-1024);
    expect(volume.max).toBe(2 * (314) - 1024);
  });

  it('refuses a file that is not DICOM with a readable reason', () => {
    expect(() => decodeDicom(new Uint8Array(readFileSync(path.join(tmp, 'vol.nii'))))).toThrow(/not a DICOM file/);
  });

  it('decodes a gzipped NIfTI with x fastest and its scl_slope/scl_inter applied', () => {
    const v = decodeNifti(arrayBuffer(path.join(tmp, 'vol.nii.gz')));
    expect([v.width, v.height, v.depth]).toEqual([5, 3, 4]);
    const at = (x: number, y: number, z: number) => v.data[z * 15 + y * 5 + x];
    expect(at(0, 0, 0)).toBe(10);
    expect(at(4, 2, 3)).toBe((4 + 20 + 300) * 0.5 + 10);
    expect(v.spacing).toEqual([1.5, 1.5, 3]);
  });

  it('decodes an uncompressed float NIfTI the same way', () => {
    const v = decodeNifti(arrayBuffer(path.join(tmp, 'vol.nii')));
    expect(v.data[2 * 15 + 1 * 5 + 3]).toBe(3 + 10 + 200);
    expect(() => decodeNifti(new Uint8Array([1, 2, 3]).buffer)).toThrow(/not a NIfTI file/);
  });

  it('renders a slice with window/level and the mask labels in colour', () => {
    const v = decodeNifti(arrayBuffer(path.join(tmp, 'vol.nii')));
    const mask = decodeNifti(arrayBuffer(path.join(tmp, 'mask.nii.gz')));
    expect(labelsInSlice(mask, 2)).toEqual(new Map([[1, 2], [2, 1]]));
    expect(labelsInSlice(mask, 0).size).toBe(0);
    const win = { center: 220, width: 40 };
    const px = renderSlice(v, 2, win, mask, false);
    const grey = (x: number, y: number) => Array.from(px.slice((y * 5 + x) * 4, (y * 5 + x) * 4 + 4));
    // (0,0,2) = 200 -> the low end of the window: black; (4,2,2) = 224 -> above the middle.
    expect(grey(0, 0)).toEqual([0, 0, 0, 255]);
    expect(grey(4, 2)[0]).toBeCloseTo(((224 - 200) / 40) * 255, 0);
    // (1,1,2) is label 1: half grey, half orange, so red > blue.
    const labelled = grey(1, 1);
    expect(labelled[0]!).toBeGreaterThan(labelled[2]!);
    // Flipped: row 0 on screen is the volume's last row.
    expect(Array.from(renderSlice(v, 2, win, null, true).slice(0, 4))).toEqual(grey(0, 2).map((c, i) => (i === 3 ? 255 : c)));
    expect(defaultWindow({ ...v, window: { center: 1, width: 2 } })).toEqual({ center: 1, width: 2 });
  });
});
