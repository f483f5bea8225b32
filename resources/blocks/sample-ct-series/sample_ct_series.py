#!/usr/bin/env python3
"""Fluxo block "Sample CT series": writes a synthetic CT scan as a folder of DICOM files, with its answer key.

The phantom is an elliptic cylinder of soft tissue (a fat rim around it, air outside) holding a few
bright spherical "lesions". Every value is made here from the settings, so the same seed always
gives the same files, nothing is downloaded, and the true lesion positions and volumes are known
(lesions.csv): a segmentation can be checked against them.
"""
import argparse
import math
import os

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from fluxo_block import fail, parse_integer, parse_number, write_atomically, write_text

ROWS = COLUMNS = 128
PIXEL_MM = 0.9
SLICE_MM = 2.5
# Body cross-section (elliptic cylinder along the scanner axis) and its fat rim, in mm.
BODY_A, BODY_B, FAT_MM = 50.0, 40.0, 5.0
HU_AIR, HU_FAT, HU_TISSUE, HU_LESION = -1000.0, -100.0, 40.0, 180.0
RADII_MM = [12.0, 9.0, 6.0, 10.0, 7.0]
# A fixed date keeps the files identical from run to run; it is not a real examination date.
STUDY_DATE = "20260101"


def place_lesions(count, z_half, rng):
    """Centres (x, y, z in mm, DICOM patient coordinates) inside the tissue, not touching each other."""
    placed = []
    for radius in RADII_MM[:count]:
        for _ in range(10000):
            x = rng.uniform(-BODY_A, BODY_A)
            y = rng.uniform(-BODY_B, BODY_B)
            z = rng.uniform(-z_half + radius + 3, z_half - radius - 3)
            # Stay well inside the tissue: the ellipse shrunk by the fat rim, the radius and a margin.
            a, b = BODY_A - FAT_MM - radius - 4, BODY_B - FAT_MM - radius - 4
            if (x / a) ** 2 + (y / b) ** 2 > 1:
                continue
            if all(math.dist((x, y, z), (px, py, pz)) > radius + pr + 6 for px, py, pz, pr in placed):
                placed.append((x, y, z, radius))
                break
        else:
            fail("could not place %d lesions without overlap; ask for fewer lesions or more slices." % count)
    return placed


def uid(seed, *parts):
    """The same seed gives the same UIDs, so a rerun writes byte-identical files (under pydicom's UID root)."""
    return generate_uid(entropy_srcs=["fluxo-sample-ct", str(seed)] + [str(p) for p in parts])


