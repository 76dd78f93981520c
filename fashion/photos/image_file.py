"""A user's image file opened safely: size and pixel caps, first frame, EXIF turned upright, grey values.

The first step of the photo pipeline (fashion/photos/pipeline.py); own photos use it to check a file
before keeping it. MAX_FILE_BYTES is the upload cap that .streamlit/config.toml's maxUploadSize matches.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fashion.errors import ImageError
from fashion.i18n import _

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000
# Photos are shrunk to this longer side first: plenty for an item that ends up 28 pixels tall.
WORKING_SIZE = 256

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def open_image(data: bytes) -> Image.Image:
    """Open bytes as a still image (first frame), checking size and pixel count; ImageError if not."""
    if not data:
        raise ImageError(_("the file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(
            _("the file is {megabytes:.1f} MB; the limit is {limit:.0f} MB.").format(
                megabytes=len(data) / 1e6, limit=MAX_FILE_BYTES / 1e6
            )
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    _(
                        "the image declares {width:,}x{height:,} pixels; the limit is {limit:.0f} megapixels."
                    ).format(width=width, height=height, limit=MAX_PIXELS / 1e6)
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
            _("the image has too many pixels; the limit is {limit:.0f} megapixels.").format(
                limit=MAX_PIXELS / 1e6
            )
        ) from None
    except UnidentifiedImageError:
        raise ImageError(
            _("the file is not an image this app can read (use PNG, JPEG, WebP, BMP or GIF).")
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as error:
        raise ImageError(_("the image is truncated or corrupt ({error}).").format(error=error)) from None
    except MemoryError:
        raise ImageError(_("the image is too large to decode.")) from None
    if image.width < 1 or image.height < 1:
        raise ImageError(_("the image has no pixels."))
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
        raise unreadable_mode_error(image) from None


def _flatten_transparency(rgba: Image.Image) -> np.ndarray:
    """Grey values of an RGBA image composited on black for a light item, on white for a dark one."""
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
    luminance = np.asarray(rgba.convert("RGB").convert("L"), dtype=np.float32)
    opaque_weight = float(alpha.sum())
    item_level = float((luminance * alpha).sum()) / opaque_weight if opaque_weight > 0 else 0.0
    # A transparent background says nothing about its colour: pick the one the item stands out from.
    background_level = 0.0 if item_level > 127.0 else 255.0
    return luminance * alpha + background_level * (1.0 - alpha)


def shrink_to_working_size(image: Image.Image) -> Image.Image:
    """The image with its longer side at most WORKING_SIZE, for speed; smaller images unchanged."""
    if max(image.size) <= WORKING_SIZE:
        return image
    scale = WORKING_SIZE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if image.mode in ("I", "F", "I;16", "I;16B", "I;16L", "I;16N"):
        return image.resize(size, Image.Resampling.BOX)
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def unreadable_mode_error(image: Image.Image) -> ImageError:
    """The error for an image whose colour mode Pillow cannot convert."""
    return ImageError(
        _(
            "the image uses the {mode} colour mode, which this app cannot read; "
            "save it as an RGB PNG or JPEG."
        ).format(mode=image.mode)
    )
