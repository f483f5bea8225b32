#!/usr/bin/env python3
"""Fluxo block "Predict with CNN": applies a model from Train CNN to every picture in a folder.

Pictures are prepared exactly as in training (greyscale, scaled by bit depth, resized, standardised
with the training mean and deviation stored in the model). When a picture sits in a subfolder named
like one of the model's classes, that name is taken as its true class, so held-out pictures laid out
like the training folder are scored at once.
"""
import argparse
import json
import os

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from fluxo_block import fail, write_text

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
ARCHITECTURE = "fluxo-small-cnn-1"


def csv_field(text):
    """File names may hold commas or quotes: quote them the way CSV readers expect."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def open_model(path, device):
    if not path:
        fail("no model is connected; connect the model output of a Train CNN step.")
    if not os.path.isfile(path):
        fail('the model file "%s" does not exist; run the Train CNN step first.' % path)
    extra = {"fluxo.json": ""}
    try:
        model = torch.jit.load(path, map_location=device, _extra_files=extra)
        settings = json.loads(extra["fluxo.json"])
    except (RuntimeError, ValueError, OSError) as exc:
        # A model saved by a newer PyTorch (say, in a cluster's container) can fail to load in an older one.
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        fail('"%s" is not a model saved by Train CNN, or one this PyTorch (%s) cannot read (%s); connect the model '
             "output of a Train CNN step." % (os.path.basename(path), torch.__version__, detail))
    if not isinstance(settings, dict) or settings.get("architecture") != ARCHITECTURE:
        fail('"%s" is not a model saved by this version of Train CNN; retrain it with Train CNN.' % os.path.basename(path))
    model.eval()
    return model, settings


def read_image(path, size):
    """The same preparation as Train CNN: greyscale, scaled by bit depth, resized."""
    try:
        with Image.open(path) as picture:
            if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
                pixels = np.asarray(picture, dtype=np.float32) / 65535.0
            elif picture.mode == "F":
                pixels = np.asarray(picture, dtype=np.float32)
            else:
                pixels = np.asarray(picture.convert("L"), dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        fail('cannot read the image "%s" (%s); remove it or replace it with a PNG or JPEG picture.' % (path, exc))
    return np.asarray(Image.fromarray(pixels, mode="F").resize((size, size), Image.BILINEAR), dtype=np.float32)


def find_pictures(folder):
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith("."):
                found.append(os.path.join(root, name))
    return found


def main():
    parser = argparse.ArgumentParser(description="Classify pictures with a model from Train CNN.")
    parser.add_argument("--model", default="")
    parser.add_argument("--images", default="")
    parser.add_argument("--folder", default="")
    parser.add_argument("--predictions", required=True)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model, settings = open_model(args.model, device)
    folder = args.images or args.folder
    if args.images and args.folder:
        print('Note: pictures are connected, so the "Image folder" setting (%s) is not used.' % args.folder)
    if not folder:
        fail('no pictures: connect a folder of slices (for example from Export slices) or set "Image folder".')
    if not os.path.isdir(folder):
        fail('the folder "%s" does not exist; check "Image folder" or run the step that produces the pictures.' % folder)
    pictures = find_pictures(folder)
    if not pictures:
        fail('"%s" holds no pictures (%s); choose a folder with PNG or JPEG files.' % (folder, ", ".join(IMAGE_EXTENSIONS)))

    classes = list(settings["classes"])
    size, mean, std = int(settings["image_size"]), float(settings["mean"]), float(settings["std"])
    print("Model: %s, classes %s, %dx%d pixels; %d picture(s) in %s; device %s"
          % (settings["architecture"], ", ".join(classes), size, size, len(pictures), folder, device.type))

    probabilities = []
    with torch.no_grad():
        for start in range(0, len(pictures), 64):
            batch = np.stack([read_image(p, size) for p in pictures[start:start + 64]])[:, None]
            x = (torch.from_numpy(batch) - mean) / std
            probabilities.append(torch.softmax(model(x.to(device)), dim=1).cpu().numpy())
    probabilities = np.concatenate(probabilities)
    predicted = probabilities.argmax(axis=1)

    lines = ["file,predicted,actual," + ",".join(csv_field("probability_%s" % c) for c in classes)]
    known, right = 0, 0
    for path, guess, row in zip(pictures, predicted, probabilities):
        relative = os.path.relpath(path, folder)
        parent = os.path.basename(os.path.dirname(relative))
        actual = parent if parent in classes else ""
        if actual:
            known += 1
            right += int(actual == classes[guess])
        lines.append(",".join([csv_field(relative), csv_field(classes[guess]), csv_field(actual)]
                              + ["%.6f" % p for p in row]))
    write_text(args.predictions, "\n".join(lines) + "\n")

    counts = ", ".join("%s %d" % (c, int((predicted == i).sum())) for i, c in enumerate(classes))
    print("Predicted: %s" % counts)
    if known:
        print("Accuracy on the %d picture(s) whose folder names their class: %.3f" % (known, right / known))
    print("Wrote " + args.predictions)


if __name__ == "__main__":
    main()
