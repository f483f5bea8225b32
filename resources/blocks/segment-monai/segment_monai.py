#!/usr/bin/env python3
"""Fluxo block "Segment with MONAI": runs the inference of a MONAI bundle on one volume.

A MONAI bundle is a folder with a trained model and its configuration (configs/inference.json and
models/model.pt), such as the ones of the MONAI Model Zoo (spleen_ct_segmentation, ...). The bundle
must already be on the cluster: compute nodes often have no internet, so nothing is downloaded here.
The bundle's own pipeline runs unchanged, except that its input list is this step's image and its
output folder is this step's folder; the mask it saves becomes the step's output.
"""
import argparse
import os
import sys

from fluxo_block import fail

CONTAINER = "docker://projectmonai/monai:1.3.2"


def require_monai():
    try:
        import monai.bundle
    except ImportError as exc:
        fail("MONAI cannot be imported by %s (%s): this block runs inside the container %s on a cluster with an "
             "NVIDIA GPU; choose a cluster target to run it." % (sys.executable, exc, CONTAINER))
    return monai.bundle


def find_config(bundle, config):
    path = os.path.join(bundle, config)
    if not os.path.isfile(path):
        present = sorted(os.listdir(os.path.join(bundle, "configs"))) if os.path.isdir(os.path.join(bundle, "configs")) else []
        fail('the bundle "%s" has no "%s"%s; set "Inference config" to the bundle\'s inference configuration.'
             % (bundle, config, " (its configs folder holds: %s)" % ", ".join(present) if present else ""))
    return path


def written_masks(folder):
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        found += [os.path.join(root, f) for f in sorted(files) if f.endswith((".nii.gz", ".nii"))]
    return found


def main():
    parser = argparse.ArgumentParser(description="Segment a volume with a MONAI bundle.")
    parser.add_argument("--image", default="")
    parser.add_argument("--bundle", default="")
    parser.add_argument("--config", default="configs/inference.json")
    parser.add_argument("--mask", required=True)
    args = parser.parse_args()

    bundle_api = require_monai()
    if not args.image:
        fail("no image is connected; connect a volume (for example the output of Load DICOM series or Preprocess volume).")
    if not os.path.isfile(args.image):
        fail('the image "%s" does not exist; run the step that produces it first.' % args.image)
    bundle = args.bundle
    if not bundle:
        fail('no bundle was chosen; set "Bundle folder" to a MONAI bundle already copied to the cluster.')
    if not os.path.isdir(bundle):
        fail('the bundle folder "%s" does not exist on this machine; copy the bundle to the cluster and set "Bundle '
             'folder" to where it is.' % bundle)
    config = find_config(bundle, args.config.strip() or "configs/inference.json")
    meta = os.path.join(bundle, "configs", "metadata.json")
    logging_file = os.path.join(bundle, "configs", "logging.conf")
    work = os.path.join(os.path.dirname(os.path.abspath(args.mask)), "bundle-output")
    os.makedirs(work, exist_ok=True)

    print("Running the inference of the MONAI bundle %s on %s" % (bundle, args.image))
    # Overrides replace the bundle's own input list and output folder; everything else is the bundle's.
    overrides = {"bundle_root": os.path.abspath(bundle), "output_dir": work, "datalist": [os.path.abspath(args.image)]}
    try:
        bundle_api.run(config_file=config, meta_file=meta if os.path.isfile(meta) else None,
                       logging_file=logging_file if os.path.isfile(logging_file) else None, **overrides)
    except Exception as exc:  # a bundle can fail in its own ways; the message is what the user needs
        fail("the MONAI bundle failed: %s: %s" % (type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else ""))
    masks = written_masks(work)
    if len(masks) != 1:
        fail("the bundle wrote %d NIfTI files into %s (expected one mask); check that its inference config saves the "
             "prediction with SaveImaged into output_dir." % (len(masks), work))
    os.replace(masks[0], args.mask)
    print("Wrote " + args.mask)


if __name__ == "__main__":
    main()
