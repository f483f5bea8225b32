#!/usr/bin/env python3
"""Draws Fluxo's icon: three connected pipeline nodes on a teal-to-blue tile.

Run with a Python that has Pillow (Debian: python3-pil):  python3 resources/icons/make-icons.py
Writes icon.png (1024), 512x512.png, 256x256.png (Linux wants NxN.png names) and icon.ico.
Deterministic: same Pillow, same bytes.
"""
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
S = 2048  # drawn large, then downsampled: smooth edges without antialiasing support in ImageDraw

TEAL = (20, 184, 166)
BLUE = (37, 99, 235)
WHITE = (255, 255, 255, 255)


def lerp(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def tile():
    """Rounded square with a diagonal teal-to-blue gradient."""
    grad = Image.new("RGBA", (S, S))
    px = grad.load()
    for y in range(S):
        for x in range(S):
            t = (x + y) / (2 * (S - 1))
            px[x, y] = lerp(TEAL, BLUE, t) + (255,)
    mask = Image.new("L", (S, S), 0)
    m = 0.06 * S
    ImageDraw.Draw(mask).rounded_rectangle([m, m, S - m, S - m], radius=0.2 * S, fill=255)
    out = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    out.paste(grad, (0, 0), mask)
    return out


def bezier(p0, p1, p2, p3, n=400):
    pts = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        pts.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return pts


def draw():
    img = tile()
    d = ImageDraw.Draw(img)
    w, h = 0.20 * S, 0.15 * S  # node size
    r = 0.04 * S
    nodes = [(0.24 * S, 0.28 * S), (0.50 * S, 0.50 * S), (0.76 * S, 0.72 * S)]  # centres: a flow down-right
    # Edges first, from the output port of one node to the input port of the next.
    for (ax, ay), (bx, by) in zip(nodes, nodes[1:]):
        start = (ax + w / 2, ay)
        end = (bx - w / 2, by)
        dx = 0.07 * S
        pts = bezier(start, (start[0] + dx, start[1]), (end[0] - dx, end[1]), end)
        half = 0.015 * S  # stroked as a chain of discs: ImageDraw's wide polylines leave gaps on curves
        for x, y in pts:
            d.ellipse([x - half, y - half, x + half, y + half], fill=WHITE)
    for cx, cy in nodes:
        accent = lerp(TEAL, BLUE, cx / S) + (255,)
        d.rounded_rectangle([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], radius=r, fill=WHITE)
        # Two lines of "text": the block's name and a parameter, as drawn on the canvas.
        d.rounded_rectangle([cx - w / 2 + 0.045 * S, cy - 0.035 * S, cx + w / 2 - 0.045 * S, cy - 0.005 * S], radius=0.015 * S, fill=accent)
        d.rounded_rectangle([cx - w / 2 + 0.045 * S, cy + 0.02 * S, cx + 0.01 * S, cy + 0.045 * S], radius=0.012 * S, fill=lerp(accent[:3], (255, 255, 255), 0.55) + (255,))
        # Ports.
        pr = 0.028 * S
        for px in (cx - w / 2, cx + w / 2):
            d.ellipse([px - pr, cy - pr, px + pr, cy + pr], fill=WHITE, outline=accent, width=int(0.014 * S))
    return img


def main():
    big = draw()
    sizes = {"icon.png": 1024, "512x512.png": 512, "256x256.png": 256}
    for name, size in sizes.items():
        big.resize((size, size), Image.LANCZOS).save(HERE / name, optimize=True)
    big.resize((256, 256), Image.LANCZOS).save(HERE / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])


if __name__ == "__main__":
    main()
