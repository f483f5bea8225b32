#!/usr/bin/env python3
"""Fluxo block "Load DICOM series": turns one CT/MR series (a folder of DICOM files) into a NIfTI volume.

Slices are ordered by their position along the slice normal (not by file name or instance number),
the voxel size comes from PixelSpacing and the distance between slice positions, and each slice's
rescale slope and intercept are applied (Hounsfield units for CT). The NIfTI affine maps voxels to
the scanner's patient coordinates converted from DICOM's LPS to NIfTI's RAS convention. The metadata
JSON holds technical facts only: no names, identifiers, dates, UIDs or free-text descriptions.
"""
import argparse
import json
import os

import nibabel as nib
import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue

from fluxo_block import fail, plain, write_atomically, write_text

# Relative tolerance on slice distances: scanners write positions rounded to ~0.01 mm.
SPACING_TOLERANCE = 0.01
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def choose_folder(connected, setting):
    if connected:
        if setting:
            print('Note: a DICOM series is connected, so the "Folder" setting (%s) is not used.' % setting)
        return connected
    if setting:
        return setting
    fail('no DICOM folder: set "Folder" in the step\'s settings, or connect a DICOM series (for example from '
         "Sample CT series).")


def scan(folder):
    """Headers of every DICOM image below ``folder`` (pixels are read later, for the chosen series only)."""
    if not os.path.exists(folder):
        fail('the folder "%s" does not exist; check "Folder" in the step\'s settings.' % folder)
    if not os.path.isdir(folder):
        fail('"%s" is a file, not a folder; choose the folder that holds the DICOM files of the series.' % folder)
    images, other, skipped = [], 0, 0
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True)
            except (InvalidDicomError, OSError, ValueError, EOFError, AttributeError, KeyError, TypeError):
                skipped += 1
                continue
            if "Rows" in ds and "Columns" in ds and "SeriesInstanceUID" in ds:
                images.append((path, ds))
            else:
                other += 1  # DICOMDIR indexes, structured reports, RT plans: DICOM, but not images
    if not images:
        fail('no DICOM images in "%s" (looked at %d file(s) in it and its subfolders: %d DICOM file(s) without an '
             "image, %d other file(s)); choose the folder that holds the series' .dcm files."
             % (folder, other + skipped, other, skipped))
    return images


def describe_series(uid, items):
    first = items[0][1]
    return "series %s (%s, %d image(s) of %s x %s, SeriesInstanceUID %s)" % (
        first.get("SeriesNumber", "?"), first.get("Modality", "?"), len(items), first.get("Columns"), first.get("Rows"), uid)


def pick_series(images, wanted):
    groups = {}
    for path, ds in images:
        groups.setdefault(str(ds.SeriesInstanceUID), []).append((path, ds))
    print("Found %d DICOM image(s) in %d series:" % (len(images), len(groups)))
    for uid, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print("  " + describe_series(uid, items))
    if wanted:
        if wanted not in groups:
            fail('no series has SeriesInstanceUID "%s"; this folder holds: %s. Copy one of them into "Series UID", '
                 "or leave it empty to load the largest series."
                 % (wanted, "; ".join(describe_series(u, i) for u, i in sorted(groups.items()))))
        return groups[wanted]
    return groups[sorted(groups, key=lambda u: (-len(groups[u]), u))[0]]


