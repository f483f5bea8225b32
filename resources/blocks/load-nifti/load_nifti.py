#!/usr/bin/env python3
"""Fluxo block "Load NIfTI": reads a 3D (or one volume of a 4D) NIfTI image and passes it on as .nii.gz.

The geometry (affine) and the scanner values (after the file's own scaling) are kept unchanged, so
positions in millimetres mean the same before and after.
"""
import argparse
import json
import os

import nibabel as nib
import numpy as np
from nibabel.filebasedimages import ImageFileError

from fluxo_block import fail, parse_integer, write_atomically, write_text


def save_nifti(image, path):
    """nibabel picks the format from the file name, so the temporary file keeps the .nii.gz ending."""
    def write(tmp):
        named = tmp + ".nii.gz"
        try:
            nib.save(image, named)
            os.replace(named, tmp)
        finally:
            if os.path.exists(named):
                os.remove(named)

    write_atomically(path, write)


def main():
    parser = argparse.ArgumentParser(description="Load a NIfTI volume.")
    parser.add_argument("--file", default="")
    parser.add_argument("--volume-index", default="0")
    parser.add_argument("--volume", required=True)
    parser.add_argument("--metadata", required=True)
    args = parser.parse_args()

    path = args.file
    index = parse_integer(args.volume_index, "Volume (4D files)", 0)
    if not path:
        fail('no file was chosen; set "File" in the step\'s settings to a .nii or .nii.gz file.')
    if not os.path.exists(path):
        fail('the file "%s" does not exist; check "File" in the step\'s settings.' % path)
    if os.path.isdir(path):
        fail('"%s" is a folder; choose a .nii or .nii.gz file (for a folder of DICOM files use Load DICOM series).' % path)
    if not (path.endswith(".nii") or path.endswith(".nii.gz")):
        fail('"%s" is not a NIfTI file name (.nii or .nii.gz); convert the image to NIfTI first.' % os.path.basename(path))
    try:
        image = nib.load(path)
        data = np.asanyarray(image.dataobj)  # applies the file's scl_slope / scl_inter
    except (ImageFileError, OSError, EOFError, ValueError) as exc:
        fail('"%s" is not a readable NIfTI image (%s); check that the file is complete and really NIfTI.'
             % (os.path.basename(path), str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__))

    shape = data.shape
    while len(shape) > 3 and shape[-1] == 1:  # some tools write 3D images as (x, y, z, 1)
        data = data[..., 0]
        shape = data.shape
    if len(shape) < 3:
        fail('"%s" is a %dD image (%s); this block needs a 3D volume.' % (os.path.basename(path), len(shape),
                                                                           " x ".join(str(s) for s in shape)))
    if len(shape) > 4:
        fail('"%s" has %d dimensions (%s); only 3D volumes and 4D series of volumes can be loaded.'
             % (os.path.basename(path), len(shape), " x ".join(str(s) for s in shape)))
    volumes = shape[3] if len(shape) == 4 else 1
    if len(shape) == 4:
        if not 0 <= index < volumes:
            fail('"%s" holds %d volumes (numbered 0 to %d); set "Volume (4D files)" to one of them (it is %d).'
                 % (os.path.basename(path), volumes, volumes - 1, index))
        data = data[..., index]
        print("4D file with %d volumes: using volume %d" % (volumes, index))
    elif index != 0:
        print('Note: "%s" is a 3D volume, so "Volume (4D files)" (%d) is not used.' % (os.path.basename(path), index))
    if data.dtype.kind not in "iuf":
        fail('"%s" holds %s values (complex or RGB); only greyscale volumes can be loaded.' % (os.path.basename(path), data.dtype))
    if data.dtype.byteorder == ">":  # big-endian files (Analyze era) are stored in native order
        data = data.astype(data.dtype.newbyteorder("="))
    finite = np.isfinite(data)
    if not finite.all():
        print("Note: %d voxels are not numbers (NaN or infinite); later blocks treat them as missing." % int((~finite).sum()))

    affine = image.affine
    out = nib.Nifti1Image(np.ascontiguousarray(data), affine)
    out.set_qform(affine, code=int(image.header.get("qform_code", 1)) or 1)
    out.set_sform(affine, code=int(image.header.get("sform_code", 1)) or 1)
    out.header.set_xyzt_units("mm")
    save_nifti(out, args.volume)

    zooms = [float(v) for v in out.header.get_zooms()[:3]]
    values = data[finite] if not finite.all() else data
    if values.size == 0:
        fail('every voxel of "%s" is NaN or infinite; there is no image to load.' % os.path.basename(path))
    metadata = {
        "source": "NIfTI file",
        "volumes_in_file": int(volumes),
        "volume_index": int(index) if len(shape) == 4 else None,
        "shape": [int(v) for v in data.shape],
        "voxel_size_mm": [round(v, 4) for v in zooms],
        "orientation": "".join(nib.aff2axcodes(affine)),
        "value_range": [float(values.min()), float(values.max())],
        "dtype": str(data.dtype),
    }
    write_text(args.metadata, json.dumps(metadata, indent=2) + "\n")
    print("Loaded %s: %s voxels of %.3g x %.3g x %.3g mm, orientation %s, values %g to %g"
          % (os.path.basename(path), " x ".join(str(s) for s in data.shape), zooms[0], zooms[1], zooms[2],
             metadata["orientation"], metadata["value_range"][0], metadata["value_range"][1]))
    print("Wrote %s and %s" % (args.volume, args.metadata))


if __name__ == "__main__":
    main()