def main():
    parser = argparse.ArgumentParser(description="Write a synthetic CT series (DICOM) with known lesions.")
    parser.add_argument("--lesions", default="3")
    parser.add_argument("--slices", default="40")
    parser.add_argument("--noise", default="15")
    parser.add_argument("--seed", default="7")
    parser.add_argument("--series", required=True)
    parser.add_argument("--truth", required=True)
    args = parser.parse_args()

    lesions = parse_integer(args.lesions, "Lesions", 3)
    slices = parse_integer(args.slices, "Slices", 40)
    noise = parse_number(args.noise, "Noise (HU)", 15.0)
    seed = parse_integer(args.seed, "Random seed", 7)
    if not 1 <= lesions <= len(RADII_MM):
        fail('"Lesions" must be between 1 and %d (it is %d).' % (len(RADII_MM), lesions))
    if not 16 <= slices <= 200:
        fail('"Slices" must be between 16 and 200 (it is %d).' % slices)
    if not 0 <= noise <= 200:
        fail('"Noise (HU)" must be between 0 and 200 (it is %g).' % noise)

    rng = np.random.default_rng(seed)
    z_half = slices * SLICE_MM / 2
    centres = place_lesions(lesions, z_half, rng)

    # Voxel centres in DICOM patient coordinates (LPS, mm); slice 0 is the top (head) end, as scanners number them.
    xs = (np.arange(COLUMNS) - (COLUMNS - 1) / 2) * PIXEL_MM
    ys = (np.arange(ROWS) - (ROWS - 1) / 2) * PIXEL_MM
    zs = z_half - SLICE_MM / 2 - np.arange(slices) * SLICE_MM
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    inside = (xx / BODY_A) ** 2 + (yy / BODY_B) ** 2
    # Tissue fills the body scaled by (A - FAT) / A: a rim of 5 mm at the sides and 4 mm front and back.
    fat_limit = ((BODY_A - FAT_MM) / BODY_A) ** 2
    section = np.full((ROWS, COLUMNS), HU_AIR)
    section[inside <= 1] = HU_FAT
    section[inside <= fat_limit] = HU_TISSUE

    study_uid, series_uid, frame_uid = uid(seed, "study"), uid(seed, "series"), uid(seed, "frame")
    folder = args.series
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):  # a rerun with fewer slices must not leave old slices behind
        if name.endswith(".dcm"):
            os.remove(os.path.join(folder, name))

    for k, z in enumerate(zs):
        hu = section.copy()
        for cx, cy, cz, radius in centres:
            hu[(xx - cx) ** 2 + (yy - cy) ** 2 + (z - cz) ** 2 <= radius ** 2] = HU_LESION
        hu = hu + rng.normal(0.0, noise, hu.shape) if noise > 0 else hu
        stored = np.clip(np.round(hu + 1024), 0, 4095).astype(np.uint16)

        instance_uid = uid(seed, "image", k)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = instance_uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset("", {}, file_meta=meta, preamble=b"\0" * 128)
        ds.is_little_endian = True
        ds.is_implicit_VR = False
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = instance_uid
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_uid
        ds.Modality = "CT"
        ds.Manufacturer = "Fluxo (synthetic)"
        ds.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]
        # Obviously synthetic identity: the loader must not copy these, and tests check it does not.
        ds.PatientName = "Phantom^Fluxo"
        ds.PatientID = "FLUXO-PHANTOM-%d" % seed
        ds.PatientBirthDate = ""
        ds.PatientSex = "O"
        ds.StudyDate = ds.SeriesDate = ds.ContentDate = STUDY_DATE
        ds.StudyID = "1"
        ds.SeriesDescription = "Fluxo synthetic CT phantom"
        ds.BodyPartExamined = "PHANTOM"
        ds.SeriesNumber = 1
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [float(xs[0]), float(ys[0]), float(z)]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing = [PIXEL_MM, PIXEL_MM]
        ds.SliceThickness = SLICE_MM
        ds.SliceLocation = float(z)
        ds.Rows, ds.Columns = ROWS, COLUMNS
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
        ds.WindowCenter, ds.WindowWidth = 40, 400
        ds.PixelData = stored.tobytes()
        # File names follow the UIDs, not the slice order, as on many PACS exports: the loader must sort by position.
        path = os.path.join(folder, "IM_%s.dcm" % instance_uid.rsplit(".", 1)[-1][:16])
        write_atomically(path, lambda tmp, ds=ds: pydicom.dcmwrite(tmp, ds, write_like_original=False))

    lines = ["label,centre_x_mm,centre_y_mm,centre_z_mm,radius_mm,volume_ml"]
    for label, (cx, cy, cz, radius) in enumerate(centres, start=1):
        # NIfTI world coordinates (RAS) like every later imaging block: DICOM's x and y change sign.
        lines.append("%d,%.3f,%.3f,%.3f,%.1f,%.4f" % (label, -cx, -cy, cz, radius, 4 / 3 * math.pi * radius ** 3 / 1000))
    write_text(args.truth, "\n".join(lines) + "\n")

    print("Wrote a synthetic CT series: %d slices of %d x %d pixels, %.1f x %.1f x %.1f mm voxels, %d lesion(s), "
          "noise %.0f HU" % (slices, ROWS, COLUMNS, PIXEL_MM, PIXEL_MM, SLICE_MM, lesions, noise))
    print("Wrote %s and %s" % (folder, args.truth))


if __name__ == "__main__":
    main()
