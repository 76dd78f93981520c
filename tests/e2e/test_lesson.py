"""The Lesson in a real browser: read with no model, trained from the page, then every step filled in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_driver import IMAGES_LOADED, assert_no_error, open_page, wait_until_idle
from e2e_server import AppServer
from playwright.sync_api import expect

from fashion.lesson.steps import LESSON_STEPS

TRAINING_TIMEOUT_MS = 300_000
LESSON_HEADING = "Lesson: classify images of clothing"
WAITING = "Train the model in step 6 first; this result then shows here."


@pytest.fixture
def lesson_server(tmp_path_factory, small_data_dir):
    """The app over an empty model store and the small data set, stopped after the test."""
    work = tmp_path_factory.mktemp("e2e-lesson")
    server = AppServer(work / "models", small_data_dir, work / "streamlit.log")
    yield server
    server.stop()


def step_heading(page, number: int):
    """The heading of a lesson step."""
    step = LESSON_STEPS[number - 1]
    return page.get_by_role("heading", name=f"Step {number}: {step.title}", exact=True)


def read_step(page, number: int, screenshot=None, name: str = "") -> None:
    """Scroll a step's heading to the top, check its code and deeper link are there; screenshot if asked."""
    heading = step_heading(page, number)
    heading.evaluate("element => element.scrollIntoView({block: 'start'})")
    expect(heading).to_be_visible()
    label = f"Go deeper: {LESSON_STEPS[number - 1].deeper_label}"
    expect(page.get_by_role("link", name=label).first).to_be_attached()
    if screenshot is not None:
        page.wait_for_function(IMAGES_LOADED)
        screenshot(page, name or f"step-{number}")


def test_lesson_read_with_no_model_then_trained_from_the_page(lesson_server, page, screenshot, audits):
    server = lesson_server
    open_page(page, server.url, "lesson", heading=LESSON_HEADING)
    assert_no_error(page)
    # Top to bottom before any model: every step's heading, code and link; the data steps' results
    code_blocks = page.locator('[data-testid="stCode"]')
    expect(code_blocks).to_have_count(len(LESSON_STEPS) + 1)  # each step's, and the setup's in its expander
    for number in range(1, len(LESSON_STEPS) + 1):
        read_step(page, number)
    expect(page.get_by_text("(1000, 28, 28)").first).to_be_visible()
    expect(page.get_by_text("The first training image", exact=True)).to_be_visible()
    expect(page.get_by_text("The first 25 training images", exact=True)).to_be_visible()
    expect(page.get_by_text("The tutorial's network, built but not trained yet.")).to_be_visible()
    expect(page.get_by_text(WAITING)).to_have_count(3)
    read_step(page, 2, screenshot, "no-model-explore")
    read_step(page, 4, screenshot, "no-model-layers")
    audits.check("lesson-no-model")

    # Train from the step "train", live, as the Train page does
    read_step(page, 6)
    page.get_by_role("button", name="Train the tutorial model").click()
    expect(page).to_have_url(re.compile(r"[?&]job=\w+"))
    progress = page.get_by_text(re.compile(r"^Epoch \d+ of \d+: batch|^Starting TensorFlow"))
    expect(progress.first).to_be_visible()
    screenshot(page, "training-live")

    # Once saved, the page follows the new model: every step's result filled in
    picker = page.get_by_label("Model the lesson follows")
    expect(picker).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    wait_until_idle(page)
    assert_no_error(page)
    expect(page.get_by_text(WAITING)).to_have_count(0)
    expect(page.get_by_role("button", name="Train the tutorial model")).to_have_count(0)
    for number in range(1, len(LESSON_STEPS) + 1):
        read_step(page, number)
    expect(page.get_by_text(re.compile(r"^The layers of recommended-tutorial-"))).to_be_visible()
    curves = page.get_by_role("img", name=re.compile(r"^Loss and accuracy curves over 12 epochs"))
    expect(curves).to_have_count(1)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stMetric").filter(has_text="Test accuracy")).to_have_count(1)
    accuracy = main.get_by_test_id("stMetricValue").filter(has_text=re.compile(r"^\d+\.\d\d%$"))
    expect(accuracy).to_have_count(1)
    expect(page.get_by_text("Test image 0 and its probabilities", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^Bar chart: "))).to_have_count(1)
    read_step(page, 6, screenshot, "trained-train")
    read_step(page, 7, screenshot, "trained-evaluate")
    read_step(page, 8, screenshot, "trained-predict")
    read_step(page, 9, screenshot, "trained-use")
    audits.check("lesson-trained")

    # The same model's code on Saved models: the script, its copy button and its download
    open_page(page, server.url, "models", heading="Saved models")
    expander = page.get_by_test_id("stExpander").filter(has_text="Code: train this model")
    expander.locator("summary").click()
    code = expander.get_by_test_id("stCode")
    expect(code).to_contain_text("keras.layers.Dense(128")
    expect(code).to_contain_text("model.fit(")
    expect(expander.get_by_role("button", name="Download the script (.py)")).to_be_visible()
    with page.expect_download() as download_info:
        expander.get_by_role("button", name="Download the script (.py)").click()
    downloaded = download_info.value
    file_name = downloaded.suggested_filename
    assert re.fullmatch(r"recommended_tutorial_\d+_\d+\.py", file_name), file_name
    assert "keras.Sequential(" in Path(downloaded.path()).read_text(encoding="utf-8")
    expander.evaluate("element => element.scrollIntoView({block: 'start'})")
    audits.check("models-code-open")
    audits.assert_clean()
