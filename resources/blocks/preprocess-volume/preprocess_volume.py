#!/usr/bin/env python3
"""Fluxo block "Preprocess volume": crop, resample to a voxel size, and normalise intensities.

The steps run in that order: cropping first so less has to be resampled, normalising last so the
numbers are computed on the final grid. The affine is updated at every step, so a point keeps its
position in millimetres: masks and measurements made later still line up with the scanner.
"""
import argparse
import os

import nibabel as nib
import numpy as np
from nibabel.filebasedimages import ImageFileError
from scipy import ndimage
from skimage.filters import threshold_otsu

from fluxo_block import fail, parse_number, write_atomically

# (level, width) in Hounsfield units: the usual radiology presets.
WINDOWS = {
    "soft_tissue": (40.0, 400.0),
    "lung": (-600.0, 1500.0),
    "bone": (400.0, 1800.0),
    "brain": (40.0, 80.0),
    "liver": (30.0, 150.0),
}


def load_volume(path):
    if not path:
        fail("no image is connected; connect a volume (for example the output of Load DICOM series or Load NIfTI).")
    if not os.path.isfile(path):
        fail('the image "%s" does not exist; run the step that produces it first.' % path)
    try:
        image = nib.load(path)
        data = np.asanyarray(image.dataobj).astype(np.float32)
    except (ImageFileError, OSError, EOFError, ValueError) as exc:
        fail('"%s" is not a readable NIfTI image (%s); connect the output of Load DICOM series or Load NIfTI.'
             % (os.path.basename(path), type(exc).__name__))
    if data.ndim != 3:
        fail('"%s" has %d dimensions; this block needs a 3D volume (use Load NIfTI to pick one volume of a 4D file).'
             % (os.path.basename(path), data.ndim))
    return image, data


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


def spacing_of(affine):
    return np.sqrt((affine[:3, :3] ** 2).sum(axis=0))


def crop(data, affine, mode, margin_mm):
    spacing = spacing_of(affine)
    margin = np.ceil(margin_mm / spacing).astype(int)
    if mode == "foreground":
        threshold = threshold_otsu(data)
        inside = np.argwhere(data > threshold)
        if inside.size == 0:
            fail("the image has no foreground to crop to (every voxel has the same value); set \"Crop\" to none.")
        low = np.maximum(inside.min(axis=0) - margin, 0)
        high = np.minimum(inside.max(axis=0) + 1 + margin, data.shape)
        how = "to the foreground (above %.4g, Otsu) plus %.3g mm" % (threshold, margin_mm)
    else:
        low, high = margin, np.array(data.shape) - margin
        if np.any(high <= low):
            fail('removing %.3g mm from every side leaves nothing of a %s voxel image; use a smaller "Margin (mm)".'
                 % (margin_mm, " x ".join(str(s) for s in data.shape)))
        how = "by %.3g mm on every side" % margin_mm
    cropped = data[low[0]:high[0], low[1]:high[1], low[2]:high[2]]
    moved = affine.copy()
    moved[:3, 3] = affine[:3, :3] @ low + affine[:3, 3]
    print("Cropped %s: %s -> %s voxels" % (how, " x ".join(str(s) for s in data.shape),
                                          " x ".join(str(s) for s in cropped.shape)))
    return np.ascontiguousarray(cropped), moved


def resample(data, affine, target_mm):
    spacing = spacing_of(affine)
    shape = np.array(data.shape)
    new_shape = np.maximum(np.round(shape * spacing / target_mm).astype(int), 1)
    factors = new_shape / shape
    # grid_mode: voxels are boxes and the field of view is kept edge to edge, so the new voxel size is
    # exactly old size * old count / new count (close to the target when the extent is not a multiple of it).
    resampled = ndimage.zoom(data, factors, order=1, mode="nearest", grid_mode=True)
    ratio = shape / new_shape
    # New voxel o lies where old voxel (o + 0.5) * ratio - 0.5 was.
    scale = np.eye(4)
    scale[:3, :3] = np.diag(ratio)
    scale[:3, 3] = (ratio - 1) / 2
    moved = affine @ scale
    print("Resampled from %s mm to %s mm voxels: %s -> %s"
          % (" x ".join("%.3g" % s for s in spacing), " x ".join("%.3g" % s for s in spacing_of(moved)),
             " x ".join(str(s) for s in shape), " x ".join(str(s) for s in resampled.shape)))
    return resampled.astype(np.float32), moved


