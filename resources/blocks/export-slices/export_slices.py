#!/usr/bin/env python3
"""Fluxo block "Export slices": writes slices of a volume as PNG pictures, plus one contact sheet.

Slices are shown the way radiologists look at them: axial and coronal with the patient's right on
the left of the picture, the front (axial) or the head (coronal, sagittal) at the top, sagittal with
the front on the left. Pixels are made square in millimetres, so thick slices do not look squashed.
With a mask connected, the outline of each labelled region is drawn in colour.
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
from nibabel.filebasedimages import ImageFileError  # noqa: E402
from scipy import ndimage  # noqa: E402

from fluxo_block import fail, parse_integer, write_atomically, write_figure, write_text  # noqa: E402

PLANES = {"axial": 2, "coronal": 1, "sagittal": 0}
COLOURS = (np.array(plt.get_cmap("tab10").colors) * 255).astype(np.uint8)
SHEET_LIMIT = 48


def load(path, what, hint):
    if not os.path.isfile(path):
        fail('the %s "%s" does not exist; run the step that produces it first.' % (what, path))
    try:
        image = nib.load(path)
        data = np.asanyarray(image.dataobj)
    except (ImageFileError, OSError, EOFError, ValueError) as exc:
        fail('the %s "%s" is not a readable NIfTI image (%s); %s' % (what, os.path.basename(path), type(exc).__name__, hint))
    if data.ndim != 3:
        fail('the %s "%s" has %d dimensions; this block needs a 3D volume.' % (what, os.path.basename(path), data.ndim))
    return image


def plane_of(volume, plane, index):
    """One slice of a RAS-oriented volume as a picture (rows top to bottom, columns left to right)."""
    if plane == "axial":
        return volume[::-1, ::-1, index].T
    if plane == "coronal":
        return volume[::-1, index, ::-1].T
    return volume[index, ::-1, ::-1].T


def pixel_mm(zooms, plane):
    """(row height, column width) in mm of the pictures plane_of makes."""
    sx, sy, sz = zooms
    return {"axial": (sy, sx), "coronal": (sz, sx), "sagittal": (sz, sy)}[plane]


def square(picture, size_mm, order):
    smallest = min(size_mm)
    factors = [s / smallest for s in size_mm]
    if all(abs(f - 1) < 1e-3 for f in factors):
        return picture
    return ndimage.zoom(picture, factors, order=order, mode="nearest", grid_mode=True)


def render(grey, labels, low, high):
    scaled = np.clip((grey - low) / (high - low), 0, 1) if high > low else np.zeros_like(grey)
    rgb = np.repeat((scaled * 255).round().astype(np.uint8)[..., None], 3, axis=2)
    if labels is not None:
        # The outline is the region's own border pixels: the region minus its erosion.
        for label in np.unique(labels[labels > 0]):
            region = labels == label
            edge = region & ~ndimage.binary_erosion(region)
            rgb[edge] = COLOURS[(int(label) - 1) % len(COLOURS)]
    return rgb


def choose(n, selection, every, count):
    if selection == "every":
        return list(range(0, n, every))
    count = min(count, n)
    return sorted(set(np.linspace(0, n - 1, count).round().astype(int).tolist()))


def main():
    parser = argparse.ArgumentParser(description="Export slices of a volume as PNG pictures.")
    parser.add_argument("--image", default="")
    parser.add_argument("--mask", default="")
    parser.add_argument("--plane", default="axial")
    parser.add_argument("--selection", default="count")
    parser.add_argument("--every", default="5")
    parser.add_argument("--count", default="12")
    parser.add_argument("--contrast", default="percentile")
    parser.add_argument("--slices", required=True)
    parser.add_argument("--contact-sheet", required=True)
    args = parser.parse_args()

    plane = args.plane.strip() or "axial"
    selection = args.selection.strip() or "count"
    contrast = args.contrast.strip() or "percentile"
    if plane not in PLANES:
        fail('unknown plane "%s"; choose axial, coronal or sagittal.' % plane)
    if selection not in ("every", "count"):
        fail('unknown selection "%s"; choose every or count.' % selection)
    if contrast not in ("percentile", "full"):
        fail('unknown contrast "%s"; choose percentile or full.' % contrast)
    every = parse_integer(args.every, "Every Nth slice", 5)
    count = parse_integer(args.count, "Number of slices", 12)
    if every < 1:
        fail('"Every Nth slice" must be 1 or more (it is %d).' % every)
    if count < 1:
        fail('"Number of slices" must be 1 or more (it is %d).' % count)
    if not args.image:
        fail("no image is connected; connect a volume (for example the output of Load DICOM series or Preprocess volume).")

    original = load(args.image, "image", "connect the output of an imaging block.")
    image = nib.as_closest_canonical(original)
    volume = np.asanyarray(image.dataobj).astype(np.float32)
    labels = None
    if args.mask:
        mask_image = load(args.mask, "mask", "connect the mask output of a segmentation block.")
        if mask_image.shape != original.shape or not np.allclose(mask_image.affine, original.affine, atol=1e-3):
            fail("the mask does not lie on the image's voxel grid (mask %s, image %s voxels); connect the mask that "
                 "was made from this image." % (" x ".join(str(s) for s in mask_image.shape),
                                                " x ".join(str(s) for s in original.shape)))
        labels = np.asanyarray(nib.as_closest_canonical(mask_image).dataobj).astype(np.int32)

    finite = volume[np.isfinite(volume)]
    if finite.size == 0:
        fail("every voxel of the image is NaN or infinite; there is nothing to show.")
    low, high = np.percentile(finite, [1, 99]) if contrast == "percentile" else (finite.min(), finite.max())
    volume = np.where(np.isfinite(volume), volume, low)
    zooms = [float(z) for z in image.header.get_zooms()[:3]]
    axis = PLANES[plane]
    n = volume.shape[axis]
    picks = choose(n, selection, every, count)

    folder = args.slices
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):  # a rerun with other settings must not leave old pictures behind
        if name.endswith(".png") or name == "slices.csv":
            os.remove(os.path.join(folder, name))
    width = max(3, len(str(n - 1)))
    size_mm = pixel_mm(zooms, plane)
    table = ["file,plane,slice,position_mm" + (",mask_voxels" if labels is not None else "")]
    pictures = []
    for index in picks:
        grey = square(plane_of(volume, plane, index), size_mm, 1)
        outline = square(plane_of(labels, plane, index), size_mm, 0) if labels is not None else None
        rgb = render(grey, outline, low, high)
        name = "%s_%0*d.png" % (plane, width, index)
        write_atomically(os.path.join(folder, name), lambda tmp, rgb=rgb: plt.imsave(tmp, rgb, format="png"))
        voxel = [0, 0, 0]
        voxel[axis] = index
        position = float((image.affine @ np.r_[voxel, 1.0])[axis])
        row = "%s,%s,%d,%.2f" % (name, plane, index, position)
        if labels is not None:
            row += ",%d" % int((plane_of(labels, plane, index) > 0).sum())
        table.append(row)
        pictures.append((index, position, rgb))
    write_text(os.path.join(folder, "slices.csv"), "\n".join(table) + "\n")

    shown = pictures
    if len(pictures) > SHEET_LIMIT:
        keep = np.linspace(0, len(pictures) - 1, SHEET_LIMIT).round().astype(int)
        shown = [pictures[i] for i in keep]
        print("Note: the contact sheet shows %d of the %d exported slices." % (SHEET_LIMIT, len(pictures)))
    cols = min(6, len(shown))
    rows = int(np.ceil(len(shown) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 2.4 * rows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (index, position, rgb) in zip(axes.flat, shown):
        ax.imshow(rgb, interpolation="nearest")
        ax.set_title("%d (%.1f mm)" % (index, position), fontsize=8)
    fig.suptitle("%s slices, %d of %d%s" % (plane.capitalize(), len(picks), n, ", with mask outlines" if labels is not None else ""),
                 fontsize=10)
    fig.tight_layout()
    write_figure(fig, args.contact_sheet, dpi=100)
    print("Exported %d %s slice(s) of %d (%s), contrast %.4g to %.4g%s"
          % (len(picks), plane, n, "every %d" % every if selection == "every" else "%d evenly spaced" % count, low,
             high, "; mask outlines drawn" if labels is not None else ""))
    print("Wrote %s (PNG pictures and slices.csv) and %s" % (folder, args.contact_sheet))


if __name__ == "__main__":
    main()
