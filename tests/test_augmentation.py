"""Photo-like training augmentation: what it does to images, and training with it."""

from __future__ import annotations

import numpy as np
import pytest

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.errors import ConfigurationError
from fashion.training.augmentation import (
    AUGMENTATIONS,
    PREVIEW_VARIANTS,
    AugmentationSettings,
    augment_images,
    fit_item,
    paired,
    preview_grid,
    preview_indices,
    turned,
)
from fashion.training.models import PHOTO_PRESET, HyperParameters, presets


def test_augmented_images_stay_images_and_differ(small_dataset):
    images = small_dataset.train_images[:64].astype(np.float32) / 255.0
    settings = AugmentationSettings(fraction=1.0)
    augmented = augment_images(images, settings, np.random.default_rng(0))
    assert augmented.shape == images.shape and augmented.dtype == np.float32
    assert augmented.min() >= 0.0 and augmented.max() <= 1.0
    pairs = zip(images, augmented, strict=True)
    assert all(not np.allclose(before, after) for before, after in pairs)
    again = augment_images(images, settings, np.random.default_rng(0))
    np.testing.assert_array_equal(augmented, again)  # seeded: the same batches on every run


def test_the_photo_recipe_leaves_about_half_the_images_as_they_were(small_dataset):
    images = small_dataset.train_images[:400].astype(np.float32) / 255.0
    augmented = augment_images(images, AUGMENTATIONS["photo"], np.random.default_rng(1))
    pairs = zip(images, augmented, strict=True)
    unchanged = np.mean([np.array_equal(before, after) for before, after in pairs])
    assert 0.4 <= unchanged <= 0.6


def only(**changes) -> AugmentationSettings:
    """Settings with every image augmented and every change off except those given."""
    off = {name: 0.0 for name in AugmentationSettings.__dataclass_fields__ if name != "contrast_low"}
    return AugmentationSettings(**{**off, "contrast_low": 1.0, "fraction": 1.0, **changes})


def test_a_mirror_only_recipe_mirrors():
    image = np.zeros((1, 28, 28), np.float32)
    image[0, 5:20, 2:6] = 1.0  # a bar on the left
    settings = only(flip=1.0)
    mirrored = augment_images(image, settings, np.random.default_rng(0))
    np.testing.assert_allclose(mirrored[0], image[0, :, ::-1], atol=1e-6)


def _bar(top: int, bottom: int, left: int, right: int) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[top:bottom, left:right] = 1.0
    return image


def test_fit_item_trims_and_scales_the_longest_edge_to_28():
    fitted = fit_item(_bar(10, 14, 8, 16))  # 4 x 8: becomes 14 x 28, centred
    rows, columns = np.flatnonzero(fitted.any(axis=1)), np.flatnonzero(fitted.any(axis=0))
    assert (columns[0], columns[-1]) == (0, 27)
    assert len(rows) == 14 and rows[0] == 7


def test_a_turned_shoe_keeps_every_corner_and_a_quarter_turn_stands_it_up():
    lying = _bar(12, 16, 0, 28)  # a long horizontal item
    standing = turned(lying, 90.0)
    rows, columns = np.flatnonzero(standing.any(axis=1)), np.flatnonzero(standing.any(axis=0))
    assert (rows[0], rows[-1]) == (0, 27) and len(columns) <= 6
    diagonal = turned(lying, 45.0)
    assert diagonal[0].any() or diagonal[:, 0].any()  # refitted to the frame, not clipped inside it
    assert diagonal.sum() > 0.3 * lying.sum()


def test_a_pair_shows_two_shoes_where_there_was_one():
    import cv2

    shoe = _bar(10, 18, 2, 26)
    generator = np.random.default_rng(0)
    counts = []
    for _ in range(20):
        pair = paired(shoe, generator)
        count, _ = cv2.connectedComponents((pair > 0.5).astype(np.uint8))
        rows, columns = np.flatnonzero(pair.any(axis=1)), np.flatnonzero(pair.any(axis=0))
        counts.append(count - 1)
        # Refitted: the pair's longest edge spans the frame
        assert rows[-1] - rows[0] == 27 or columns[-1] - columns[0] == 27
    assert max(counts) == 2 and min(counts) >= 1  # apart, or overlapping into one outline


def test_only_shoes_become_pairs_or_turn():
    quiet = only(pair_probability=1.0)
    item = _bar(4, 24, 9, 19)[np.newaxis]
    for name in CLASS_NAMES:
        label = np.array([CLASS_NAMES.index(name)])
        augmented = augment_images(item, quiet, np.random.default_rng(0), label)
        changed = not np.allclose(augmented, item, atol=1e-5)
        assert changed == (name in ("Sandal", "Sneaker", "Ankle boot")), name


def test_preview_grid_shows_originals_and_three_variants(small_dataset):
    grid = preview_grid(small_dataset.train_images, AUGMENTATIONS["photo"], seed=3, count=5)
    assert grid.shape == ((1 + PREVIEW_VARIANTS) * 28, 5 * 28) and grid.dtype == np.uint8
    assert not np.array_equal(grid[:28], grid[28:56])
    # The top row is the images preview_indices names (what the preview's alt text lists), in order
    shown = preview_indices(len(small_dataset.train_images), seed=3, count=5)
    top_row = np.concatenate(list(small_dataset.train_images[shown]), axis=1)
    assert np.abs(grid[:28].astype(int) - top_row).max() <= 1


def test_unknown_augmentation_is_refused_and_the_preset_uses_photo():
    with pytest.raises(ConfigurationError, match="augmentation must be one of"):
        HyperParameters(augmentation="sepia").validated()
    assert presets("cnn")[PHOTO_PRESET].augmentation == "photo"
    assert HyperParameters.from_dict({"augmentation": "photo"}).augmentation == "photo"


def test_training_with_augmentation_runs_every_epoch(small_dataset):
    from fashion.training.run import train

    result = train(
        "tutorial", HyperParameters(epochs=2, batch_size=100, seed=1, augmentation="photo"), small_dataset
    )
    assert result.epochs_run == 2 and result.history[-1]["val_accuracy"] is not None
    assert result.train_count == 900