def normalise(data, mode, window, level, width):
    if mode == "zscore":
        mean, std = float(data.mean()), float(data.std())
        if std == 0:
            fail("every voxel has the same value (%g), so it cannot be z-scored; choose another normalisation." % mean)
        print("Z-score: subtracted the mean %.4g and divided by the standard deviation %.4g" % (mean, std))
        return (data - mean) / std
    if mode == "minmax":
        low, high = float(data.min()), float(data.max())
        if high == low:
            fail("every voxel has the same value (%g), so it cannot be scaled to 0-1; choose another normalisation." % low)
        print("Min-max: mapped %.4g..%.4g to 0..1" % (low, high))
        return (data - low) / (high - low)
    if mode == "ct_window":
        if window != "custom":
            level, width = WINDOWS[window]
        if width <= 0:
            fail('"Window width" must be above 0 (it is %g).' % width)
        low = level - width / 2
        print("CT window %s: level %g, width %g -> %g..%g HU mapped to 0..1"
              % (window.replace("_", " "), level, width, low, low + width))
        return np.clip((data - low) / width, 0.0, 1.0)
    return data


def main():
    parser = argparse.ArgumentParser(description="Crop, resample and normalise a 3D volume.")
    parser.add_argument("--image", default="")
    parser.add_argument("--crop", default="none")
    parser.add_argument("--margin-mm", default="10")
    parser.add_argument("--spacing-mm", default="0")
    parser.add_argument("--normalise", default="zscore")
    parser.add_argument("--window", default="soft_tissue")
    parser.add_argument("--window-level", default="40")
    parser.add_argument("--window-width", default="400")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    crop_mode = args.crop.strip() or "none"
    norm_mode = args.normalise.strip() or "zscore"
    window = args.window.strip() or "soft_tissue"
    if crop_mode not in ("none", "foreground", "border"):
        fail('unknown crop "%s"; choose none, foreground or border.' % crop_mode)
    if norm_mode not in ("none", "zscore", "minmax", "ct_window"):
        fail('unknown normalisation "%s"; choose none, zscore, minmax or ct_window.' % norm_mode)
    if window not in WINDOWS and window != "custom":
        fail('unknown CT window "%s"; choose %s or custom.' % (window, ", ".join(WINDOWS)))
    margin_mm = parse_number(args.margin_mm, "Margin (mm)", 10.0)
    spacing_mm = parse_number(args.spacing_mm, "Voxel size (mm)", 0.0)
    level = parse_number(args.window_level, "Window level", 40.0)
    width = parse_number(args.window_width, "Window width", 400.0)
    if margin_mm < 0:
        fail('"Margin (mm)" must not be negative (it is %g).' % margin_mm)
    if spacing_mm < 0:
        fail('"Voxel size (mm)" must be 0 (keep) or above (it is %g).' % spacing_mm)

    image, data = load_volume(args.image)
    affine = image.affine.copy()
    print("Input: %s voxels of %s mm, values %.4g to %.4g" % (" x ".join(str(s) for s in data.shape),
                                                            " x ".join("%.3g" % s for s in spacing_of(affine)),
                                                            np.nanmin(data), np.nanmax(data)))
    missing = ~np.isfinite(data)
    if missing.any():
        # Interpolation would smear NaN over its neighbours; the lowest value stands for "no signal".
        print("Note: %d voxels are NaN or infinite; they are set to the lowest value (%g)." % (int(missing.sum()), np.nanmin(data)))
        data[missing] = np.nanmin(data)

    if crop_mode != "none":
        data, affine = crop(data, affine, crop_mode, margin_mm)
    if spacing_mm > 0:
        data, affine = resample(data, affine, spacing_mm)
    data = normalise(data, norm_mode, window, level, width).astype(np.float32)

    out = nib.Nifti1Image(data, affine)
    out.set_qform(affine, code=1)
    out.set_sform(affine, code=1)
    out.header.set_xyzt_units("mm")
    save_nifti(out, args.output)
    print("Output: %s voxels, values %.4g to %.4g" % (" x ".join(str(s) for s in data.shape), data.min(), data.max()))
    print("Wrote " + args.output)


if __name__ == "__main__":
    main()
