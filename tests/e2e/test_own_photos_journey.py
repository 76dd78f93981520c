"""Real-browser journey of the user's own photos: keep one, see it in My photos, train with it, delete it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from app_driver import assert_no_error, choose_option, open_page, set_number, wait_until_idle
from e2e_server import new_tab, start_server
from playwright.sync_api import expect

from fashion.data import real_photos
from fashion.training.models import PHOTO_PRESET

SHARED_PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "real-photos"
TRAINING_TIMEOUT_SECONDS = 300


@pytest.fixture
def photo_app(tmp_path_factory, trained_store, small_data_dir, monkeypatch):
    """The app over a fresh store, learning from 40 real photos (a quick first rendering)."""
    folder = tmp_path_factory.mktemp("forty-photos")
    for row in real_photos.read_label_file()[:40]:
        (folder / row.file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED_PHOTOS / row.file, folder / row.file)
    monkeypatch.setenv("FASHION_PHOTOS_DIR", str(folder))
    server = start_server(tmp_path_factory, trained_store, small_data_dir, "e2e-own-photos")
    yield server
    server.stop()


def sneaker_photo(tmp_path: Path) -> Path:
    """A real photo of sneakers, copied into the test's folder."""
    row = next(row for row in real_photos.read_label_file() if row.label == 7)
    path = tmp_path / "my-sneakers.jpg"
    shutil.copyfile(SHARED_PHOTOS / row.file, path)
    return path


def test_keep_a_photo_train_with_it_and_delete_it(photo_app, browser, page, screenshot, audits, tmp_path):
    open_page(page, photo_app.url, "try_image?model=small-tutorial", heading="Try your own image")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(sneaker_photo(tmp_path)))
    expect(page.get_by_text("28x28, what the model sees", exact=True)).to_be_visible()
    wait_until_idle(page)
    page.get_by_text("keep this photo with its right class for the Photo model").scroll_into_view_if_needed()
    screenshot(page, "keep-form")
    choose_option(page, "That's actually a", "Sneaker")
    page.get_by_role("button", name="Keep this photo to teach the model").click()
    kept_notice = "Kept as Sneaker: it is in My photos, seen only by this browser."
    expect(page.get_by_text(kept_notice)).to_be_visible()
    wait_until_idle(page)
    page.get_by_text("My photos (1)").click()
    expect(page.get_by_text("Only this browser sees these. Sneaker 1")).to_be_visible()
    assert_no_error(page)
    screenshot(page, "kept-in-my-photos")
    audits.check("try-keep-form-and-my-photos")

    # A second browser sees none of it
    other = new_tab(browser)
    try:
        open_page(other, photo_app.url, "try_image?model=small-tutorial", heading="Try your own image")
        expect(other.get_by_text("My photos (0)")).to_be_visible()
        screenshot(other, "second-browser-sees-none")
    finally:
        other.context.close()

    # Train the Photo-robust preset with it, on a small subset for one epoch
    open_page(page, photo_app.url, "train", heading="Train")
    choose_option(page, "Architecture", "Small CNN")
    # The run for the new architecture has drawn its own preset box (the CNN's presets, 8 batches a step):
    # a click before it lands on the tutorial's box, which that run replaces
    cnn_preset_caption = re.compile(r"^Validation hold-out 10%, cosine learning rate, 8 batches per step")
    expect(page.get_by_text(cnn_preset_caption)).to_be_visible()
    wait_until_idle(page)
    choose_option(page, "Preset", PHOTO_PRESET)
    expect(page.get_by_role("switch", name="Include my photos (1)")).to_be_checked()
    page.get_by_text("Train on a subset").click()
    set_number(page, "Training images", 300)
    set_number(page, "Epochs", 1)
    name_field = page.get_by_label("Model name (optional)", exact=True)
    name_field.fill("e2e-with-my-photo")
    name_field.press("Enter")
    wait_until_idle(page)
    screenshot(page, "photo-preset-with-my-photos")
    audits.check("train-photo-preset-include-my-photos")
    page.locator(".st-key-train_start button").click()
    expect(page.get_by_text(re.compile(r"^Training finished in \d+ s\.$"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_SECONDS * 1000
    )
    trained_on = re.compile(
        r"^Trained on Fashion-MNIST \(270 images\), \d+ real photos, \d+ generated non-clothing photos"
        r" and 1 of your own"
    )
    expect(page.get_by_text(trained_on)).to_be_visible()
    page.get_by_text(trained_on).scroll_into_view_if_needed()
    record = json.loads((photo_app.models_dir / "e2e-with-my-photo" / "record.json").read_text())
    assert record["trained_on"]["own_photos"] == 1, record["trained_on"]
    assert_no_error(page)
    screenshot(page, "trained-with-my-photo")

    # The lesson: the same photo through the Fashion-MNIST-only model and the Photo model, side by side
    for width in (1400, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        open_page(page, photo_app.url, "try_image?model=small-tutorial", heading="Try your own image")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            str(sneaker_photo(tmp_path))
        )
        heading = page.get_by_role("heading", name="The same image, two models")
        expect(heading).to_be_visible()
        expect(page.get_by_text("Fashion-MNIST only: small-tutorial", exact=False)).to_be_visible()
        expect(page.get_by_text("Photo model: e2e-with-my-photo", exact=False)).to_be_visible()
        # Three top-1 bars: the prediction above, then one under each model
        expect(page.get_by_text(re.compile(r"^1\. .+: \d+\.\d%$"))).to_have_count(3)
        lesson = page.get_by_text(re.compile(r"^They differ by the data they saw: small-tutorial learnt"))
        expect(lesson).to_contain_text("from Fashion-MNIST (900 images) alone")
        expect(lesson).to_contain_text("e2e-with-my-photo learnt from Fashion-MNIST (270 images), ")
        wait_until_idle(page)
        heading.scroll_into_view_if_needed()
        assert_no_error(page)
        screenshot(page, f"two-models-{width}px")
        audits.check(f"try-two-models-{width}px")
    page.set_viewport_size({"width": 1400, "height": 1000})

    # Delete it: My photos is empty again
    open_page(page, photo_app.url, "try_image?model=small-tutorial", heading="Try your own image")
    page.get_by_text("My photos (1)").click()
    wait_until_idle(page)
    # The thumbnail's late load moves the Delete button below it: click once it has loaded.
    thumbnail = page.get_by_role("img", name=re.compile(r"^Your photo kept as Sneaker"))
    expect(thumbnail).to_be_visible()
    thumbnail.evaluate("image => image.decode()")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("My photos (0)")).to_be_visible()
    wait_until_idle(page)
    assert_no_error(page)
    screenshot(page, "deleted")
    audits.assert_clean()
