"""Training augmentation that imitates what real photos look like after the photo pipeline.

Written with NumPy and OpenCV rather than Keras preprocessing layers: the same code then runs on
any Keras backend, over a whole epoch's images before the app's loop trains on them (or in a data
loader's threads in the exported script), and per image where the layers would draw one setting
per batch; RandomFlip/RandomRotation/RandomZoom have no gamma, blur, random erasing or background
texture anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fashion.data.fashion_mnist import CLASS_NAMES, IMAGE_SIZE, scale_images, unscale_images
from fashion.i18n import N_
from fashion.photos.pipeline import centred_origin, fitted_size

FOOTWEAR = np.array([CLASS_NAMES.index(name) for name in ("Sandal", "Sneaker", "Ankle boot")])


@dataclass(frozen=True)
class AugmentationSettings:
    """How strongly each kind of photo difference is imitated (0 turns it off)."""

    # The defaults are the "photo" recipe, chosen by measurement (BENCHMARKS.md, "Real photos"):
    # stronger settings or every image augmented cost Fashion-MNIST test accuracy (0.87-0.90).
    fraction: float = 0.5  # share of the images augmented; the others stay as Fashion-MNIST made them
    flip: float = 0.5  # probability of a mirror image
    rotation_degrees: float = 6.0
    scale_range: float = 0.1  # item size 1 +- this
    aspect_range: float = 0.1  # width / height jitter
    shift_pixels: float = 2.0
    gamma_range: float = 0.3  # gamma in [1 - r, 1 + r], like the grey levels of dark and light cloth
    contrast_low: float = 0.8  # brightness multiplied by [contrast_low, 1]
    blur_probability: float = 0.15
    noise_std: float = 0.02
    erase_probability: float = 0.15  # a rectangle of the item goes missing, as a segmentation may lose it
    texture_probability: float = 0.15  # a faint texture leaks into the background
    texture_level: float = 0.12
    # Footwear in photos: usually a pair, often seen from above or turned (../shared/photos-dev README)
    pair_probability: float = 0.4  # an augmented shoe becomes a pair: a second copy beside or behind it
    turn_probability: float = 0.3  # an augmented shoe is turned by up to turn_degrees, then refitted
    turn_degrees: float = 90.0


# The named recipes: the training option's values. "photo" is what the Photo-robust preset uses.
AUGMENTATIONS: dict[str, AugmentationSettings | None] = {
    N_("none"): None,
    N_("photo"): AugmentationSettings(),
}


def get_settings(name: str) -> AugmentationSettings | None:
    """The settings of a named augmentation; ValueError naming the known ones."""
    try:
        return AUGMENTATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown augmentation {name!r}; choose one of {', '.join(AUGMENTATIONS)}."
        ) from None


def _texture(generator: np.random.Generator) -> np.ndarray:
    """A faint wood-grain, check or carpet-like pattern in [0, 1]."""
    rows, columns = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE].astype(np.float32)
    kind = generator.integers(3)
    if kind == 0:
        angle = generator.uniform(0, math.pi)
        along = rows * math.cos(angle) + columns * math.sin(angle)
        pattern = 0.5 + 0.5 * np.sin(along * generator.uniform(0.6, 1.6) + generator.uniform(0, 6))
    elif kind == 1:
        period = generator.integers(3, 8)
        pattern = (((rows // period) + (columns // period)) % 2).astype(np.float32)
    else:
        pattern = generator.random((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    return pattern


def fit_item(image: np.ndarray) -> np.ndarray:
    """The item of a light-on-black image trimmed, its longest edge scaled to 28 and centred, as the photo
    pipeline renders it."""
    # deferred: OpenCV loads only when a photo is segmented
    import cv2

    rows = np.flatnonzero((image > 0.05).any(axis=1))
    columns = np.flatnonzero((image > 0.05).any(axis=0))
    if len(rows) == 0:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    item = np.ascontiguousarray(image[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1])
    size, interpolation = fitted_size(*item.shape)
    small = cv2.resize(item, size, interpolation=interpolation)
    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    top, left = centred_origin(size)
    canvas[top : top + size[1], left : left + size[0]] = small
    return canvas


def turned(image: np.ndarray, degrees: float) -> np.ndarray:
    """The image turned by degrees on a canvas large enough to lose no corner, then refitted."""
    # deferred: OpenCV loads only when a photo is segmented
    import cv2

    padded = np.pad(image, IMAGE_SIZE // 2)
    centre = ((padded.shape[1] - 1) / 2.0, (padded.shape[0] - 1) / 2.0)
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    rotated = cv2.warpAffine(padded, matrix, padded.shape[::-1], flags=cv2.INTER_LINEAR, borderValue=0)
    return fit_item(rotated)


def paired(image: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    """A pair of the shoe: a copy (or its mirror image) beside or behind it, the pair refitted to 28x28."""
    second = image[:, ::-1] if generator.random() < 0.5 else image
    if generator.random() < 0.5:  # side by side, as seen from above or in front
        step_x, step_y = round(generator.uniform(0.4, 0.9) * IMAGE_SIZE), round(generator.uniform(-3, 3))
    else:  # one behind the other, as seen from the side
        step_x, step_y = round(generator.uniform(-6, 6)), round(generator.uniform(0.3, 0.7) * IMAGE_SIZE)
    canvas = np.zeros((3 * IMAGE_SIZE, 3 * IMAGE_SIZE), np.float32)
    canvas[IMAGE_SIZE : 2 * IMAGE_SIZE, IMAGE_SIZE : 2 * IMAGE_SIZE] = image
    top, left = IMAGE_SIZE + step_y, IMAGE_SIZE + step_x
    behind = canvas[top : top + IMAGE_SIZE, left : left + IMAGE_SIZE]
    # The front shoe hides the one behind it
    canvas[top : top + IMAGE_SIZE, left : left + IMAGE_SIZE] = np.where(behind > 0.05, behind, second)
    return fit_item(canvas)


def augment_images(
    images: np.ndarray,
    settings: AugmentationSettings,
    generator: np.random.Generator,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """Augmented copies of float32 images in [0, 1], shape (N, 28, 28), light item on black; with labels,
    shoes may become pairs or turn. Only settings.fraction of them change; the rest are copied as they are."""
    # deferred: OpenCV loads only when a photo is segmented
    import cv2

    result = np.array(images, np.float32)
    chosen = np.flatnonzero(generator.random(len(images)) < settings.fraction)
    count = len(chosen)
    output = np.empty((count, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    centre = (IMAGE_SIZE - 1) / 2.0
    footwear = np.isin(labels[chosen], FOOTWEAR) if labels is not None else np.zeros(count, bool)
    for index in range(count):
        image = result[chosen[index]]
        if generator.random() < settings.flip:
            image = image[:, ::-1]
        if footwear[index]:
            if generator.random() < settings.turn_probability:
                image = turned(image, generator.uniform(-settings.turn_degrees, settings.turn_degrees))
            if generator.random() < settings.pair_probability:
                image = paired(image, generator)
        angle = math.radians(generator.uniform(-settings.rotation_degrees, settings.rotation_degrees))
        scale = 1.0 + generator.uniform(-settings.scale_range, settings.scale_range)
        aspect = 1.0 + generator.uniform(-settings.aspect_range, settings.aspect_range)
        scale_x, scale_y = scale * aspect, scale / aspect
        cosine, sine = math.cos(angle), math.sin(angle)
        matrix = np.array(
            [[scale_x * cosine, -scale_y * sine, 0.0], [scale_x * sine, scale_y * cosine, 0.0]], np.float32
        )
        shift = generator.uniform(-settings.shift_pixels, settings.shift_pixels, size=2)
        matrix[:, 2] = np.array([centre, centre]) + shift - matrix[:, :2] @ np.array([centre, centre])
        output[index] = cv2.warpAffine(
            np.ascontiguousarray(image),
            matrix,
            (IMAGE_SIZE, IMAGE_SIZE),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
    # Grey levels: gamma and a darker or lighter item, per image
    gamma = generator.uniform(1 - settings.gamma_range, 1 + settings.gamma_range, size=(count, 1, 1)).astype(
        np.float32
    )
    contrast = generator.uniform(settings.contrast_low, 1.0, size=(count, 1, 1)).astype(np.float32)
    output = np.power(np.clip(output, 0.0, 1.0), gamma) * contrast
    for index in np.flatnonzero(generator.random(count) < settings.blur_probability).tolist():
        output[index] = cv2.GaussianBlur(output[index], (0, 0), generator.uniform(0.4, 0.8))
    for index in np.flatnonzero(generator.random(count) < settings.erase_probability).tolist():
        height, width = generator.integers(3, 10, size=2)
        top, left = generator.integers(0, IMAGE_SIZE - height), generator.integers(0, IMAGE_SIZE - width)
        output[index, top : top + height, left : left + width] = 0.0
    for index in np.flatnonzero(generator.random(count) < settings.texture_probability).tolist():
        background = output[index] < 0.05
        level = generator.uniform(0.02, settings.texture_level)
        output[index] += background * _texture(generator) * level
    if settings.noise_std > 0:
        output += generator.normal(0.0, 1.0, output.shape).astype(np.float32) * generator.uniform(
            0, settings.noise_std, size=(count, 1, 1)
        ).astype(np.float32)
    result[chosen] = np.clip(output, 0.0, 1.0)
    return result


def augmented_epoch(
    images: np.ndarray, labels: np.ndarray, settings: AugmentationSettings, seed: int, epoch: int
) -> np.ndarray:
    """One epoch's training images: a new variant of each image chosen for augmentation, by (seed, epoch)."""
    chunk = 4096  # bounds the temporary arrays of one augment_images call
    return np.concatenate(
        [
            augment_images(
                images[begin : begin + chunk],
                settings,
                np.random.default_rng((seed, epoch, begin)),
                labels[begin : begin + chunk],
            )
            for begin in range(0, len(images), chunk)
        ]
    )


