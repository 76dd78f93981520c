"""axe-core (WCAG 2.1 A and AA) on every page and each state that draws something new.

No serious or critical violation."""

from __future__ import annotations

import os
import re
import signal

import numpy as np
import pytest
from app_driver import (
    choose_option,
    fill_training_form,
    open_page,
    photo_like,
    show_only_class,
    wait_until_idle,
)
from e2e_server import AppServer, new_tab
from playwright.sync_api import expect

from fashion.jobs.sqlite_records import JobDatabase
from fashion.training.models import EXACT_TUTORIAL_PRESET, PHOTO_PRESET

TRAINING_TIMEOUT_MS = 240_000


def test_explore_and_train_pages_pass_axe(app_server, page, audits):
    """Explore (all classes, one class, the scaled values) and the Train form have no serious violation."""
    open_page(page, app_server.url, "", heading="Explore the data")
    expect(page.get_by_text(re.compile(r"Showing 25 training images of all classes"))).to_be_visible()
    expect(page.get_by_role("heading", name="Mean image of each class")).to_be_visible()
    audits.check("explore")
    show_only_class(page, "Sandal")
    expect(page.get_by_text("Showing 25 training images of Sandal.")).to_be_visible()
    page.get_by_role("tab", name=re.compile("Scaled values")).click()
    audits.check("explore-sandal-scaled-values")
    # The figures speak: the grid's alt text lists its 25 images, here all sandals
    grid = page.get_by_role("img", name=re.compile(r"^A grid of 25 training images, row by row: "))
    assert grid.get_attribute("alt").count("Sandal") == 25
    expect(
        page.get_by_role("img", name=re.compile(r"^Bar chart of training images per class: T-shirt\/top \d"))
    ).to_have_count(1)
    expect(
        page.get_by_role("region", name=re.compile(r"^Scaled pixel values of training image #\d+$"))
    ).to_be_visible()
    open_page(page, app_server.url, "train", heading="Train")
    audits.check("train-form")
    # The Photo-robust preset turns augmentation on: its preview of augmented samples, opened
    choose_option(page, "Architecture", "Small CNN")
    # The Preset list is the Small CNN's once the server has drawn its form (a new widget key)
    expect(page.get_by_label("Model name (optional)", exact=True)).to_have_attribute(
        "placeholder", re.compile(r"-cnn-")
    )
    choose_option(page, "Preset", PHOTO_PRESET)
    preview_expander = page.locator('[data-testid="stExpander"]').filter(
        has_text="Preview of augmented samples"
    )
    preview_expander.locator("summary").click()
    preview = page.get_by_role(
        "img",
        name=re.compile(
            r"^Preview of the photo augmentation: the top row holds 8 training images, left to right: "
            r"(#\d+ [^,;]+, ){7}#\d+ [^,;]+; below each one, 3 augmented versions of it, one per row\.$"
        ),
    )
    expect(preview).to_be_visible()
    audits.check("train-photo-robust-preview")
    audits.screenshot(page, "train-augmentation-preview", preview)
    audits.assert_clean()


def test_predictions_states_pass_axe(app_server, page, audits):
    """Predictions: the first view, only wrong, one confusion cell and a mistake opened with Next."""
    open_page(page, app_server.url, "predictions?model=small-tutorial", heading="Predictions")
    # The page's content, not only its heading, before the first audit (a loaded machine drew the
    # heading and skeletons first, and the audit saw them)
    expect(page.get_by_text(re.compile(r"^300 test images match"))).to_be_visible(timeout=120_000)
    audits.check("predictions")
    page.get_by_text("Only wrong", exact=True).click()
    expect(page.get_by_text(re.compile(r"^(?!300 )[\d,]+ test images match"))).to_be_visible()
    audits.check("predictions-only-wrong")
    page.get_by_text("One confusion cell", exact=True).click()
    expect(page.get_by_text(re.compile(r"^Most frequent mistakes"))).to_be_visible()
    audits.check("predictions-confusion-cell")
    position = page.get_by_text(re.compile(r"^\d+ of \d+$"))
    expect(position).to_have_text(re.compile(r"^1 of "))
    page.locator(".st-key-predictions_next button").click()
    expect(position).to_have_text(re.compile(r"^2 of "))
    audits.check("predictions-second-mistake")
    # The figures speak: the mistake's pair and the gallery page in words, from the same numbers
    mistake = page.get_by_role(
        "img", name=re.compile(r"^Test image #\d+, an? .+, predicted .+ \d+ % \(wrong \u2717\)\. Bar chart: ")
    )
    expect(mistake).to_have_count(1)
    expect(page.get_by_role("img", name=re.compile(r"^Confusion matrix of 300 test images"))).to_have_count(1)
    expect(page.get_by_text(re.compile(r"^Accuracy per class: T-shirt.top \d+ %"))).to_be_visible()
    audits.assert_clean()


