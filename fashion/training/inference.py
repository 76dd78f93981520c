"""Class probabilities from a model, and turning a user's photo into what the model saw in training."""

from __future__ import annotations

import io
import threading
import warnings
import weakref
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fashion.data.fashion_mnist import CLASS_NAMES, IMAGE_SIZE, scale_images
from fashion.errors import ImageError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000
# Photos are shrunk to this longer side first: plenty for an item that ends up 28 pixels tall.
WORKING_SIZE = 256
UNSURE_BELOW = 0.5
PREDICTION_BATCH = 512

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def as_model_input(images: np.ndarray) -> np.ndarray:
    """float32 images in [0, 1] of shape (N, 28, 28), from uint8 or float input."""
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[np.newaxis]
    if images.dtype == np.uint8:
        return scale_images(images)
    return images.astype(np.float32, copy=False)


def predict_probabilities(model, images: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10) for a batch of images, computed in chunks."""
    images = np.asarray(images)
    if len(images) == 0:
        return np.zeros((0, len(CLASS_NAMES)), dtype=np.float32)
    forward = _forward_pass(model)
    chunks = [
        forward(as_model_input(images[start : start + PREDICTION_BATCH])).numpy()
        for start in range(0, len(images), PREDICTION_BATCH)
    ]
    return np.concatenate(chunks).astype(np.float32, copy=False)


# One traced forward pass per loaded model; the weak keys let a model that is dropped be freed.
_forward_passes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_forward_passes_lock = threading.Lock()


def _forward_pass(model):
    """The model's inference call as a tf.function, traced once per model and then reused."""
    with _forward_passes_lock:
        forward = _forward_passes.get(model)
        if forward is None:
            import tensorflow as tf

            model_reference = weakref.ref(model)
            forward = tf.function(
                lambda images: model_reference()(images, training=False),
                input_signature=[tf.TensorSpec((None, IMAGE_SIZE, IMAGE_SIZE), tf.float32)],
            )
            _forward_passes[model] = forward
    return forward


def predict_one(model, image: np.ndarray) -> np.ndarray:
    """Class probabilities (10,) for one 28x28 image, through the model's cached traced call."""
    return np.asarray(_forward_pass(model)(as_model_input(image)))[0]


def top_classes(probabilities: np.ndarray, count: int = 3) -> list[tuple[int, str, float]]:
    """The most probable classes as (label, name, probability), best first."""
    order = np.argsort(-np.asarray(probabilities), kind="stable")[:count]
    return [(int(label), CLASS_NAMES[label], float(probabilities[label])) for label in order]


