"""A photo to the model's 28x28 input as an ordered list of named steps, each with a switch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from fashion.data.fashion_mnist import IMAGE_SIZE, scale_images
from fashion.i18n import N_
from fashion.photos.image_file import open_image, shrink_to_working_size, to_grayscale, unreadable_mode_error

# GrabCut runs on a copy this long on its longer side: enough for a 28-pixel item, fast on a CPU.
SEGMENT_SIZE = 128
GRABCUT_ITERATIONS = 4
# The seed rectangle leaves this fraction of each side as sure background.
BORDER_FRACTION = 0.04
# A mask under this fraction of the frame is "nothing found"; over the larger one, "whole frame".
MASK_TOO_SMALL = 0.01
MASK_TOO_LARGE = 0.92
# Components at least this fraction of the largest one stay: a pair of shoes is two components.
KEEP_COMPONENT_FRACTION = 0.25
# After negation an item's mean brightness is raised to at least this, so a white item stays visible.
MIN_ITEM_LEVEL = 70.0
MAX_ITEM_GAIN = 4.0


@dataclass(frozen=True)
class PhotoStep:
    """One named step of the pipeline: its switch name, a title and what it does."""

    name: str
    title: str
    description: str


# The order of the pipeline. The page's switches, the CLI's --no-... flags and the benchmark read it.
STEPS: list[PhotoStep] = [
    PhotoStep(
        "segment",
        N_("Segmentation"),
        N_("cut the item out of its background (GrabCut seeded from the border)"),
    ),
    PhotoStep("sharpen", N_("Sharpen"), N_("sharpen the 28x28 image, as Fashion-MNIST did")),
    PhotoStep("invert", N_("Invert"), N_("negate: a dark item on a light ground becomes light on black")),
    PhotoStep(
        "tta", N_("Test-time augmentation"), N_("average the photo, its mirror image and small shifts")
    ),
]
STEP_NAMES = [step.name for step in STEPS]


def all_on() -> dict[str, bool]:
    """Every step switched on (the default)."""
    return {name: True for name in STEP_NAMES}


def switches_with(**changes: bool) -> dict[str, bool]:
    """Every step on except the ones given; an unknown step name raises ValueError."""
    unknown = set(changes) - set(STEP_NAMES)
    if unknown:
        raise ValueError(f"unknown photo steps: {', '.join(sorted(unknown))}")
    return {**all_on(), **changes}


@dataclass
class PhotoInput:
    """What a photo became: the model input, its TTA batch, and pictures of each step."""

    image: np.ndarray  # (28, 28) float32 in [0, 1]
    batch: np.ndarray  # (K, 28, 28) float32: the image and, with TTA, its variants
    switches: dict[str, bool]
    pictures: list[tuple[str, np.ndarray]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    mask: np.ndarray | None = None  # (H, W) bool at the working size
    original_size: tuple[int, int] = (0, 0)
    segmented: bool = False


def _photo_arrays(image: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """RGB uint8, grey float32 and, for a transparent image, its alpha mask."""
    gray = to_grayscale(image)
    alpha = None
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    ):
        alpha = np.asarray(image.convert("RGBA").getchannel("A")) > 127
    if image.mode in ("RGB", "RGBA", "P", "CMYK", "L", "LA", "YCbCr"):
        try:
            rgb = np.asarray(image.convert("RGB"))
        except (ValueError, OSError):
            rgb = np.repeat(gray.astype(np.uint8)[..., None], 3, axis=2)
    else:
        rgb = np.repeat(np.clip(gray, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    return rgb, gray, alpha


def _clean_mask(mask: np.ndarray) -> np.ndarray:
    """Close small holes, drop specks and keep the large components (both shoes of a pair)."""
    # deferred: OpenCV loads only when a photo is segmented
    import cv2

    kernel = np.ones((3, 3), np.uint8)
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=2)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return mask.astype(bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.flatnonzero(areas >= KEEP_COMPONENT_FRACTION * areas.max())
    return np.isin(labels, keep)


def grabcut_mask(rgb: np.ndarray) -> np.ndarray:
    """A boolean mask of the item: GrabCut with the image border as sure background."""
    # deferred: OpenCV loads only when a photo is segmented
    import cv2

    height, width = rgb.shape[:2]
    scale = SEGMENT_SIZE / max(height, width)
    small_size = (max(8, round(width * scale)), max(8, round(height * scale)))
    small = cv2.resize(np.ascontiguousarray(rgb), small_size, interpolation=cv2.INTER_AREA)
    small_width, small_height = small_size
    margin_x = max(1, round(small_width * BORDER_FRACTION))
    margin_y = max(1, round(small_height * BORDER_FRACTION))
    rectangle = (margin_x, margin_y, small_width - 2 * margin_x, small_height - 2 * margin_y)
    labels = np.zeros((small_height, small_width), np.uint8)
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(
        cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
        labels,
        rectangle,
        background_model,
        foreground_model,
        GRABCUT_ITERATIONS,
        cv2.GC_INIT_WITH_RECT,
    )
    small_mask = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    small_mask = _clean_mask(small_mask)
    return cv2.resize(small_mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).astype(
        bool
    )


def _border_difference_mask(gray: np.ndarray) -> np.ndarray:
    """Without segmentation: the rectangle where the photo differs from its border (the old crop)."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    difference = np.abs(gray - float(np.median(border)))
    peak = float(difference.max())
    mask = np.zeros(gray.shape, bool)
    if peak < 25.0:
        mask[:] = True
        return mask
    rows = np.flatnonzero((difference > peak * 0.25).any(axis=1))
    columns = np.flatnonzero((difference > peak * 0.25).any(axis=0))
    mask[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1] = True
    return mask


