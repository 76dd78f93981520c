"""A learner's first hour at 1400 and 1024 px: start here, nothing clipped, models named by their preset,
the Try page's own model, plain words and a next step after each action; axe-core clean throughout."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from app_driver import choose_option, open_page, set_number, show_only_class, wait_until_idle
from axe_audit import Audits
from e2e_server import start_server
from playwright.sync_api import expect

from fashion.store import model_store as store
from fashion.training.models import PHOTO_PRESET, PHOTO_ROBUST

WIDTHS = (1400, 1024)
PHOTO_MODEL = "photo-robust-small"


@pytest.fixture(scope="module")
def first_hour_server(tmp_path_factory, trained_store, small_data_dir):
    """The app over small-tutorial and an older model whose record says the Photo-robust preset trained it."""
    server = start_server(tmp_path_factory, trained_store, small_data_dir, "first-hour")
    shutil.copytree(server.models_dir / "small-tutorial", server.models_dir / PHOTO_MODEL)
    record_path = server.models_dir / PHOTO_MODEL / store.RECORD_FILE
    record = json.loads(record_path.read_text())
    record.update(name=PHOTO_MODEL, architecture="cnn", hyper_parameters=PHOTO_ROBUST.to_dict())
    record["created"] = "2000-01-01T00:00:00+00:00"
    record_path.write_text(json.dumps(record))
    yield server
    server.stop()


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def wide_page(request, browser):
    """A tab of the given width (1000 px high)."""
    context = browser.new_context(viewport={"width": request.param, "height": 1000})
    context.set_default_timeout(45_000)
    tab = context.new_page()
    yield tab
    context.close()


def horizontally_inside(inner, outer) -> bool:
    """True when the inner element's box lies within the outer one's left and right edges."""
    inner_box, outer_box = inner.bounding_box(), outer.bounding_box()
    return outer_box["x"] - 1 <= inner_box["x"] and inner_box["x"] + inner_box["width"] <= (
        outer_box["x"] + outer_box["width"] + 1
    )


def test_first_hour_journey(first_hour_server, wide_page, screenshot):
    page, url = wide_page, first_hour_server.url
    width = page.viewport_size["width"]
    audits = Audits(page, screenshot)
    main = page.locator('[data-testid="stMain"]')

    # Explore: what the app is and where to start; the sample follows the filter; the pixel table fits
    open_page(page, url, "", heading="Explore the data")
    start = page.locator(".st-key-start_here")
    expect(start).to_contain_text("Start here.")
    for step in ("1. Look at the data", "2. Train a model", "3. See what it gets right and wrong"):
        expect(start.get_by_role("link", name=re.compile(re.escape(step)))).to_be_visible()
    audits.check(f"explore-start-here-{width}")
    show_only_class(page, "Bag")
    expect(page.get_by_text("Showing 25 training images of Bag.")).to_be_visible()
    wait_until_idle(page)
    expect(page.get_by_role("img", name=re.compile(r"^Training image #\d+, a Bag\b"))).to_have_count(1)
    raw_table = page.get_by_role("region", name=re.compile(r"^Raw pixel values of training image #\d+$"))
    raw_table.scroll_into_view_if_needed()
    expect(page.get_by_text("Its 28x28 pixel values. If the table is cut off")).to_be_visible()
    # All 28 raw columns fit the box (no sideways scrolling), and the box fits the page
    scroll_width, client_width = raw_table.evaluate("box => [box.scrollWidth, box.clientWidth]")
    assert scroll_width <= client_width, f"the raw table scrolls sideways: {scroll_width} > {client_width}"
    assert horizontally_inside(raw_table, main)
    audits.check(f"explore-bag-pixel-table-{width}")
    next_link = page.get_by_role("link", name="Next: train a model on these images")
    next_link.scroll_into_view_if_needed()
    expect(next_link).to_be_visible()

    # Predictions: the picker names the preset, the confusion table shows all 10 columns, Why? and the Map
    open_page(page, url, "predictions", heading="Predictions")
    expect(page.get_by_role("combobox", name="Model")).to_have_value(re.compile(r" · "))
    table = page.locator(".st-key-predictions_matrix_table")
    expect(table.locator("[role=gridcell]").first).to_be_attached()
    table.scroll_into_view_if_needed()
    wait_until_idle(page)
    assert horizontally_inside(table, main), "the confusion table runs past the page"
    # The grid keeps an accessible copy of the cells it shows: the last column (Boot) is among them
    expect(table.locator("#glide-cell-10-9")).to_be_attached()
    audits.check(f"predictions-confusion-table-{width}")
    caption = page.get_by_text(re.compile(r"^Test image #\d+: an? .+ the model took for an? "))
    caption.scroll_into_view_if_needed()
    assert not re.search(r"\ba [AEIOU]", caption.inner_text()), caption.inner_text()
    expect(page.get_by_text("Next: switch on Why? above")).to_be_visible()
    page.locator(".st-key-predictions_why").get_by_text("Why?").click()
    to_map = page.get_by_role("link", name="Next: see where it lies among the test images on the Map")
    expect(to_map).to_be_visible(timeout=120_000)
    wait_until_idle(page)
    audits.check(f"predictions-mistake-why-{width}")

    # Map: the picker names the preset; a point's next step opens the Try page on the same model
    open_page(page, url, "map?point=7", heading="Map")
    expect(page.get_by_role("combobox", name="Model")).to_have_value("small-tutorial · custom settings")
    to_try = page.get_by_role("link", name="Next: try a photo of your own on this model")
    expect(to_try).to_be_visible(timeout=120_000)
    wait_until_idle(page)
    audits.check(f"map-point-next-step-{width}")
    to_try.click()
    expect(page.get_by_role("heading", name="Try your own image", exact=True)).to_be_visible()
    try_picker = page.get_by_role("combobox", name="Model", exact=True)
    expect(try_picker).to_have_value("small-tutorial · custom settings")
    answered_here = re.compile(r"^Answered by small-tutorial: the model chosen above;")
    expect(page.get_by_text(answered_here)).to_be_visible()

    # Compare: the chosen models named with their presets, and a next step to the most accurate
    open_page(page, url, "compare", heading="Compare models")
    chosen = page.locator(".st-key-compare_models")
    expect(chosen).to_contain_text(f"{PHOTO_MODEL} · {PHOTO_PRESET}")
    expect(chosen).to_contain_text("small-tutorial · custom settings")
    differing = page.locator('[data-testid="stDataFrame"]').first
    expect(differing).to_contain_text("augmentation")
    expect(differing).to_contain_text("Photo-robust CNN")
    to_best = re.compile(r"^Next: try a photo of your own on .+, the most accurate$")
    expect(page.get_by_role("link", name=to_best)).to_be_visible()
    audits.check(f"compare-{width}")

    # Try: its own picker starts on the photo model, says why, and offers the other model next
    open_page(page, url, "try_image", heading="Try your own image")
    picker = page.get_by_role("combobox", name="Model", exact=True)
    expect(picker).to_have_value(f"{PHOTO_MODEL} · {PHOTO_PRESET}")
    answered = re.compile(rf"^Answered by {PHOTO_MODEL}: the newest model that learnt from real photos")
    expect(page.get_by_text(answered)).to_be_visible()
    expect(page.get_by_text(re.compile("train the Photo-robust CNN preset"))).to_have_count(0)
    assert f"model={PHOTO_MODEL}" in page.url
    page.get_by_role("button", name="Random test image").click()
    ask = page.get_by_role("button", name=re.compile(r"^Next: ask small-tutorial \(custom settings\)"))
    expect(ask).to_be_visible()
    wait_until_idle(page)
    audits.check(f"try-photo-model-{width}")
    image_heading = page.get_by_role("heading", name=re.compile(r"^Test image #\d+")).inner_text()
    ask.click()
    expect(picker).to_have_value("small-tutorial · custom settings")
    answered = re.compile(rf"^Answered by small-tutorial: the model chosen above; {PHOTO_MODEL} is")
    expect(page.get_by_text(answered)).to_be_visible()
    expect(page.get_by_role("heading", name=image_heading)).to_be_visible()  # the same image, asked again
    wait_until_idle(page)
    assert "model=small-tutorial" in page.url
    audits.check(f"try-other-model-{width}")

    # Saved models: the preset and augmentation in the table and the details; renaming to the same name
    open_page(page, url, f"models?saved={PHOTO_MODEL}", heading="Saved models")
    expect(page.get_by_text(re.compile(rf"^How {PHOTO_MODEL} was trained: cnn, preset: {PHOTO_PRESET}, "
                                       r"augmentation: photo, data: "))).to_be_visible()
    expect(page.get_by_role("link", name=f"Next: see the predictions of {PHOTO_MODEL}")).to_be_visible()
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_text(f"{PHOTO_MODEL} already has that name.")).to_be_visible()
    audits.check(f"saved-models-{width}")
    audits.assert_clean()


def test_a_finished_training_leads_to_its_predictions(first_hour_server, page, screenshot):
    """Train from the Exact tutorial preset: the default name says so, and its next step opens Predictions."""
    url = first_hour_server.url
    audits = Audits(page, screenshot)
    open_page(page, url, "train", heading="Train")
    choose_option(page, "Preset", "Exact tutorial settings")
    expect(page.get_by_text(re.compile(r"1 batch per step\.$"))).to_be_visible()
    name_field = page.get_by_label("Model name (optional)", exact=True)
    expect(name_field).to_have_attribute("placeholder", re.compile(r"^exact-tutorial-\d{8}-\d{6}$"))
    page.get_by_text("Train on a subset").click()
    set_number(page, "Training images", 200)
    set_number(page, "Epochs", 1)
    page.get_by_role("button", name="Start training").click()
    to_predictions = page.get_by_role("link", name="Next: see its predictions")
    expect(to_predictions).to_be_visible(timeout=240_000)
    saved = page.get_by_text(re.compile(r"^Saved as exact-tutorial-\d{8}-\d{6}$"))
    expect(saved).to_be_visible()
    model_name = saved.inner_text().removeprefix("Saved as ")
    audits.check("train-finished-next-step")
    to_predictions.click()
    expect(page.get_by_role("heading", name="Predictions", exact=True)).to_be_visible()
    picker = page.get_by_role("combobox", name="Model")
    expect(picker).to_have_value(f"{model_name} · Exact tutorial settings")
    wait_until_idle(page)
    audits.check("predictions-of-the-new-model")
    audits.assert_clean()
