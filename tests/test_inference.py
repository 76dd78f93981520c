"""Predictions for batches and single images, and photo preprocessing on ordinary photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fashion.errors import ImageError
from fashion.photos.pipeline import prepare_photo
from fashion.training import inference
from fashion.training.inference import (
    predict_one,
    predict_probabilities,
    top_classes,
    unsure_warning,
)


def encode(image: Image.Image, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def photo_of(item: np.ndarray, size: int = 300, background=(235, 228, 215)) -> bytes:
    """A photo-like picture: the item dark on a light coloured background, with margins and noise."""
    generator = np.random.default_rng(1)
    dark_item = 255 - np.asarray(item, dtype=np.float32)
    enlarged = np.asarray(
        Image.fromarray(dark_item.astype(np.uint8)).resize((size // 2, size // 2), Image.BILINEAR),
        dtype=np.float32,
    )
    canvas = np.ones((size, size, 3), dtype=np.float32) * np.array(background, dtype=np.float32)
    offset = size // 4
    region = canvas[offset : offset + size // 2, offset : offset + size // 2]
    darkness = (255 - enlarged)[..., None] / 255.0
    canvas[offset : offset + size // 2, offset : offset + size // 2] = region * (1 - darkness) + 40 * darkness
    canvas += generator.normal(0, 4, canvas.shape)
    return encode(Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)), "JPEG")


def test_single_fast_path_matches_batch(loaded_model, small_dataset):
    batch = predict_probabilities(loaded_model, small_dataset.test_images[:5])
    assert batch.shape == (5, 10)
    np.testing.assert_allclose(batch.sum(axis=1), 1.0, rtol=1e-5)
    for index in range(5):
        np.testing.assert_allclose(
            predict_one(loaded_model, small_dataset.test_images[index]), batch[index], rtol=1e-4, atol=1e-6
        )


def test_batch_predictions_in_chunks_match_keras_predict(loaded_model, small_dataset, monkeypatch):
    monkeypatch.setattr(inference, "PREDICTION_BATCH", 128)  # 300 images: two full chunks and a partial one
    images = small_dataset.test_images
    expected = loaded_model.predict(images.astype(np.float32) / 255.0, verbose=0)
    np.testing.assert_allclose(predict_probabilities(loaded_model, images), expected, rtol=1e-4, atol=1e-6)


def test_top_classes_are_ordered():
    probabilities = np.array([0.05, 0.5, 0.0, 0.3, 0.0, 0.0, 0.15, 0.0, 0.0, 0.0])
    assert [label for label, _, _ in top_classes(probabilities)] == [1, 3, 6]
    assert top_classes(probabilities)[0][1] == "Trouser"
    assert unsure_warning(probabilities) is None
    assert "unsure" in unsure_warning(np.full(10, 0.1))


def test_a_photo_becomes_a_light_item_on_black_like_the_training_data(small_dataset):
    item = small_dataset.test_images[0]
    photo = prepare_photo(photo_of(item))
    assert photo.image.shape == (28, 28) and photo.image.dtype == np.float32
    assert photo.image.min() >= 0.0 and photo.image.max() <= 1.0
    border = np.concatenate([photo.image[0], photo.image[-1], photo.image[:, 0], photo.image[:, -1]])
    assert border.mean() < 0.15
    titles = [title for title, _ in photo.pictures]
    assert titles[0] == "Original" and titles[-1].startswith("28x28")


def test_photos_of_test_items_come_back_close_to_the_items(small_dataset):
    correlations = []
    for index in range(10):
        item = small_dataset.test_images[index]
        recovered = prepare_photo(photo_of(item)).image
        correlations.append(np.corrcoef(item.ravel() / 255.0, recovered.ravel())[0, 1])
    assert np.mean(correlations) > 0.8 and min(correlations) > 0.6


def test_a_photo_of_a_test_item_is_classified_like_the_item(loaded_model, small_dataset):
    agree = 0
    for index in range(20):
        item = small_dataset.test_images[index]
        from_photo = predict_one(loaded_model, prepare_photo(photo_of(item)).image).argmax()
        agree += int(from_photo == predict_one(loaded_model, item).argmax())
    assert agree >= 14


def test_not_an_image_is_an_image_error():
    with pytest.raises(ImageError, match="not an image"):
        prepare_photo(b"hello")
    with pytest.raises(ImageError, match="empty"):
        prepare_photo(b"")