def check_geometry(items):
    """Sorted slices and the volume's geometry, or a plain reason why these images are not one volume."""
    sizes = {}
    for path, ds in items:
        sizes.setdefault((int(ds.Rows), int(ds.Columns)), []).append(path)
    if len(sizes) > 1:
        listing = ", ".join("%d x %d (%d file(s), e.g. %s)" % (c, r, len(p), os.path.basename(p[0]))
                            for (r, c), p in sorted(sizes.items(), key=lambda kv: -len(kv[1])))
        fail("the images of this series have different sizes: %s. A volume needs equal slices; remove the odd files "
             "or choose another series." % listing)
    first = items[0][1]
    if int(first.get("SamplesPerPixel", 1)) != 1:
        fail("this series holds colour images (%s); only greyscale CT/MR/PET series can be loaded as a volume."
             % first.get("PhotometricInterpretation", "RGB"))
    if any(int(ds.get("NumberOfFrames", 1) or 1) > 1 for _, ds in items):
        fail("this series is stored as multi-frame (enhanced) DICOM, which this block does not read yet; export it "
             "as one file per slice (classic DICOM) or convert it to NIfTI and use Load NIfTI.")
    missing = [os.path.basename(p) for p, ds in items if "ImagePositionPatient" not in ds or "ImageOrientationPatient" not in ds]
    if missing:
        fail("%d image(s) of this series have no position in space (ImagePositionPatient), e.g. %s: they are "
             "projections or screenshots, not slices of a volume." % (len(missing), missing[0]))
    orientation = np.array([float(v) for v in first.ImageOrientationPatient])
    for path, ds in items:
        if not np.allclose([float(v) for v in ds.ImageOrientationPatient], orientation, atol=1e-4):
            fail("the slices of this series are not parallel (%s is tilted differently from %s): it is a localiser, "
                 "radial or multi-planar series, not a volume; choose another series."
                 % (os.path.basename(path), os.path.basename(items[0][0])))
    row_dir, col_dir = orientation[:3], orientation[3:]
    normal = np.cross(row_dir, col_dir)
    placed = sorted(((float(np.dot(normal, [float(v) for v in ds.ImagePositionPatient])), path, ds)
                     for path, ds in items), key=lambda t: t[0])
    spacing_rc = [float(v) for v in first.get("PixelSpacing", [1.0, 1.0])]
    if "PixelSpacing" not in first:
        print("Note: the images have no PixelSpacing; assuming 1 mm pixels.")
    heights = np.array([t[0] for t in placed])
    if len(placed) > 1:
        gaps = np.diff(heights)
        same = int((gaps < 1e-3).sum())
        if same:
            fail("%d image(s) share a slice position with another one (several echoes, phases or time points in one "
                 "series?); split them into separate folders and load one at a time." % same)
        typical = float(np.median(gaps))
        worst = int(np.argmax(np.abs(gaps - typical)))
        if abs(gaps[worst] - typical) > SPACING_TOLERANCE * typical + 0.01:
            fail("the slices are not evenly spaced: most are %.3g mm apart, but %.4g mm separate the slices at "
                 "%.4g mm and %.4g mm (missing slices?). Load a complete series."
                 % (typical, gaps[worst], heights[worst], heights[worst + 1]))
        step = (np.array([float(v) for v in placed[-1][2].ImagePositionPatient])
                - np.array([float(v) for v in placed[0][2].ImagePositionPatient])) / (len(placed) - 1)
    else:
        thickness = float(first.get("SpacingBetweenSlices", 0) or first.get("SliceThickness", 0) or 1.0)
        step = normal * thickness
        print("Note: the series has a single slice; its thickness (%.3g mm) is used as the slice spacing." % thickness)
    origin = np.array([float(v) for v in placed[0][2].ImagePositionPatient])
    # Voxel (i, j, k) = (column, row, slice). Column index runs along the row direction with the column spacing.
    lps = np.eye(4)
    lps[:3, 0] = row_dir * spacing_rc[1]
    lps[:3, 1] = col_dir * spacing_rc[0]
    lps[:3, 2] = step
    lps[:3, 3] = origin
    return [(t[1], t[2]) for t in placed], LPS_TO_RAS @ lps


