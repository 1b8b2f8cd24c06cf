"""Seal and handwritten-signature images for the appearance tests (drawn here, invented, no real seal)."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

from signing.appearance import Appearance


def make_seal(path: Path, size: int = 300) -> Path:
    """A red round seal on a transparent background: two rings, a star, a ring of dots."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    red = (210, 20, 30, 230)
    d.ellipse((4, 4, size - 4, size - 4), outline=red, width=10)
    d.ellipse((size * 0.22, size * 0.22, size * 0.78, size * 0.78), outline=red, width=5)
    c = size / 2
    star = []
    for k in range(10):
        r = size * (0.22 if k % 2 == 0 else 0.09)
        a = math.pi / 2 + k * math.pi / 5
        star.append((c + r * math.cos(a), c - r * math.sin(a)))
    d.polygon(star, fill=red)
    for k in range(36):
        a = k * math.pi / 18
        x, y = c + size * 0.36 * math.cos(a), c + size * 0.36 * math.sin(a)
        d.ellipse((x - 5, y - 5, x + 5, y + 5), fill=red)
    img.save(path)
    return path


def make_signature(path: Path, width: int = 480, height: int = 200) -> Path:
    """A blue handwriting-like stroke on a transparent background."""
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    blue = (20, 40, 190, 255)
    pts = [
        (20 + t * (width - 40) / 200, height / 2 + 55 * math.sin(t / 9) * math.cos(t / 37) - 20 * math.sin(t / 3))
        for t in range(201)
    ]
    d.line(pts, fill=blue, width=6, joint="curve")
    d.line([(40, height - 40), (width - 60, height - 55)], fill=blue, width=4)
    img.save(path)
    return path


def decree30_look(folder: Path, font: Path) -> Appearance:
    """The one-key Decree 30 appearance with this module's seal and signature images (written into ``folder``)."""
    return Appearance(
        kind="decree30",
        signer="Nguyễn Văn An",
        organisation="UBND xã Tân Thịnh",
        font=font,
        seal_image=make_seal(folder / "seal.png"),
        signature_image=make_signature(folder / "sig.png"),
    )