def test_try_page_states_pass_axe(app_server, page, audits, small_dataset, tmp_path):
    """Try your own image: empty, an uploaded photo with its steps, a broken file, a random test image."""
    trouser = small_dataset.test_images[np.flatnonzero(small_dataset.test_labels == 1)[0]]
    photo_path = tmp_path / "trouser-photo.png"
    photo_path.write_bytes(photo_like(trouser, seed=1))
    broken_path = tmp_path / "notes.png"
    broken_path.write_text("not a picture\n")

    open_page(page, app_server.url, "try_image", heading="Try your own image")
    audits.check("try-empty")
    file_input = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    file_input.set_input_files(str(photo_path))
    expect(page.get_by_text("The 28x28 model input, enlarged")).to_be_visible()
    audits.check("try-uploaded-photo")
    expect(
        page.get_by_role("img", name=re.compile(r"^Bar chart: \S.* \d+ %, .+ \d+ %, .+ \d+ %\.$"))
    ).to_have_count(1)
    expect(
        page.get_by_role("img", name=re.compile(r"^Step 1 of \d+: Original, 240x240 pixels\.$"))
    ).to_have_count(1)
    file_input.set_input_files(str(broken_path))
    expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text("notes.png cannot be used:")
    wait_until_idle(page)
    audits.check_live("try-broken-file")
    page.locator(".st-key-try_random button").click()
    expect(page.get_by_text(re.compile(r"^Test image #\d+ \("))).to_be_visible()
    audits.check("try-random-test-image")
    audits.assert_clean()


@pytest.fixture
def empty_store_server(tmp_path_factory, small_data_dir):
    """The app over an empty model store (no model yet), stopped after the test."""
    work = tmp_path_factory.mktemp("e2e-a11y-empty")
    server = AppServer(work / "models", small_data_dir, work / "streamlit.log")
    yield server
    server.stop()


def start_long_training(page, name: str) -> str:
    """Start a tutorial job long enough to be audited while it runs (the fast loop ran 2 epochs in about a
    second; it is stopped or killed later); returns its id."""
    fill_training_form(page, epochs=200, batch_size=1, subset=1000, name=name, preset=EXACT_TUTORIAL_PRESET)
    page.locator(".st-key-train_start button").click()
    expect(page).to_have_url(re.compile(r"[?&]job=\w+"))
    return re.search(r"job=(\w+)", page.url).group(1)


def test_no_model_yet_during_and_after_training_pass_axe(empty_store_server, browser, page, audits):
    """With no model: the no-model panels; a training running, a second browser's job queued (Cancel), the
    first job failed when its worker died (Retry), its retry cancelled, the second job stopped and saved."""
    server = empty_store_server
    open_page(page, server.url, "predictions", heading="Predictions")
    expect(page.get_by_role("button", name="Train the tutorial model")).to_be_visible()
    audits.check("predictions-no-model")
    open_page(page, server.url, "try_image", heading="Try your own image")
    audits.check("try-no-model")

    open_page(page, server.url, "train", heading="Train")
    first_job = start_long_training(page, "a11y-run")
    plotted = re.compile(r"^\d+ epochs? plotted\.$")
    expect(page.get_by_text(plotted)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    expect(page.locator(".st-key-training_stop button")).to_be_visible()
    audits.check_live("train-running")

    # One job trains at a time here: a second browser's job waits in line, with its Cancel button
    second = new_tab(browser)
    open_page(second, server.url, "train", heading="Train")
    start_long_training(second, "a11y-second")
    expect(
        second.get_by_text(re.compile(r"^Your job is queued, 1st in line, starts in about"))
    ).to_be_visible()
    cancel = second.locator(".st-key-training_cancel button")
    expect(cancel).to_be_visible()
    cancel.scroll_into_view_if_needed()
    audits.check_live("train-queued", second)

    # The first job's worker process dies: the job has failed, with a Retry button
    worker_pid = JobDatabase(server.models_dir / ".jobs.sqlite3").get(first_job)["worker_pid"]
    os.kill(worker_pid, signal.SIGKILL)
    expect(page.get_by_text(re.compile(r"the training process ended unexpectedly"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    retry = page.locator(".st-key-training_retry button")
    expect(retry).to_be_visible()
    wait_until_idle(page)
    retry.scroll_into_view_if_needed()
    audits.check_live("train-failed-with-retry")
    # Retry queues the same settings again (behind the second job, now started); cancelled at once
    retry.click()
    expect(page.get_by_text(re.compile(r"^Your job is queued, \d+(st|nd) in line"))).to_be_visible()
    page.locator(".st-key-training_cancel button").click()
    expect(page.get_by_text("This job was cancelled before it started.")).to_be_visible()
    audits.check("train-retry-cancelled")

    # The second job runs once the first has gone; stopped, it is saved
    expect(second.get_by_text(plotted)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    second.locator(".st-key-training_stop button").click()
    expect(second.get_by_text(re.compile(r"^Stopped early after \d+ of 200 epochs"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    audits.check("train-finished", second)
    curves = second.get_by_role(
        "img", name=re.compile(r"^Loss and accuracy curves over \d+ epochs?; epoch \d+: training loss \d")
    )
    expect(curves).to_have_count(1)
    second.context.close()
    audits.assert_clean()


def test_the_header_status_shows_at_full_contrast_from_its_first_frame(app_server, page):
    """Streamlit fades its header status (the running icon and Stop) in and out over 200 ms at each run;
    a faded Stop failed axe-core's contrast rule in a live view (it reruns every second). The app's
    style shows it at once: each stage of Streamlit's fade (its CSSTransition classes) at full opacity."""
    open_page(page, app_server.url, "", heading="Explore the data")
    stages = ["appear", "appear-active", "enter", "enter-active", "exit", "exit-active"]
    opacities = page.evaluate(
        """stages => stages.map(stage => {
            const widget = document.createElement("div");
            widget.className = `stStatusWidget StatusWidget-${stage}`;
            widget.style.opacity = "0";  // where Streamlit's own rule puts a fading widget
            widget.style.transition = "opacity 200ms ease-out";
            document.body.appendChild(widget);
            const opacity = getComputedStyle(widget).opacity;
            widget.remove();
            return opacity;
        })""",
        stages,
    )
    assert dict(zip(stages, opacities, strict=True)) == dict.fromkeys(stages, "1")