@dataclass
class PreprocessedPhoto:
    """The 28x28 model input made from a photo, with every intermediate step to show."""

    image: np.ndarray
    steps: list[tuple[str, np.ndarray]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    original_size: tuple[int, int] = (0, 0)
    inverted: bool = False


def open_image(data: bytes) -> Image.Image:
    """Open bytes as a still image (first frame), checking size and pixel count; ImageError if not."""
    if not data:
        raise ImageError("the file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(
            f"the file is {len(data) / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"the image declares {width:,}x{height:,} pixels; "
                    f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels."
                )
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)
            if image.format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale where that still covers WORKING_SIZE.
                image.draft(image.mode if image.mode in ("L", "RGB") else None, (WORKING_SIZE, WORKING_SIZE))
            image.load()
            image = ImageOps.exif_transpose(image)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            f"the image has too many pixels; the limit is {MAX_PIXELS / 1e6:.0f} megapixels."
        ) from None
    except UnidentifiedImageError:
        raise ImageError(
            "the file is not an image this app can read (use PNG, JPEG, WebP, BMP or GIF)."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as error:
        raise ImageError(f"the image is truncated or corrupt ({error}).") from None
    except MemoryError:
        raise ImageError("the image is too large to decode.") from None
    if image.width < 1 or image.height < 1:
        raise ImageError("the image has no pixels.")
    return image


def to_grayscale(image: Image.Image) -> np.ndarray:
    """A float32 grayscale array in [0, 255]; transparency becomes white or black, whichever contrasts."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(image.convert("F") if image.mode != "F" else image, dtype=np.float64)
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        low, high = float(values.min()), float(values.max())
        if high > low:
            values = (values - low) / (high - low) * 255.0
        else:
            values = np.zeros_like(values) if high <= 0 else np.full_like(values, 255.0)
        return values.astype(np.float32)
    if image.mode == "LAB":
        return np.asarray(image.getchannel("L"), dtype=np.float32)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    try:
        if has_alpha:
            return _flatten_transparency(image.convert("RGBA"))
        if image.mode == "CMYK":
            image = image.convert("RGB")
        return np.asarray(image.convert("L"), dtype=np.float32)
    except (ValueError, OSError):
        raise ImageError(
            f"the image uses the {image.mode} colour mode, which this app cannot read; "
            "save it as an RGB PNG or JPEG."
        ) from None


def _flatten_transparency(rgba: Image.Image) -> np.ndarray:
    """Grey values of an RGBA image composited on black for a light item, on white for a dark one."""
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
    luminance = np.asarray(rgba.convert("RGB").convert("L"), dtype=np.float32)
    opaque_weight = float(alpha.sum())
    item_level = float((luminance * alpha).sum()) / opaque_weight if opaque_weight > 0 else 0.0
    # A transparent background says nothing about its colour: pick the one the item stands out from.
    background_level = 0.0 if item_level > 127.0 else 255.0
    return luminance * alpha + background_level * (1.0 - alpha)


def _shrink(image: Image.Image) -> Image.Image:
    if max(image.size) <= WORKING_SIZE:
        return image
    scale = WORKING_SIZE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if image.mode in ("I", "F", "I;16", "I;16B", "I;16L", "I;16N"):
        return image.resize(size, Image.Resampling.BOX)
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _border(values: np.ndarray) -> np.ndarray:
    return np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])


def _fit_into_square(values: np.ndarray) -> np.ndarray:
    """Scale so the longer side is 28 pixels, keeping the aspect ratio, centred on black."""
    height, width = values.shape
    scale = IMAGE_SIZE / max(height, width)
    new_width = min(IMAGE_SIZE, max(1, round(width * scale)))
    new_height = min(IMAGE_SIZE, max(1, round(height * scale)))
    resized = Image.fromarray(values.astype(np.float32), mode="F").resize(
        (new_width, new_height),
        Image.Resampling.LANCZOS if max(height, width) >= IMAGE_SIZE else Image.Resampling.BILINEAR,
    )
    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    # Fashion-MNIST centres an odd margin with the extra pixel on the left/top side.
    top = (IMAGE_SIZE - new_height + 1) // 2
    left = (IMAGE_SIZE - new_width + 1) // 2
    canvas[top : top + new_height, left : left + new_width] = np.asarray(resized)
    return np.clip(canvas, 0.0, 255.0)


def preprocess_photo(data: bytes) -> PreprocessedPhoto:
    """Turn photo bytes into a 28x28 float32 image in [0, 1], light item on black, like the training data."""
    image = open_image(data)
    original_size = image.size
    try:
        image = _shrink(image)
    except (ValueError, OSError):
        raise ImageError(
            f"the image uses the {image.mode} colour mode, which this app cannot resize; "
            "save it as an RGB PNG or JPEG."
        ) from None
    original_preview = image.convert("RGBA") if image.mode in ("RGBA", "LA", "PA", "P") else image
    if original_preview.mode not in ("RGB", "RGBA", "L"):
        original_preview = Image.fromarray(to_grayscale(image).astype(np.uint8))
    steps: list[tuple[str, np.ndarray]] = [("Original", np.asarray(original_preview))]
    notes: list[str] = []

    gray = to_grayscale(image)
    steps.append(("Grayscale", gray.astype(np.uint8)))

    border = _border(gray)
    inverted = float(np.median(border)) > 127.0
    if inverted:
        gray = 255.0 - gray
        steps.append(("Inverted (light background)", gray.astype(np.uint8)))
    background_level = float(np.median(_border(gray)))
    if float(np.std(border)) > 60.0:
        notes.append(
            "The background is busy: Fashion-MNIST items sit on a plain background, "
            "so this prediction may be unreliable."
        )

    foreground = gray - background_level
    peak = float(foreground.max())
    if peak < 25.0:
        notes.append(
            "No item stands out from the background; the model is shown a nearly blank image."
        )
        cropped = gray
    else:
        rows = np.flatnonzero((foreground > peak * 0.25).any(axis=1))
        columns = np.flatnonzero((foreground > peak * 0.25).any(axis=0))
        cropped = gray[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
        steps.append(("Cropped to the item", cropped.astype(np.uint8)))

    cropped = np.clip(cropped - background_level, 0.0, None)
    if cropped.max() > 0:
        cropped = cropped * (255.0 / cropped.max())
    square = _fit_into_square(cropped)
    steps.append(("28x28, what the model sees", square.astype(np.uint8)))
    height, width = cropped.shape
    if max(height, width) / max(1, min(height, width)) > 6:
        notes.append(
            "The item is a very long strip; Fashion-MNIST items are roughly square, "
            "so this prediction may be unreliable."
        )
    return PreprocessedPhoto(
        image=scale_images(square),
        steps=steps,
        warnings=notes,
        original_size=original_size,
        inverted=inverted,
    )


def unsure_warning(probabilities: np.ndarray) -> str | None:
    """A warning when the model's top probability is below UNSURE_BELOW, else None."""
    top = float(np.max(probabilities))
    if top < UNSURE_BELOW:
        return (
            f"The model is unsure: its best guess has only {top:.0%} confidence. "
            "Fashion-MNIST photos are single items, centred, on a plain background."
        )
    return None