def fitted_size(height: int, width: int) -> tuple[tuple[int, int], int]:
    """(width, height) of an item scaled so its longest edge is 28, and the OpenCV interpolation for it."""
    # deferred: OpenCV loads only when a photo is segmented
    import cv2

    scale = IMAGE_SIZE / max(height, width)
    size = (min(IMAGE_SIZE, max(1, round(width * scale))), min(IMAGE_SIZE, max(1, round(height * scale))))
    return size, cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR


def centred_origin(size: tuple[int, int]) -> tuple[int, int]:
    """(top, left) of an item of size (width, height) centred in 28x28."""
    # Fashion-MNIST centres an odd margin with the extra pixel on the left/top side.
    return (IMAGE_SIZE - size[1] + 1) // 2, (IMAGE_SIZE - size[0] + 1) // 2


def render_28(gray: np.ndarray, mask: np.ndarray, sharpen: bool, invert: bool, on_white: bool) -> np.ndarray:
    """Fashion-MNIST's rendering: trim, longest edge 28 keeping aspect, sharpen, centre, negate, 8-bit."""
    # deferred: OpenCV loads only when a photo is segmented
    import cv2

    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
    item = gray[top:bottom, left:right].astype(np.float32)
    item_mask = mask[top:bottom, left:right].astype(np.float32)
    if on_white:
        item = item * item_mask + 255.0 * (1.0 - item_mask)  # the item alone, on white like a product shot
    size, interpolation = fitted_size(*item.shape)
    small = cv2.resize(item, size, interpolation=interpolation)
    small_mask = cv2.resize(item_mask, size, interpolation=interpolation)
    if sharpen:
        blurred = cv2.GaussianBlur(small, (0, 0), 0.8)
        small = np.clip(small + 0.6 * (small - blurred), 0.0, 255.0)
    canvas = np.full((IMAGE_SIZE, IMAGE_SIZE), 255.0 if on_white else float(np.median(small)), np.float32)
    mask_canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    top, left = centred_origin(size)
    canvas[top : top + size[1], left : left + size[0]] = small
    mask_canvas[top : top + size[1], left : left + size[0]] = small_mask
    if invert:
        canvas = 255.0 - canvas
    if on_white and invert:
        # A white item on white would become black on black: lift it, never the background.
        weight = float(mask_canvas.sum())
        level = float((canvas * mask_canvas).sum()) / weight if weight > 0 else 0.0
        if 0 < level < MIN_ITEM_LEVEL:
            canvas = np.clip(canvas * min(MAX_ITEM_GAIN, MIN_ITEM_LEVEL / level), 0.0, 255.0)
        elif level == 0 and weight > 0:
            canvas = np.clip(canvas + MIN_ITEM_LEVEL * mask_canvas, 0.0, 255.0)
    return np.round(canvas).astype(np.uint8)


