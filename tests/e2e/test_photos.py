"""Real-browser journey of a photo: a synthetic scene uploaded, its mask step, the class, a switch."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from app_driver import assert_no_error, open_page, wait_until_idle
from playwright.sync_api import expect

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.photos import pipeline as photo
from fashion.store import model_store as store
from fashion.training.inference import predict_probabilities

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from photo_scenes import scene  # noqa: E402


def scene_the_model_gets_right(small_dataset, trained_store) -> tuple[bytes, int]:
    """A test item on wood that the served model classifies right through the photo pipeline."""
    model = store.load_model("small-tutorial", trained_store)
    for index in range(len(small_dataset.test_labels)):
        data, _ = scene(small_dataset.test_images[index], "wood", seed=index)
        probabilities = predict_probabilities(model, photo.prepare_photo(data).batch).mean(axis=0)
        label = int(small_dataset.test_labels[index])
        if probabilities.argmax() == label and probabilities.max() > 0.6:
            return data, label
    raise AssertionError("no test item is classified right on a scene")


def test_a_photo_on_wood_shows_its_mask_and_class_and_a_switch_reruns(
    app_server, page, screenshot, small_dataset, trained_store, tmp_path
):
    """The item outlined and alone, the 28x28 input, the right class; segmentation off shows no mask."""
    data, label = scene_the_model_gets_right(small_dataset, trained_store)
    path = tmp_path / "item-on-wood.png"
    path.write_bytes(data)
    open_page(page, app_server.url, "try_image?model=small-tutorial", heading="Try your own image")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    for caption in ("Item outlined", "Item alone", "28x28, what the model sees"):
        expect(page.get_by_text(caption, exact=True)).to_be_visible()
    top = page.get_by_text(re.compile(r"^1\. .+: \d+\.\d%$"))
    expect(top).to_have_text(re.compile(rf"^1\. {re.escape(CLASS_NAMES[label])}: "))
    wait_until_idle(page)
    assert_no_error(page)
    screenshot(page, "photo-on-wood-segmented")

    page.locator(".st-key-try_step_segment").get_by_text("Segmentation").click()
    expect(page.get_by_text("Item outlined", exact=True)).to_have_count(0)
    wait_until_idle(page)
    expect(page.get_by_text("28x28, what the model sees", exact=True)).to_have_count(1)
    assert_no_error(page)
    screenshot(page, "photo-on-wood-unsegmented")
