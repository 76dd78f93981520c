"""The generated "none of the ten" photos: fixed, rendered by the photo pipeline like an upload, cached."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fashion.data import generated_negatives
from fashion.data.generated_negatives import generated_count, generated_photo, load_generated_negatives


def test_each_generated_photo_is_always_the_same_and_differs_from_the_others():
    first = generated_photo(3)
    assert generated_photo(3) == first
    assert generated_photo(4) != first
    photo = Image.open(io.BytesIO(first))
    assert photo.size == (generated_negatives.PHOTO_SIZE, generated_negatives.PHOTO_SIZE)


def test_generated_photos_become_light_objects_on_black_and_are_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_CACHE_DIR", str(tmp_path))
    images = load_generated_negatives(6, workers=1)
    assert images.shape == (6, 28, 28) and images.dtype == np.uint8
    corners = images[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    middles = images[:, 10:18, 10:18]
    assert corners.mean() < 10 and middles.mean() > 40, (corners.mean(), middles.mean())

    def no_rendering(*arguments):
        raise AssertionError("rendered again instead of read from the cache")

    monkeypatch.setattr(generated_negatives, "render_in_pool", no_rendering)
    np.testing.assert_array_equal(load_generated_negatives(6), images)
    with pytest.raises(AssertionError, match="rendered again"):
        load_generated_negatives(7)


def test_the_count_follows_the_real_training_photos():
    assert generated_count(0) == 0
    assert generated_count(3359) == round(generated_negatives.SHARE_OF_REAL_PHOTOS * 3359)
