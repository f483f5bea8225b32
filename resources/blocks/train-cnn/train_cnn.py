#!/usr/bin/env python3
"""Fluxo block "Train CNN": a small convolutional network that sorts greyscale images into classes.

The images come from a folder with one subfolder per class (the subfolder's name is the class). A
stratified share is held out for validation. The model is saved as TorchScript with its settings
(classes, image size, intensity scaling) embedded, so Predict with CNN, or any PyTorch program,
can use it without this file's code.

Runs on the CPU, on one GPU, or on several GPUs when started by torchrun (WORLD_SIZE > 1): each
process then trains on its share of every epoch (DistributedDataParallel) and process 0 writes
the outputs. Only Pillow, NumPy and PyTorch are needed, so the stock PyTorch containers
(docker://pytorch/pytorch, docker://rocm/pytorch) run it: the curves are drawn with Pillow because
those images have no matplotlib.
"""
import argparse
import json
import math
import os

import numpy as np
import torch
import torch.distributed as dist
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from fluxo_block import available_cpus, fail, parse_integer, parse_number, write_atomically, write_text

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
ARCHITECTURE = "fluxo-small-cnn-1"


class SmallCNN(nn.Module):
    """Three convolution blocks and a linear layer: about 25,000 weights, enough for simple image cues."""

    def __init__(self, n_classes):
        super().__init__()
        layers = []
        channels = 1
        for width in (16, 32, 64):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.GroupNorm(8, width), nn.ReLU(), nn.MaxPool2d(2)]
            channels = width
        self.features = nn.Sequential(*layers[:-1], nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(channels, n_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def read_image(path, size):
    """A greyscale picture scaled to 0..1 by its bit depth (not by its own range, which would hide brightness)."""
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
    resized = Image.fromarray(pixels, mode="F").resize((size, size), Image.BILINEAR)
    return np.asarray(resized, dtype=np.float32)


def list_classes(folder):
    if not folder:
        fail('no image folder was chosen; set "Image folder" to a folder with one subfolder of pictures per class.')
    if not os.path.isdir(folder):
        fail('the folder "%s" does not exist; check "Image folder" in the step\'s settings.' % folder)
    classes = {}
    for name in sorted(os.listdir(folder)):
        sub = os.path.join(folder, name)
        if name.startswith(".") or not os.path.isdir(sub):
            continue
        files = sorted(os.path.join(sub, f) for f in os.listdir(sub) if f.lower().endswith(IMAGE_EXTENSIONS))
        if files:
            classes[name] = files
    if len(classes) < 2:
        fail('"%s" must hold one subfolder of pictures per class (for example "%s/lesion/*.png" and "%s/normal/*.png"); '
             "it has %s." % (folder, folder, folder,
                             "only the class \"%s\"" % next(iter(classes)) if classes else "no subfolder with pictures"))
    few = [name for name, files in classes.items() if len(files) < 2]
    if few:
        fail("each class needs at least 2 pictures (one to train on, one to validate); too few in: %s."
             % ", ".join('"%s"' % n for n in few))
    return classes


def split(classes, fraction, rng):
    """Stratified: each class gives the same share of its pictures to validation (at least one)."""
    train, validation = [], []
    for label, files in enumerate(classes.values()):
        order = rng.permutation(len(files))
        n_val = min(len(files) - 1, max(1, int(round(len(files) * fraction))))
        validation += [(files[i], label) for i in order[:n_val]]
        train += [(files[i], label) for i in order[n_val:]]
    return train, validation


def tensors(items, size):
    x = np.stack([read_image(path, size) for path, _ in items])[:, None]
    y = np.array([label for _, label in items], dtype=np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def evaluate(model, x, y, device, batch):
    model.eval()
    loss_sum, correct, predicted = 0.0, 0, []
    with torch.no_grad():
        for start in range(0, len(x), batch):
            xb, yb = x[start:start + batch].to(device), y[start:start + batch].to(device)
            out = model(xb)
            loss_sum += float(nn.functional.cross_entropy(out, yb, reduction="sum"))
            guess = out.argmax(1)
            correct += int((guess == yb).sum())
            predicted.append(guess.cpu())
    return loss_sum / len(x), correct / len(x), torch.cat(predicted)


def nice_ceiling(value):
    """A round upper end for an axis (0.68 -> 0.7, 2.3 -> 2.5), so the tick labels are short."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    unit = 10 ** math.floor(math.log10(value))
    return math.ceil(value / unit * 2) / 2 * unit


def draw_curves(history, path):
    """Loss and accuracy per epoch, two panels, drawn with Pillow."""
    width, height, pad = 900, 340, 55
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    epochs = [h["epoch"] for h in history]
    series = [("Loss", "train_loss", "validation_loss", None), ("Accuracy", "train_accuracy", "validation_accuracy", (0.0, 1.0))]
    colours = {"train": (31, 111, 178), "validation": (230, 120, 20)}
    panel_w = width // 2
    for p, (title, train_key, val_key, fixed) in enumerate(series):
        left, right = p * panel_w + pad, (p + 1) * panel_w - 20
        top, bottom = 35, height - 45
        values = [h[train_key] for h in history] + [h[val_key] for h in history]
        low, high = fixed if fixed else (0.0, nice_ceiling(max(values)))
        x_of = (lambda e: left + (right - left) * ((e - epochs[0]) / max(1, epochs[-1] - epochs[0])))
        y_of = (lambda v, lo=low, hi=high: bottom - (bottom - top) * ((v - lo) / (hi - lo)))
        draw.rectangle([left, top, right, bottom], outline=(90, 90, 90))
        for i in range(6):
            v = low + (high - low) * i / 5
            y = y_of(v)
            draw.line([left - 4, y, left, y], fill=(90, 90, 90))
            draw.line([left + 1, y, right - 1, y], fill=(235, 235, 235))
            draw.text((left - 45, y - 5), "%.3g" % v, fill="black", font=font)
        step = max(1, len(epochs) // 10)
        for e in epochs[::step]:
            draw.line([x_of(e), bottom, x_of(e), bottom + 4], fill=(90, 90, 90))
            draw.text((x_of(e) - 4, bottom + 7), str(e), fill="black", font=font)
        draw.text(((left + right) // 2 - 15, bottom + 22), "epoch", fill="black", font=font)
        draw.text((left, 12), title, fill="black", font=font)
        for name, key in (("train", train_key), ("validation", val_key)):
            points = [(x_of(h["epoch"]), y_of(h[key])) for h in history]
            if len(points) > 1:
                draw.line(points, fill=colours[name], width=2)
            for x, y in points:
                draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colours[name])
        legend_x = right - 110
        for i, name in enumerate(("train", "validation")):
            draw.line([legend_x, 14 + 12 * i, legend_x + 18, 14 + 12 * i], fill=colours[name], width=3)
            draw.text((legend_x + 24, 9 + 12 * i), name, fill="black", font=font)
    write_atomically(path, lambda tmp: canvas.save(tmp, format="PNG"))


def main():
    parser = argparse.ArgumentParser(description="Train a small CNN image classifier.")
    parser.add_argument("--folder", default="")
    parser.add_argument("--image-size", default="64")
    parser.add_argument("--epochs", default="10")
    parser.add_argument("--batch-size", default="16")
    parser.add_argument("--learning-rate", default="0.001")
    parser.add_argument("--validation-fraction", default="0.2")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--model", required=True)
    parser.add_argument("--curves", required=True)
    parser.add_argument("--curves-figure", required=True)
    parser.add_argument("--metrics", required=True)
    args = parser.parse_args()

    size = parse_integer(args.image_size, "Image size", 64)
    epochs = parse_integer(args.epochs, "Epochs", 10)
    batch = parse_integer(args.batch_size, "Batch size", 16)
    rate = parse_number(args.learning_rate, "Learning rate", 0.001)
    fraction = parse_number(args.validation_fraction, "Validation fraction", 0.2)
    seed = parse_integer(args.seed, "Random seed", 42)
    if not 8 <= size <= 512:
        fail('"Image size" must be between 8 and 512 pixels (it is %d).' % size)
    if epochs < 1 or batch < 1:
        fail('"Epochs" and "Batch size" must be 1 or more (they are %d and %d).' % (epochs, batch))
    if not 0 < rate <= 1:
        fail('"Learning rate" must be above 0 and at most 1 (it is %g).' % rate)
    if not 0.05 <= fraction <= 0.5:
        fail('"Validation fraction" must be between 0.05 and 0.5 (it is %g).' % fraction)

    classes = list_classes(args.folder)
    names = list(classes)
    train_items, val_items = split(classes, fraction, np.random.default_rng(seed))
    x_train, y_train = tensors(train_items, size)
    x_val, y_val = tensors(val_items, size)
    # Scale by the training pictures only, so validation stays unseen; the same numbers go into the model file.
    mean, std = float(x_train.mean()), float(x_train.std()) or 1.0
    x_train, x_val = (x_train - mean) / std, (x_val - mean) / std

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = 0
    cuda = torch.cuda.is_available()
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
        rank = dist.get_rank()
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(device)
    else:
        device = torch.device("cuda" if cuda else "cpu")
    if not cuda:
        # PyTorch would start one thread per core of the machine; use only the cores this job was given.
        local = int(os.environ.get("LOCAL_WORLD_SIZE", world))
        torch.set_num_threads(max(1, available_cpus() // max(1, local)))
    torch.manual_seed(seed)
    lead = rank == 0
    if lead:
        print("Classes: %s; %d pictures to train on, %d to validate; %dx%d pixels; device %s%s"
              % (", ".join('%s (%d)' % (n, len(f)) for n, f in classes.items()), len(train_items), len(val_items),
                 size, size, device, ", %d processes" % world if world > 1 else ""))

    model = SmallCNN(len(names)).to(device)
    trained = DistributedDataParallel(model, device_ids=[device.index] if cuda else None) if world > 1 else model
    optimiser = torch.optim.Adam(trained.parameters(), lr=rate)
    data = TensorDataset(x_train, y_train)
    if world > 1:
        sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=seed)
        loader = DataLoader(data, batch_size=batch, sampler=sampler)
    else:
        sampler = None
        loader = DataLoader(data, batch_size=batch, shuffle=True, generator=torch.Generator().manual_seed(seed))

    history = []
    for epoch in range(1, epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        trained.train()
        totals = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, correct, count
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimiser.zero_grad()
            out = trained(xb)
            loss = nn.functional.cross_entropy(out, yb)
            loss.backward()
            optimiser.step()
            totals += torch.tensor([float(loss) * len(yb), float((out.argmax(1) == yb).sum()), len(yb)],
                                   dtype=torch.float64, device=device)
        if world > 1:
            dist.all_reduce(totals)
        val_loss, val_acc, _ = evaluate(model, x_val, y_val, device, 256)
        row = {"epoch": epoch, "train_loss": float(totals[0] / totals[2]), "train_accuracy": float(totals[1] / totals[2]),
               "validation_loss": val_loss, "validation_accuracy": val_acc}
        history.append(row)
        if lead:
            print("epoch %d/%d: train loss %.4f, accuracy %.3f; validation loss %.4f, accuracy %.3f"
                  % (epoch, epochs, row["train_loss"], row["train_accuracy"], val_loss, val_acc))

    if lead:
        _, _, predicted = evaluate(model, x_val, y_val, device, 256)
        per_class = {}
        for label, name in enumerate(names):
            mine = y_val == label
            per_class[name] = round(float((predicted[mine] == label).float().mean()), 4)
        settings = {"architecture": ARCHITECTURE, "classes": names, "image_size": size, "mean": mean, "std": std,
                    "torch_version": torch.__version__}
        model.eval()
        scripted = torch.jit.script(model.cpu())
        write_atomically(args.model, lambda tmp: torch.jit.save(scripted, tmp, _extra_files={"fluxo.json": json.dumps(settings)}))
        lines = ["epoch,train_loss,train_accuracy,validation_loss,validation_accuracy"]
        lines += ["%d,%.6f,%.6f,%.6f,%.6f" % (h["epoch"], h["train_loss"], h["train_accuracy"], h["validation_loss"],
                                               h["validation_accuracy"]) for h in history]
        write_text(args.curves, "\n".join(lines) + "\n")
        draw_curves(history, args.curves_figure)
        best = max(history, key=lambda h: (h["validation_accuracy"], -h["epoch"]))
        metrics = {
            "accuracy": round(history[-1]["validation_accuracy"], 4),
            "validation_loss": round(history[-1]["validation_loss"], 4),
            "train_accuracy": round(history[-1]["train_accuracy"], 4),
            "train_loss": round(history[-1]["train_loss"], 4),
            "per_class_accuracy": per_class,
            "best_validation_accuracy": round(best["validation_accuracy"], 4),
            "best_epoch": best["epoch"],
            "n_train": len(train_items),
            "n_validation": len(val_items),
            "classes": names,
            "epochs": epochs,
            "image_size": size,
            "device": device.type,
            "processes": world,
            "model": ARCHITECTURE,
            "seed": seed,
        }
        write_text(args.metrics, json.dumps(metrics, indent=2) + "\n")
        print("Validation accuracy %.3f after %d epochs (%s)" % (metrics["accuracy"], epochs,
                                                                ", ".join("%s %.3f" % kv for kv in per_class.items())))
        print("Wrote %s, %s, %s, %s" % (args.model, args.curves, args.curves_figure, args.metrics))
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
