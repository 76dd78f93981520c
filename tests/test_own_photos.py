"""The user's own photos: kept per browser, capped, deleted only by their owner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion.errors import ImageError, OwnPhotoError
from fashion.photos import own_photos

SHARED_PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "real-photos"
ALICE = "browser-" + "a" * 16
BOB = "browser-" + "b" * 16


@pytest.fixture
def photo_bytes() -> bytes:
    """One real photo's bytes."""
    return sorted((SHARED_PHOTOS / "images").iterdir())[0].read_bytes()


def test_a_kept_photo_is_listed_counted_and_rendered_for_its_owner_only(models_dir, photo_bytes):
    kept = own_photos.keep_photo(ALICE, photo_bytes, 7)
    own_photos.keep_photo(ALICE, photo_bytes, 7)
    own_photos.keep_photo(ALICE, photo_bytes, 0)
    photos = own_photos.list_photos(ALICE)
    assert [photo.label for photo in photos] == [7, 7, 0] and photos[0] == kept
    assert kept.class_name == "Sneaker" and kept.path.read_bytes() == photo_bytes
    assert own_photos.class_counts(ALICE).tolist() == [1, 0, 0, 0, 0, 0, 0, 2, 0, 0]
    images, labels = own_photos.rendered_photos(ALICE)
    assert images.shape == (3, 28, 28) and images.dtype == np.uint8 and labels.tolist() == [7, 7, 0]
    # Another browser sees none of them, and the store does not list them as a model.
    assert own_photos.list_photos(BOB) == [] and own_photos.class_counts(BOB).sum() == 0
    assert own_photos.rendered_photos(BOB)[0].shape == (0, 28, 28)
    from fashion.store import model_store as store

    assert store.list_entries() == []


def test_only_the_owner_deletes_a_photo(models_dir, photo_bytes):
    kept = own_photos.keep_photo(ALICE, photo_bytes, 3)
    with pytest.raises(OwnPhotoError, match="no such photo among yours"):
        own_photos.delete_photo(BOB, kept.photo_id)
    with pytest.raises(OwnPhotoError, match="no such photo among yours"):
        own_photos.delete_photo(ALICE, "../" + BOB)
    assert len(own_photos.list_photos(ALICE)) == 1
    own_photos.delete_photo(ALICE, kept.photo_id)
    assert own_photos.list_photos(ALICE) == [] and not kept.path.exists()
    with pytest.raises(OwnPhotoError, match="no such photo"):
        own_photos.delete_photo(ALICE, kept.photo_id)


def test_caps_on_count_and_size_say_what_to_do(models_dir, photo_bytes, monkeypatch):
    monkeypatch.setattr(own_photos, "MAX_PHOTOS", 2)
    own_photos.keep_photo(ALICE, photo_bytes, 1)
    own_photos.keep_photo(ALICE, photo_bytes, 1)
    with pytest.raises(OwnPhotoError, match="already keep 2 photos.*delete some in My photos"):
        own_photos.keep_photo(ALICE, photo_bytes, 1)
    own_photos.keep_photo(BOB, photo_bytes, 1)  # the cap is per browser
    monkeypatch.setattr(own_photos, "MAX_PHOTO_BYTES", len(photo_bytes) - 1)
    with pytest.raises(OwnPhotoError, match="at most"):
        own_photos.keep_photo(BOB, photo_bytes, 1)
    assert len(own_photos.list_photos(ALICE)) == 2 and len(own_photos.list_photos(BOB)) == 1


def test_bad_input_is_refused_and_nothing_kept(models_dir, photo_bytes):
    with pytest.raises(ImageError):
        own_photos.keep_photo(ALICE, b"not an image", 1)
    with pytest.raises(OwnPhotoError, match="one of the ten"):
        own_photos.keep_photo(ALICE, photo_bytes, 10)
    with pytest.raises(OwnPhotoError, match="no identity"):
        own_photos.keep_photo("../../etc", photo_bytes, 1)
    assert own_photos.list_photos(ALICE) == []
    assert not list((models_dir / own_photos.FOLDER_NAME).rglob("*.photo"))


def test_a_model_learns_from_its_owners_photos_and_no_one_elses(models_dir, small_dataset, photo_bytes):
    from fashion.training.models import HyperParameters
    from fashion.training.recipes import recipe_of_record, recipe_query
    from fashion.training.run import continued_hyper_parameters
    from fashion.training.workflow import train_evaluate_save

    for label in (5, 7, 9):
        own_photos.keep_photo(ALICE, photo_bytes, label)
    own_photos.keep_photo(BOB, photo_bytes, 1)
    settings = HyperParameters(epochs=1, batch_size=64, train_limit=300, own_photos=ALICE).validated()
    finished = train_evaluate_save("cnn", settings, small_dataset, name="alice-model")
    record = finished.entry.record
    assert record["trained_on"] == {"fashion_mnist": 270, "own_photos": 3}
    assert finished.result.train_count == 270 + 3 * own_photos.OWN_PHOTO_REPEATS
    # Whose photos they were never travels in a recipe link, and a continuation trains without them.
    assert "own_photos" not in recipe_query("cnn", settings) and "own_photos" not in recipe_of_record(record)
    assert continued_hyper_parameters(record, 1).own_photos == ""
    with pytest.raises(Exception, match="own_photos must name a browser"):
        HyperParameters(own_photos="../elsewhere").validated()


def expander_labels(app) -> list[str]:
    """The labels of the page's expanders."""
    return [expander.label for expander in app.expander]


def test_try_page_keeps_lists_and_deletes_a_photo_for_this_browser_only(
    use_small_data, store_with_model, photo_bytes
):
    from app_pages import open_page

    app = open_page("pages/try_image.py")
    assert "My photos (0)" in expander_labels(app)
    app.file_uploader(key="try_upload").set_value(("sneakers.jpg", photo_bytes, "image/jpeg")).run()
    app.selectbox(key="try_keep_class").set_value(7)
    app.button[[button.label for button in app.button].index("Keep this photo to teach the model")].click()
    app.run()
    assert not app.exception
    assert any("Kept as Sneaker" in message.value for message in app.success)
    assert "My photos (1)" in expander_labels(app)
    assert any(caption.value.startswith("Only this browser sees these. Sneaker 1") for caption in app.caption)
    # Another browser (a new session) sees none of it, and its Train page offers nothing to include.
    other = open_page("pages/try_image.py")
    assert "My photos (0)" in expander_labels(other)
    (owner,) = [path.name for path in (store_with_model / own_photos.FOLDER_NAME).iterdir()]
    (kept,) = own_photos.list_photos(owner)
    # This browser's Train page offers to include it; then it deletes it.
    app.switch_page("pages/train.py").run()
    app.selectbox(key="train_architecture").set_value("cnn").run()
    app.selectbox(key="train_preset_cnn").set_value("Photo-robust CNN").run()
    assert app.toggle(key="train_include_own_photos").label == "Include my photos (1)"
    assert app.toggle(key="train_include_own_photos").value is True
    app.switch_page("pages/try_image.py").run()
    app.button(key=f"my_photos_delete_{kept.photo_id}").click().run()
    assert not app.exception
    assert "My photos (0)" in expander_labels(app) and own_photos.list_photos(owner) == []
