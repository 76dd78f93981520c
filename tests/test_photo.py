"""The photo pipeline: segmentation on synthetic scenes, the 28x28 rendering, the switches, TTA and OOD."""

from __future__ import annotations

import io

import numpy as np
import pytest
from photo_scenes import TEXTURES, intersection_over_union, scene
from PIL import Image

from fashion.errors import ImageError
from fashion.photos import ood
from fashion.photos import pipeline as photo
from fashion.training.inference import predict_probabilities


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def confident_items(small_dataset, trained_store):
    """Test items the small model gets right, confidently, on the raw 28x28 image."""
    from fashion.store import model_store as store

    model = store.load_model("small-tutorial", trained_store)
    probabilities = predict_probabilities(model, small_dataset.test_images)
    right = (probabilities.argmax(axis=1) == small_dataset.test_labels) & (probabilities.max(axis=1) > 0.8)
    # One item of each class the model knows well, so the scenes cover several shapes.
    chosen = []
    for label in range(10):
        indices = np.flatnonzero(right & (small_dataset.test_labels == label))
        if len(indices):
            chosen.append(int(indices[0]))
    return model, chosen


@pytest.mark.parametrize("kind", TEXTURES)
def test_segmentation_finds_the_item_on_textures_and_keeps_its_class(kind, confident_items, small_dataset):
    model, chosen = confident_items
    assert len(chosen) >= 5
    right = 0
    for seed, index in enumerate(chosen):
        data, true_mask = scene(small_dataset.test_images[index], kind, seed=seed)
        prepared = photo.prepare_photo(data)
        assert prepared.segmented and prepared.mask.shape == true_mask.shape
        assert intersection_over_union(prepared.mask, true_mask) > 0.8, (kind, index)
        probabilities = predict_probabilities(model, prepared.batch).mean(axis=0)
        right += int(probabilities.argmax() == small_dataset.test_labels[index])
    # A weak 3-epoch model on 1,000 images: most, not all, items keep their class.
    assert right >= 0.7 * len(chosen), (kind, right, len(chosen))


def test_without_segmentation_a_textured_scene_keeps_its_background(small_dataset):
    data, _ = scene(small_dataset.test_images[0], "check")
    segmented = photo.prepare_photo(data)
    whole = photo.prepare_photo(data, photo.switches_with(segment=False))
    assert not whole.segmented and whole.mask is None
    assert [title for title, _ in whole.pictures] == ["Original", "28x28, what the model sees"]
    assert "Item outlined" in [title for title, _ in segmented.pictures]
    # Segmented, the corners of the 28x28 input are black; unsegmented, the check shows through
    assert segmented.pictures[-1][1][:3, :3].max() < 10


def test_rendering_keeps_the_aspect_ratio_and_centres_the_item():
    photo_array = np.full((200, 300, 3), 250, np.uint8)
    photo_array[80:120, 30:270] = 30  # a dark bar six times as wide as it is tall
    prepared = photo.prepare_photo(png(photo_array))
    square = prepared.pictures[-1][1]
    rows = np.flatnonzero(square.max(axis=1) > 60)
    columns = np.flatnonzero(square.max(axis=0) > 60)
    assert columns[-1] - columns[0] + 1 >= 26  # the long side fills the 28 pixels
    assert 3 <= rows[-1] - rows[0] + 1 <= 7  # the short side stays short
    assert abs((rows[0] + rows[-1]) / 2 - 13.5) <= 1.5


def test_a_white_item_on_a_white_sheet_does_not_vanish():
    photo_array = np.full((240, 240, 3), 252, np.uint8)
    photo_array[:, :, 2] = 245
    photo_array[60:180, 70:170] = (236, 236, 240)  # a white shirt, barely darker than the sheet
    photo_array[60:180, 70:72] = 200  # with a faint shadowed edge
    photo_array[60:180, 168:170] = 200
    prepared = photo.prepare_photo(png(photo_array))
    square = prepared.pictures[-1][1]
    if prepared.segmented:
        item = square[square > 0]
        assert item.size > 100 and item.mean() >= photo.MIN_ITEM_LEVEL * 0.9
    else:
        assert square.max() > 100  # the fallback stretches the faint item instead


def test_switches_change_what_the_model_gets(small_dataset):
    data, _ = scene(small_dataset.test_images[1], "wood")
    default = photo.prepare_photo(data)
    assert default.batch.shape == (6, 28, 28)
    np.testing.assert_allclose(default.batch[1], default.image[:, ::-1])
    assert photo.prepare_photo(data, photo.switches_with(tta=False)).batch.shape == (1, 28, 28)
    not_inverted = photo.prepare_photo(data, photo.switches_with(invert=False)).image
    assert not_inverted[:2, :2].mean() > 0.9  # the ground stays white, the item dark
    unsharpened = photo.prepare_photo(data, photo.switches_with(sharpen=False)).image
    assert not np.allclose(unsharpened, default.image)
    assert np.abs(unsharpened - default.image).max() < 0.5
    with pytest.raises(ValueError, match="unknown photo steps"):
        photo.switches_with(crop=False)


def test_bad_bytes_raise_image_error():
    with pytest.raises(ImageError):
        photo.prepare_photo(b"not an image")


def test_a_transparent_cut_out_uses_its_alpha_as_the_mask(small_dataset):
    item = np.asarray(Image.fromarray(small_dataset.test_images[0]).resize((112, 112)))
    rgba = np.zeros((112, 112, 4), np.uint8)
    rgba[..., :3] = (255 - item)[..., None]
    rgba[..., 3] = np.where(item > 20, 255, 0)
    prepared = photo.prepare_photo(png(rgba))
    assert prepared.segmented
    assert intersection_over_union(prepared.mask, item > 20) > 0.95


def test_ood_flags_a_blend_of_two_items_and_few_test_images(small_dataset, confident_items):
    model, chosen = confident_items
    calibration = ood.calibrate(model, small_dataset, photo.tta_batch)
    assert calibration.calibration_count == len(small_dataset.test_images[0::2])
    held_out = ood.scores_of_images(model, small_dataset.test_images[1::2], photo.tta_batch)
    assert (held_out > calibration.threshold).mean() <= 0.15
    # Items the model gets right with confidence through the same mirror-and-shift batch are not flagged
    images = small_dataset.test_images.astype(np.float32) / 255.0
    predictions = {
        index: ood.predict_photo(model, photo.tta_batch(images[index]), calibration)
        for index in chosen
    }
    known = [
        index
        for index, prediction in predictions.items()
        if prediction.probabilities.argmax() == small_dataset.test_labels[index]
        and prediction.probabilities.max() > 0.8
    ]
    assert len(known) >= 3
    for index in known:
        assert not predictions[index].out_of_distribution
        np.testing.assert_allclose(predictions[index].probabilities.sum(), 1.0, rtol=1e-5)
    scores = {index: prediction.ood_score for index, prediction in predictions.items()}
    # Every chosen item drawn over the others: the model is torn between them and says none of the ten
    items = small_dataset.test_images[chosen].astype(np.float32) / 255.0
    two = ood.predict_photo(model, photo.tta_batch(items[:2].mean(axis=0)), calibration)
    everything = ood.predict_photo(model, photo.tta_batch(items.mean(axis=0)), calibration)
    assert two.ood_score > min(scores[chosen[0]], scores[chosen[1]])
    assert everything.ood_score > two.ood_score
    assert everything.out_of_distribution