def read_pixels(path):
    ds = pydicom.dcmread(path)
    syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    try:
        pixels = ds.pixel_array
    except Exception as exc:  # each missing decoder fails differently (RuntimeError, NotImplementedError, ...)
        if syntax is not None and syntax.is_compressed:
            fail('cannot decode "%s": its pixels are compressed as "%s" (%s) and this Python has no decoder for it. '
                 "Convert the series to uncompressed DICOM first (for example gdcmconv --raw or dcmdjpeg), or install "
                 "pylibjpeg with its plugins." % (os.path.basename(path), syntax.name, syntax))
        fail('cannot read the pixel data of "%s" (%s: %s).' % (os.path.basename(path), type(exc).__name__,
                                                               str(exc).strip().splitlines()[0] if str(exc).strip() else "no detail"))
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    return ds, pixels, slope, intercept


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
    parser = argparse.ArgumentParser(description="Load a DICOM series as a NIfTI volume.")
    parser.add_argument("--series", default="")
    parser.add_argument("--folder", default="")
    parser.add_argument("--series-uid", default="")
    parser.add_argument("--volume", required=True)
    parser.add_argument("--metadata", required=True)
    args = parser.parse_args()

    folder = choose_folder(args.series, args.folder)
    items = pick_series(scan(folder), args.series_uid.strip())
    ordered, affine = check_geometry(items)

    slices, slopes, intercepts, syntaxes = [], set(), set(), set()
    for path, _ in ordered:
        ds, pixels, slope, intercept = read_pixels(path)
        slopes.add(slope)
        intercepts.add(intercept)
        syntaxes.add(ds.file_meta.TransferSyntaxUID.name if "TransferSyntaxUID" in ds.file_meta else "unknown")
        slices.append(pixels.astype(np.float64) * slope + intercept)
    volume = np.stack(slices, axis=-1).transpose(1, 0, 2)  # (row, column, slice) -> (column, row, slice)
    exact = all(float(s).is_integer() for s in slopes | intercepts)
    if exact and volume.min() >= -32768 and volume.max() <= 32767:
        volume = volume.astype(np.int16)
    else:
        volume = volume.astype(np.float32)

    image = nib.Nifti1Image(volume, affine)
    image.set_qform(affine, code=1)
    image.set_sform(affine, code=1)
    image.header.set_xyzt_units("mm")
    save_nifti(image, args.volume)

    first = ordered[0][1]
    zooms = [float(v) for v in image.header.get_zooms()[:3]]
    modality = str(first.get("Modality", ""))
    metadata = {
        "source": "DICOM series",
        "modality": modality,
        "manufacturer": str(first.get("Manufacturer", "")),
        "body_part": str(first.get("BodyPartExamined", "")),
        "series_number": plain(first.get("SeriesNumber")) if first.get("SeriesNumber") is not None else None,
        "slices": len(ordered),
        "shape": [int(v) for v in volume.shape],
        "voxel_size_mm": [round(v, 4) for v in zooms],
        "orientation": "".join(nib.aff2axcodes(affine)),
        "units": "HU" if modality == "CT" else "scanner values",
        "rescale": {"slope": sorted(slopes), "intercept": sorted(intercepts)},
        "value_range": [float(volume.min()), float(volume.max())],
        "dtype": str(volume.dtype),
        "transfer_syntax": sorted(syntaxes),
        "slice_thickness_mm": float(first.SliceThickness) if first.get("SliceThickness") not in (None, "") else None,
        "deidentified": True,
        "not_copied": "patient and physician names, identifiers, birth date, dates and times, UIDs, institution and "
                      "free-text descriptions",
    }
    if first.get("WindowCenter") is not None and first.get("WindowWidth") is not None:
        center, width = first.WindowCenter, first.WindowWidth
        # Either a single value or a list of presets; the first one is the scanner's default.
        metadata["window"] = {"level": float(center[0] if isinstance(center, MultiValue) else center),
                              "width": float(width[0] if isinstance(width, MultiValue) else width)}
    write_text(args.metadata, json.dumps(metadata, indent=2) + "\n")

    print("Loaded %s series %s: %d slices of %d x %d, voxels %.3g x %.3g x %.3g mm, orientation %s, values %g to %g%s"
          % (modality or "?", first.get("SeriesNumber", "?"), volume.shape[2], volume.shape[0], volume.shape[1],
             zooms[0], zooms[1], zooms[2], metadata["orientation"], volume.min(), volume.max(),
             " HU" if metadata["units"] == "HU" else ""))
    print("Wrote %s and %s" % (args.volume, args.metadata))


if __name__ == "__main__":
    main()