def tta_batch(image: np.ndarray) -> np.ndarray:
    """The image, its mirror image and one-pixel shifts of each: (6, 28, 28), for one batched call."""
    mirror = image[:, ::-1]
    variants = [image, mirror]
    for source, shift, axis in ((image, 1, 1), (image, -1, 1), (mirror, 1, 0), (mirror, -1, 0)):
        shifted = np.roll(source, shift, axis=axis)
        # np.roll wraps around; the wrapped edge becomes background instead.
        if axis == 1:
            shifted[:, 0 if shift > 0 else -1] = 0
        else:
            shifted[0 if shift > 0 else -1, :] = 0
        variants.append(shifted)
    return np.stack(variants).astype(np.float32)


def prepare_photo(data: bytes, switches: dict[str, bool] | None = None) -> PhotoInput:
    """Run the photo through the steps switched on; ImageError if it is not a usable image."""
    switches = {**all_on(), **(switches or {})}
    image = open_image(data)
    original_size = image.size
    try:
        image = shrink_to_working_size(image)
        rgb, gray, alpha = _photo_arrays(image)
    except (ValueError, OSError):
        raise unreadable_mode_error(image) from None
    pictures: list[tuple[str, np.ndarray]] = [(N_("Original"), rgb)]
    notes: list[str] = []
    mask, segmented = None, False
    if switches["segment"]:
        # A transparent cut-out is its own mask; anything else goes through GrabCut
        mask = alpha if alpha is not None and MASK_TOO_SMALL < alpha.mean() < 1.0 else grabcut_mask(rgb)
        coverage = float(mask.mean())
        if coverage < MASK_TOO_SMALL:
            notes.append(N_("Segmentation found no item; the whole photo is used instead."))
            mask = None
        elif coverage > MASK_TOO_LARGE:
            notes.append(N_("Segmentation kept almost the whole photo; it may include the background."))
        if mask is not None:
            segmented = True
            pictures.append((N_("Item outlined"), outline(rgb, mask)))
            pictures.append((N_("Item alone"), np.where(mask[..., None], rgb, 255).astype(np.uint8)))
    if mask is None:
        mask = _border_difference_mask(gray)
    invert = switches["invert"]
    if not segmented and invert:
        # Without a mask, negate only when the background is light, as the old preprocessing did.
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        invert = float(np.median(border)) > 127.0
    square = render_28(gray, mask, sharpen=switches["sharpen"], invert=invert, on_white=segmented)
    if not segmented:
        square = _background_to_black(square)
    pictures.append((N_("28x28, what the model sees"), square))
    model_image = scale_images(square)
    batch = tta_batch(model_image) if switches["tta"] else model_image[np.newaxis]
    return PhotoInput(
        image=model_image,
        batch=batch,
        switches=switches,
        pictures=pictures,
        warnings=notes,
        mask=mask if segmented else None,
        original_size=original_size,
        segmented=segmented,
    )


def _background_to_black(square: np.ndarray) -> np.ndarray:
    """Without a mask: subtract the border level and stretch, so the ground is black (the old way)."""
    values = square.astype(np.float32)
    border = np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])
    values = np.clip(values - float(np.median(border)), 0.0, None)
    if values.max() > 0:
        values *= 255.0 / values.max()
    return np.round(values).astype(np.uint8)


def outline(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The photo with the mask's edge drawn in a bright colour."""
    # deferred: OpenCV loads only when a photo is segmented
    import cv2

    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    drawn = np.ascontiguousarray(rgb.copy())
    cv2.drawContours(drawn, contours, -1, (255, 0, 255), max(1, round(max(rgb.shape[:2]) / 128)))
    return drawn
