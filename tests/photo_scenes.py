"""Synthetic photos with a known mask: a Fashion-MNIST test item drawn on wood, carpet or check."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

SCENE_SIZE = 240
ITEM_SIZE = 140
TEXTURES = ("wood", "carpet", "check")


def texture(kind: str, generator: np.random.Generator, size: int = SCENE_SIZE) -> np.ndarray:
    """An RGB float texture: wood grain, a speckled carpet or a two-colour check."""
    rows, columns = np.mgrid[0:size, 0:size].astype(np.float32)
    if kind == "wood":
        grain = np.sin(rows * 0.35 + 4 * np.sin(columns * 0.02) + generator.normal(0, 0.3, (size, size)))
        brightness = 150 + 25 * grain
        return np.stack([brightness * 1.0, brightness * 0.72, brightness * 0.45], axis=2)
    if kind == "carpet":
        speckle = generator.normal(0, 18, (size, size))
        base = np.array([120.0, 135.0, 150.0])
        return base[None, None, :] + speckle[..., None]
    if kind == "check":
        period = 24
        cells = ((rows // period) + (columns // period)) % 2
        first, second = np.array([205.0, 200.0, 185.0]), np.array([160.0, 175.0, 195.0])
        return np.where(cells[..., None] == 1, first, second)
    raise ValueError(f"unknown texture {kind!r}")


def scene(item: np.ndarray, kind: str, seed: int = 0) -> tuple[bytes, np.ndarray]:
    """PNG bytes of the item (28x28, light on black) drawn dark on a texture, and its true mask."""
    generator = np.random.default_rng(seed)
    enlarged = np.asarray(
        Image.fromarray(np.asarray(item, np.uint8)).resize((ITEM_SIZE, ITEM_SIZE), Image.BILINEAR), np.float32
    )
    item_mask = enlarged > 20
    background = texture(kind, generator)
    top, left = generator.integers(30, SCENE_SIZE - ITEM_SIZE - 30, size=2)
    canvas = background.copy()
    # The item is a dark cloth: its grey is the negated test image, tinted a little red.
    cloth = (255.0 - enlarged)[..., None] * np.array([0.55, 0.35, 0.35])[None, None, :]
    region = canvas[top : top + ITEM_SIZE, left : left + ITEM_SIZE]
    region[item_mask] = cloth[item_mask]
    canvas += generator.normal(0, 3, canvas.shape)
    mask = np.zeros((SCENE_SIZE, SCENE_SIZE), bool)
    mask[top : top + ITEM_SIZE, left : left + ITEM_SIZE] = item_mask
    buffer = io.BytesIO()
    Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue(), mask


def intersection_over_union(first: np.ndarray, second: np.ndarray) -> float:
    """|A and B| / |A or B| of two boolean masks of one shape."""
    union = np.logical_or(first, second).sum()
    return float(np.logical_and(first, second).sum() / union) if union else 1.0
