"""Generated photos of things that are not clothing, as "none of the ten" examples for the Photo model.

The real negatives (hats, shorts, skirts) are all clothing-like; a household object (a ball, a box, a
bottle) looks like none of them. These are drawn photos of plain objects: one to three overlapping
shapes (ellipses, boxes, polygons), shaded, on a floor- or table-like ground, then rendered by the
app's own photo pipeline like any upload, and cached. Always the same set (fixed seeds), so a model's
record can say how many it learnt from.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from fashion.data.fashion_mnist import IMAGE_SIZE, cache_directory
from fashion.data.real_photos import (
    pipeline_fingerprint,
    read_render_cache,
    render_in_pool,
    render_photo_bytes,
    rendered_arrays,
    write_render_cache,
)

# Part of the cache key: bumped whenever the drawing below changes
GENERATOR_VERSION = 1
# As many generated photos as this share of the real training photos (3,359 real photos: 1,176)
SHARE_OF_REAL_PHOTOS = 0.35
PHOTO_SIZE = 160
GENERATOR_SEED = 20261206
# Each pixel's row and column as a fraction of the photo's side
ROWS, COLUMNS = np.mgrid[0:PHOTO_SIZE, 0:PHOTO_SIZE].astype(np.float32) / PHOTO_SIZE


def _ground(rng: np.random.Generator) -> np.ndarray:
    """A floor or table: one colour, a gentle gradient, grain and sometimes boards or tiles."""
    base = rng.uniform(40, 235, size=3)
    angle = rng.uniform(0, 2 * np.pi)
    gradient = (np.cos(angle) * ROWS + np.sin(angle) * COLUMNS - 0.5) * rng.uniform(0, 40)
    ground = base[None, None, :] + gradient[..., None]
    pattern = rng.integers(3)
    if pattern == 1:  # boards
        period = rng.uniform(12, 40)
        ground += (np.sin(2 * np.pi * COLUMNS * PHOTO_SIZE / period) > 0.9)[..., None] * -25
    elif pattern == 2:  # tiles
        period = rng.uniform(20, 60)
        lines = (np.mod(ROWS * PHOTO_SIZE, period) < 2) | (np.mod(COLUMNS * PHOTO_SIZE, period) < 2)
        ground += lines[..., None] * rng.uniform(-40, 40)
    ground += rng.normal(0, rng.uniform(2, 10), size=ground.shape)
    return ground


def _shape_mask(rng: np.random.Generator, box: tuple[float, float, float, float]) -> Image.Image:
    """One filled shape inside box (left, top, right, bottom): an ellipse, a (rounded) box or a polygon."""
    mask = Image.new("L", (PHOTO_SIZE, PHOTO_SIZE), 0)
    draw = ImageDraw.Draw(mask)
    left, top, right, bottom = box
    kind = rng.integers(4)
    if kind == 0:
        draw.ellipse(box, fill=255)
    elif kind == 1:
        radius = rng.uniform(0, 0.3) * min(right - left, bottom - top)
        draw.rounded_rectangle(box, radius=radius, fill=255)
    elif kind == 2:
        centre = ((left + right) / 2, (top + bottom) / 2)
        sides = int(rng.integers(3, 9))
        start = rng.uniform(0, 2 * np.pi)
        corners = [
            (
                centre[0] + (right - left) / 2 * np.cos(start + 2 * np.pi * side / sides),
                centre[1] + (bottom - top) / 2 * np.sin(start + 2 * np.pi * side / sides),
            )
            for side in range(sides)
        ]
        draw.polygon(corners, fill=255)
    else:  # a box seen from above at an angle
        width, height = right - left, bottom - top
        shift = rng.uniform(-0.25, 0.25) * width
        draw.polygon(
            [(left + max(shift, 0), top), (right + min(shift, 0), top + height * 0.15),
             (right - max(shift, 0), bottom), (left - min(shift, 0), bottom - height * 0.15)],
            fill=255,
        )  # fmt: skip
    return mask


def _object_mask(rng: np.random.Generator) -> np.ndarray:
    """One to three overlapping shapes near the middle of the photo, as a mask in [0, 1]."""
    size = rng.uniform(0.35, 0.7) * PHOTO_SIZE
    aspect = np.exp(rng.uniform(-0.5, 0.5))
    width, height = size * np.sqrt(aspect), size / np.sqrt(aspect)
    centre = PHOTO_SIZE / 2 + rng.uniform(-0.1, 0.1, size=2) * PHOTO_SIZE
    mask = np.zeros((PHOTO_SIZE, PHOTO_SIZE), np.float32)
    for part in range(int(rng.integers(1, 4))):
        scale = 1.0 if part == 0 else rng.uniform(0.3, 0.7)
        offset = (0.0, 0.0) if part == 0 else rng.uniform(-0.4, 0.4, size=2) * (width, height)
        part_width, part_height = width * scale, height * scale * np.exp(rng.uniform(-0.4, 0.4))
        middle = (centre[0] + offset[0], centre[1] + offset[1])
        box = (
            middle[0] - part_width / 2, middle[1] - part_height / 2,
            middle[0] + part_width / 2, middle[1] + part_height / 2,
        )  # fmt: skip
        mask = np.maximum(mask, np.asarray(_shape_mask(rng, box), np.float32) / 255.0)
    return mask


def generated_photo(index: int) -> bytes:
    """The index-th generated photo, as PNG bytes (always the same for the same index)."""
    rng = np.random.default_rng([GENERATOR_SEED, index])
    ground = _ground(rng)
    mask = _object_mask(rng)
    colour = rng.uniform(0, 255, size=3)
    # Light from one side, a highlight, and sometimes stripes or rings printed on the object
    light = rng.uniform(0, 2 * np.pi)
    shading = (np.cos(light) * (ROWS - 0.5) + np.sin(light) * (COLUMNS - 0.5)) * rng.uniform(0, 120)
    item = colour[None, None, :] + shading[..., None]
    highlight_at = rng.uniform(0.3, 0.7, size=2)
    spread = rng.uniform(0.03, 0.12)
    distance = (ROWS - highlight_at[0]) ** 2 + (COLUMNS - highlight_at[1]) ** 2
    item += (np.exp(-distance / (2 * spread**2)) * rng.uniform(0, 90))[..., None]
    if rng.random() < 0.3:
        period = rng.uniform(0.03, 0.15)
        item += (np.sin(2 * np.pi * ROWS / period) > 0.6)[..., None] * rng.uniform(-80, 80)
    elif rng.random() < 0.3:
        radius = np.sqrt((ROWS - 0.5) ** 2 + (COLUMNS - 0.5) ** 2)
        item += (np.mod(radius, rng.uniform(0.04, 0.12)) < 0.015)[..., None] * rng.uniform(-80, 80)
    blurred = Image.fromarray(np.uint8(mask * 255)).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    soft_mask = np.asarray(blurred, np.float32)[..., None] / 255.0
    photo = np.clip(ground * (1 - soft_mask) + item * soft_mask, 0, 255).astype(np.uint8)
    output = io.BytesIO()
    Image.fromarray(photo).save(output, format="PNG")
    return output.getvalue()


def render_generated(index: int) -> tuple[np.ndarray | None, str]:
    """The index-th generated photo through the photo pipeline, as render_photo_bytes."""
    return render_photo_bytes(generated_photo(index))


def generated_count(real_photo_count: int) -> int:
    """How many generated photos go with this many real training photos."""
    return round(SHARE_OF_REAL_PHOTOS * real_photo_count)


def load_generated_negatives(count: int, workers: int | None = None) -> np.ndarray:
    """The first count generated photos as the pipeline renders them (uint8, from the cache once made)."""
    if count == 0:
        return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    name = f"generated-negatives-v{GENERATOR_VERSION}-{count}-{pipeline_fingerprint()}.npz"
    path = cache_directory() / name
    arrays = read_render_cache(path, count)
    if arrays is None:
        indices = list(range(count))
        arrays = rendered_arrays(count, indices, render_in_pool(render_generated, indices, workers))
        write_render_cache(path, arrays)
    return arrays["images"][arrays["usable"]]
