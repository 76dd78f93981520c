"""Photo-like training augmentation: what it does to images, and training with it."""

from __future__ import annotations

import numpy as np
import pytest

from fashion.augmentation import AUGMENTATIONS, AugmentationSettings, augment_images, preview_grid
from fashion.errors import ConfigurationError
from fashion.models import PHOTO_PRESET, HyperParameters, presets


def test_augmented_images_stay_images_and_differ(small_dataset):
    images = small_dataset.train_images[:64].astype(np.float32) / 255.0
    settings = AugmentationSettings(fraction=1.0)
    augmented = augment_images(images, settings, np.random.default_rng(0))
    assert augmented.shape == images.shape and augmented.dtype == np.float32
    assert augmented.min() >= 0.0 and augmented.max() <= 1.0
    assert all(not np.allclose(before, after) for before, after in zip(images, augmented))
    again = augment_images(images, settings, np.random.default_rng(0))
    np.testing.assert_array_equal(augmented, again)  # seeded: the same batches on every run


def test_the_photo_recipe_leaves_about_half_the_images_as_they_were(small_dataset):
    images = small_dataset.train_images[:400].astype(np.float32) / 255.0
    augmented = augment_images(images, AUGMENTATIONS["photo"], np.random.default_rng(1))
    unchanged = np.mean([np.array_equal(before, after) for before, after in zip(images, augmented)])
    assert 0.4 <= unchanged <= 0.6


def test_a_mirror_only_recipe_mirrors():
    image = np.zeros((1, 28, 28), np.float32)
    image[0, 5:20, 2:6] = 1.0  # a bar on the left
    settings = AugmentationSettings(
        fraction=1.0,
        flip=1.0,
        rotation_degrees=0,
        scale_range=0,
        aspect_range=0,
        shift_pixels=0,
        gamma_range=0,
        contrast_low=1.0,
        blur_probability=0,
        noise_std=0,
        erase_probability=0,
        texture_probability=0,
    )
    mirrored = augment_images(image, settings, np.random.default_rng(0))
    np.testing.assert_allclose(mirrored[0], image[0, :, ::-1], atol=1e-6)


def test_preview_grid_shows_originals_and_three_variants(small_dataset):
    grid = preview_grid(small_dataset.train_images, AUGMENTATIONS["photo"], seed=3, count=5)
    assert grid.shape == (4 * 28, 5 * 28) and grid.dtype == np.uint8
    assert not np.array_equal(grid[:28], grid[28:56])


def test_unknown_augmentation_is_refused_and_the_preset_uses_photo():
    with pytest.raises(ConfigurationError, match="augmentation must be one of"):
        HyperParameters(augmentation="sepia").validated()
    assert presets("cnn")[PHOTO_PRESET].augmentation == "photo"
    assert HyperParameters.from_dict({"augmentation": "photo"}).augmentation == "photo"


def test_training_with_augmentation_runs_every_epoch(small_dataset):
    from fashion.training import train

    result = train(
        "tutorial", HyperParameters(epochs=2, batch_size=100, seed=1, augmentation="photo"), small_dataset
    )
    assert result.epochs_run == 2 and result.history[-1]["val_accuracy"] is not None
    assert result.train_count == 900
