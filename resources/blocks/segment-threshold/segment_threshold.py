#!/usr/bin/env python3
"""Fluxo block "Segment by threshold": a baseline segmentation (threshold + connected components).

Voxels beyond a threshold (Otsu's, or a value the user sets) are grouped into connected components;
components below a minimum volume are dropped and the K largest are kept. The mask labels the kept
components 1, 2, ... from the largest down, in the same order as the rows of the components table.
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
from nibabel.filebasedimages import ImageFileError  # noqa: E402
from scipy import ndimage  # noqa: E402
from skimage.filters import threshold_otsu  # noqa: E402

from fluxo_block import fail, parse_integer, parse_number, write_atomically, write_figure, write_text  # noqa: E402

CONNECTIVITY = {"faces": 1, "edges": 2, "corners": 3}
OVERLAY_SLICES = 12
COLOURS = plt.get_cmap("tab10").colors


def load_volume(path):
    if not path:
        fail("no image is connected; connect a volume (for example the output of Preprocess volume or Load DICOM series).")
    if not os.path.isfile(path):
        fail('the image "%s" does not exist; run the step that produces it first.' % path)
    try:
        image = nib.load(path)
        data = np.asanyarray(image.dataobj).astype(np.float32)
    except (ImageFileError, OSError, EOFError, ValueError) as exc:
        fail('"%s" is not a readable NIfTI image (%s); connect the output of an imaging block.'
             % (os.path.basename(path), type(exc).__name__))
    if data.ndim != 3:
        fail('"%s" has %d dimensions; this block needs a 3D volume.' % (os.path.basename(path), data.ndim))
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


def draw_overlay(image, mask, title, path):
    """Axial slices through the mask, in radiological view (patient's right on the left, front at the top)."""
    canonical = nib.as_closest_canonical(image)
    ornt = nib.orientations.io_orientation(image.affine)
    data = np.asanyarray(canonical.dataobj).astype(np.float32)
    labels = nib.orientations.apply_orientation(mask, ornt)
    sx, sy = canonical.header.get_zooms()[:2]
    with_mask = np.flatnonzero(labels.reshape(-1, labels.shape[2]).any(axis=0))
    candidates = with_mask if with_mask.size else np.arange(data.shape[2])
    picks = np.unique(candidates[np.linspace(0, candidates.size - 1, min(OVERLAY_SLICES, candidates.size)).round().astype(int)])
    low, high = np.percentile(data, [1, 99])
    cols = min(4, picks.size)
    rows = int(np.ceil(picks.size / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 3 * rows + 0.6), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, k in zip(axes.flat, picks):
        ax.imshow(data[::-1, ::-1, k].T, cmap="gray", vmin=low, vmax=high if high > low else low + 1,
                  aspect=sy / sx, interpolation="nearest")
        plane = labels[::-1, ::-1, k].T
        for label in np.unique(plane[plane > 0]):
            ax.contour(plane == label, levels=[0.5], colors=[COLOURS[(int(label) - 1) % len(COLOURS)]], linewidths=1.2)
        z = (canonical.affine @ [0, 0, k, 1])[2]
        ax.set_title("slice %d (z = %.1f mm)" % (k, z), fontsize=9)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    write_figure(fig, path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description="Threshold a volume and keep its largest connected components.")
    parser.add_argument("--image", default="")
    parser.add_argument("--method", default="otsu")
    parser.add_argument("--threshold", default="0")
    parser.add_argument("--side", default="above")
    parser.add_argument("--keep-largest", default="0")
    parser.add_argument("--min-volume-ml", default="0.05")
    parser.add_argument("--connectivity", default="faces")
    parser.add_argument("--mask", required=True)
    parser.add_argument("--components", required=True)
    parser.add_argument("--overlay", required=True)
    parser.add_argument("--summary", required=True)
    args = parser.parse_args()

    method = args.method.strip() or "otsu"
    side = args.side.strip() or "above"
    connectivity = args.connectivity.strip() or "faces"
    if method not in ("otsu", "fixed"):
        fail('unknown method "%s"; choose otsu or fixed.' % method)
    if side not in ("above", "below"):
        fail('unknown side "%s"; choose above or below.' % side)
    if connectivity not in CONNECTIVITY:
        fail('unknown connectivity "%s"; choose faces, edges or corners.' % connectivity)
    keep = parse_integer(args.keep_largest, "Keep largest", 0)
    min_ml = parse_number(args.min_volume_ml, "Smallest component (mL)", 0.05)
    if keep < 0:
        fail('"Keep largest" must be 0 (keep all) or more (it is %d).' % keep)
    if min_ml < 0:
        fail('"Smallest component (mL)" must not be negative (it is %g).' % min_ml)

    image, data = load_volume(args.image)
    finite = np.isfinite(data)
    if not finite.any():
        fail("every voxel of the image is NaN or infinite; there is nothing to segment.")
    if method == "otsu":
        if float(np.nanmin(data[finite])) == float(np.nanmax(data[finite])):
            fail("every voxel has the same value (%g), so Otsu's method has nothing to separate; set \"Method\" to "
                 "fixed." % float(data[finite][0]))
        threshold = float(threshold_otsu(data[finite]))
    else:
        threshold = parse_number(args.threshold, "Threshold", 0.0)
    selected = (data > threshold) if side == "above" else (data < threshold)
    selected &= finite

    voxel_ml = abs(float(np.linalg.det(image.affine[:3, :3]))) / 1000.0
    labelled, found = ndimage.label(selected, structure=ndimage.generate_binary_structure(3, CONNECTIVITY[connectivity]))
    sizes = np.bincount(labelled.ravel(), minlength=found + 1)[1:]
    order = np.argsort(-sizes, kind="stable")
    big_enough = [int(i) + 1 for i in order if sizes[i] * voxel_ml >= min_ml]
    kept = big_enough[:keep] if keep > 0 else big_enough
    print("Threshold %.6g (%s), keeping voxels %s it: %d voxels in %d connected component(s); %d smaller than "
          "%.4g mL dropped%s" % (threshold, "Otsu" if method == "otsu" else "fixed", side, int(selected.sum()), found,
                                 found - len(big_enough), min_ml,
                                 "; %d beyond the %d largest dropped" % (len(big_enough) - len(kept), keep) if keep else ""))

    relabel = np.zeros(found + 1, dtype=np.uint16)
    for new, old in enumerate(kept, start=1):
        relabel[old] = new
    mask = relabel[labelled]
    mask = mask.astype(np.uint8) if len(kept) < 256 else mask

    lines = ["label,voxels,volume_ml,mean_value,max_value,centroid_x_mm,centroid_y_mm,centroid_z_mm"]
    rows = []
    if kept:
        indices = list(range(1, len(kept) + 1))
        counts = ndimage.sum_labels(np.ones_like(data), mask, indices)
        means = ndimage.mean(data, mask, indices)
        maxima = ndimage.maximum(data, mask, indices)
        centres = ndimage.center_of_mass(np.ones_like(data), mask, indices)
        for label, count, mean, maximum, centre in zip(indices, counts, means, maxima, centres):
            world = image.affine @ np.r_[centre, 1.0]
            rows.append({"label": label, "voxels": int(count), "volume_ml": round(float(count) * voxel_ml, 4)})
            lines.append("%d,%d,%.4f,%.6g,%.6g,%.2f,%.2f,%.2f" % (label, int(count), float(count) * voxel_ml, mean,
                                                              maximum, world[0], world[1], world[2]))
    else:
        print("Note: no component is left; the mask is empty. Check the threshold against the image's values "
              "(%.4g to %.4g)." % (float(data[finite].min()), float(data[finite].max())))

    out = nib.Nifti1Image(mask, image.affine)
    out.set_qform(image.affine, code=1)
    out.set_sform(image.affine, code=1)
    out.header.set_xyzt_units("mm")
    save_nifti(out, args.mask)
    write_text(args.components, "\n".join(lines) + "\n")
    total = sum(r["volume_ml"] for r in rows)
    summary = {
        "method": method,
        "threshold": round(threshold, 6),
        "side": side,
        "connectivity": connectivity,
        "components": len(kept),
        "total_volume_ml": round(total, 4),
        "largest_volume_ml": rows[0]["volume_ml"] if rows else 0.0,
        "voxel_volume_ml": round(voxel_ml, 8),
        "removed_small": found - len(big_enough),
        "removed_beyond_largest": len(big_enough) - len(kept),
    }
    write_text(args.summary, json.dumps(summary, indent=2) + "\n")
    title = "%d component(s), %.2f mL in total (threshold %.4g, %s)" % (len(kept), total, threshold, method)
    draw_overlay(image, mask, title, args.overlay)
    for r in rows[:10]:
        print("  component %d: %d voxels, %.4g mL" % (r["label"], r["voxels"], r["volume_ml"]))
    if len(rows) > 10:
        print("  ... and %d more (see the components table)" % (len(rows) - 10))
    print("Wrote %s, %s, %s, %s" % (args.mask, args.components, args.overlay, args.summary))


if __name__ == "__main__":
    main()