def make_batches(
    images: np.ndarray, labels: np.ndarray, batch_size: int, settings: AugmentationSettings, seed: int
):
    """A keras.utils.PyDataset of shuffled, augmented batches, reshuffled every epoch: the exported script's
    way (fashion/lesson/model_code.py), in plain Keras; the app trains on augmented_epoch in its own loop."""
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    class AugmentedBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=2, use_multiprocessing=False)
            self.epoch = 0
            self.order = np.random.default_rng(seed).permutation(len(labels))

        def __len__(self):
            return math.ceil(len(labels) / batch_size)

        def __getitem__(self, index):
            chosen = self.order[index * batch_size : (index + 1) * batch_size]
            generator = np.random.default_rng((seed, self.epoch, index))
            return augment_images(images[chosen], settings, generator, labels[chosen]), labels[chosen]

        def on_epoch_end(self):
            self.epoch += 1
            self.order = np.random.default_rng((seed, self.epoch)).permutation(len(labels))

    return AugmentedBatches()


PREVIEW_COUNT = 8  # training images in the Train page's preview (its top row)
PREVIEW_VARIANTS = 3  # augmented versions of each, in the rows below


def preview_indices(image_count: int, seed: int = 0, count: int = PREVIEW_COUNT) -> np.ndarray:
    """The training images the augmentation preview shows in its top row, left to right."""
    return np.random.default_rng(seed).choice(image_count, size=count, replace=False)


def preview_grid(
    images: np.ndarray,
    settings: AugmentationSettings,
    seed: int = 0,
    count: int = PREVIEW_COUNT,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """uint8 grid: the preview_indices images (top row) and PREVIEW_VARIANTS augmented versions below."""
    picked = preview_indices(len(images), seed, count)
    generator = np.random.default_rng([seed, 1])  # the augmentations' own stream
    chosen = scale_images(images[picked])
    chosen_labels = labels[picked] if labels is not None else None
    # In the preview every image is augmented, so each row shows what the recipe does
    shown = (
        settings
        if settings.fraction >= 1.0
        else AugmentationSettings(**{**settings.__dict__, "fraction": 1.0})
    )
    variants = [augment_images(chosen, shown, generator, chosen_labels) for _ in range(PREVIEW_VARIANTS)]
    grid = np.concatenate([np.concatenate(list(row), axis=1) for row in [chosen, *variants]], axis=0)
    return unscale_images(grid)
