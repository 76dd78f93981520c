"""Real-browser journeys through the app: explore, train, predictions and uploads."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from app_driver import (
    assert_no_error,
    assert_no_exception,
    camera_video,
    expander_text,
    fill_training_form,
    open_page,
    photo_like,
    plotted_epochs,
    show_only_class,
    wait_until_idle,
)
from e2e_server import new_tab
from harness import CHROMIUM_ARGUMENTS, CHROMIUM_PATH
from playwright.sync_api import expect
from waiting import wait_for

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.photos import pipeline as photo
from fashion.store import model_store as store
from fashion.training.inference import predict_probabilities
from fashion.training.models import EXACT_TUTORIAL_PRESET


def test_newcomer_explores_and_filters_ankle_boots(app_server, page, screenshot):
    """The Explore page shows labelled samples; filtering by Ankle boot shows only ankle boots."""
    open_page(page, app_server.url, "", heading="Explore the data")
    expect(page.get_by_text(re.compile(r"Showing 25 training images of all classes"))).to_be_visible()
    samples = expander_text(page, "The samples as text")
    assert len(samples) == 25
    assert len({line.split(": ", 1)[1] for line in samples}) > 3, samples
    assert_no_error(page)
    screenshot(page, "explore-all-classes")

    show_only_class(page, "Ankle boot")
    expect(page.get_by_text("Showing 25 training images of Ankle boot.")).to_be_visible()
    wait_until_idle(page)
    samples = expander_text(page, "The samples as text")
    assert len(samples) == 25
    assert all(line.endswith(": Ankle boot") for line in samples), samples
    assert_no_error(page)
    screenshot(page, "explore-ankle-boots")


TRAINING_TIMEOUT_SECONDS = 240


@pytest.fixture
def stop_training_at_end(page):
    """Press Stop at the end of a test if a training job is still running, so no job outlives its test."""
    yield
    stop_button = page.locator(".st-key-training_stop button")
    if not page.is_closed() and stop_button.count():
        stop_button.click()
        expect(stop_button).to_have_count(0, timeout=120_000)


def start_training(
    page, epochs: int, name: str, subset: int = 600, batch_size: int = 2, preset: str | None = None
) -> str:
    """Fill the form (tutorial model, a small subset), press Start; returns the new job id."""
    previous = re.search(r"job=(\w+)", page.url)
    fill_training_form(page, epochs=epochs, batch_size=batch_size, subset=subset, name=name, preset=preset)
    page.locator(".st-key-train_start button").click()
    if previous:
        expect(page).not_to_have_url(re.compile(rf"job={previous.group(1)}"))
    expect(page).to_have_url(re.compile(r"[?&]job=\w+"))
    return re.search(r"job=(\w+)", page.url).group(1)


def test_training_plots_each_epoch_while_it_runs(app_server, page, screenshot, stop_training_at_end):
    """A 3-epoch run on a small subset: while it runs, the charts gain a point per epoch."""
    open_page(page, app_server.url, "train", heading="Train")
    # One image a step, one step a call: each epoch lasts a few page refreshes, so the count is seen growing.
    start_training(
        page, epochs=3, name="e2e-three-epochs", subset=1000, batch_size=1, preset=EXACT_TUTORIAL_PRESET
    )
    screenshot(page, "train-started")

    seen_running = []

    def finished_noting_each_plotted_count() -> bool:
        if page.get_by_text(re.compile(r"^Training finished in")).count():
            return True
        count = plotted_epochs(page)
        if count is not None and page.locator(".st-key-training_stop").count() and count not in seen_running:
            seen_running.append(count)
            screenshot(page, f"train-running-{count}-epochs")
        return False

    try:
        wait_for(
            finished_noting_each_plotted_count,
            "the training to finish",
            seconds=TRAINING_TIMEOUT_SECONDS,
            interval=0.25,
        )
    finally:
        print("plotted epochs seen while running:", seen_running)
    assert seen_running == sorted(seen_running), seen_running
    assert len([count for count in seen_running if count > 0]) >= 2, seen_running
    expect(page.get_by_text("3 epochs plotted.")).to_be_visible()
    expect(page.get_by_text("e2e-three-epochs").first).to_be_visible()
    assert (app_server.models_dir / "e2e-three-epochs" / "model.keras").is_file()
    assert_no_error(page)
    screenshot(page, "train-finished")


def test_training_survives_a_reload_and_stops_on_request(app_server, page, screenshot, stop_training_at_end):
    """Reloading the tab shows the same running job; Stop keeps and saves the epochs trained so far."""
    open_page(page, app_server.url, "train", heading="Train")
    job_id = start_training(
        page, epochs=20, name="e2e-stopped", subset=1000, batch_size=1, preset=EXACT_TUTORIAL_PRESET
    )
    # The worker's TensorFlow start can take a minute on a loaded machine
    expect(page.get_by_text(re.compile(r"^Epoch \d+ of 20: batch"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_SECONDS * 1000
    )
    page.reload()
    assert re.search(r"job=(\w+)", page.url).group(1) == job_id
    expect(page.get_by_text(re.compile(r"^Epoch \d+ of 20: batch"))).to_be_visible()
    expect(page.locator(".st-key-training_stop button")).to_be_visible()
    screenshot(page, "train-after-reload")
    expect(page.get_by_text(re.compile(r"^[1-9]\d* epochs? plotted\."))).to_be_visible(
        timeout=TRAINING_TIMEOUT_SECONDS * 1000
    )
    page.locator(".st-key-training_stop button").click()
    stopped = page.get_by_text(
        re.compile(r"^Stopped early after \d+ of 20 epochs; the model trained so far was saved\.")
    )
    expect(stopped).to_be_visible(timeout=120_000)
    epochs_kept = int(re.search(r"after (\d+) of", stopped.inner_text()).group(1))
    assert 1 <= epochs_kept < 20
    saved = app_server.models_dir / "e2e-stopped"
    assert (saved / "model.keras").is_file()
    record = json.loads((saved / "record.json").read_text())
    assert record["epochs_run"] == epochs_kept and record["architecture"] == "tutorial"
    assert_no_error(page)
    screenshot(page, "train-stopped")


def test_training_goes_on_after_its_tab_is_closed(
    app_server, browser, page, screenshot, stop_training_at_end
):
    """Closing the tab mid-training stops nothing: a new tab of the browser finds its job, saved whole."""
    first_tab = page.context.new_page()
    open_page(first_tab, app_server.url, "train", heading="Train")
    # About 15 s of training: long enough to outlast the closing of one tab and the opening of another
    job_id = start_training(first_tab, epochs=15, name="e2e-tab-closed", subset=1000, batch_size=4)
    # The worker's TensorFlow start can take a minute on a loaded machine
    expect(first_tab.get_by_text(re.compile(r"^Epoch \d+ of 15: batch"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_SECONDS * 1000
    )
    first_tab.close()

    # A new tab of the same browser on the Train page, without the job's link
    open_page(page, app_server.url, "train", heading="Train")
    expect(page).to_have_url(re.compile(rf"[?&]job={job_id}"))
    finished = page.get_by_text(re.compile(r"^Training finished in \d+ s\.$"))
    expect(finished).to_be_visible(timeout=TRAINING_TIMEOUT_SECONDS * 1000)
    record = json.loads((app_server.models_dir / "e2e-tab-closed" / "record.json").read_text())
    assert record["epochs_run"] == 15 and not record.get("stopped_early"), record
    assert_no_error(page)
    screenshot(page, "train-finished-in-a-new-tab")


def test_a_second_browser_waits_in_line_and_can_cancel(
    app_server, browser, page, screenshot, stop_training_at_end
):
    """While one browser trains, another's job is queued with its place and start estimate, then cancelled."""
    open_page(page, app_server.url, "train", heading="Train")
    # Long enough to outlast the rest of the test with the fast training loop; stopped at the end
    start_training(page, epochs=500, name="e2e-ahead", subset=1000, batch_size=1)
    # The worker's TensorFlow start can take a minute on a loaded machine
    running = page.get_by_text(re.compile(r"^Epoch \d+ of 500: batch"))
    expect(running).to_be_visible(timeout=TRAINING_TIMEOUT_SECONDS * 1000)
    # The same browser cannot start a second job
    page.locator(".st-key-train_start button").click()
    expect(page.get_by_text("You already have a training job running")).to_be_visible()

    second = new_tab(browser)
    open_page(second, app_server.url, "train", heading="Train")
    start_training(second, epochs=2, name="e2e-queued", subset=600)
    waiting = re.compile(r"^Your job is queued, 1st in line, starts in about \d+ (s|min)\.$")
    expect(second.get_by_text(waiting)).to_be_visible()
    sidebar = second.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text(re.compile(r"queued, 1st in line"))).to_be_visible()
    assert_no_error(second)
    screenshot(second, "train-queued")
    second.locator(".st-key-training_cancel button").click()
    expect(second.get_by_text("This job was cancelled before it started.")).to_be_visible()
    expect(sidebar.get_by_text(re.compile(r"queued,"))).to_have_count(0)
    screenshot(second, "train-cancelled")
    second.context.close()
    assert not (app_server.models_dir / "e2e-queued").exists()


def test_predictions_only_wrong_and_mistake_browser(app_server, page, screenshot):
    """Only-wrong captions are all red; Next walks through distinct mistakes, and their URL reopens them."""
    open_page(page, app_server.url, "predictions?model=small-tutorial", heading="Predictions")
    assert_no_error(page)
    page.get_by_text("Only wrong", exact=True).click()
    # Wait for the filtered gallery: fewer matches than the 300 test images
    expect(
        page.get_by_text(re.compile(r"^(?!300 )[\d,]+ test images match; showing 15 on page 1 of"))
    ).to_be_visible()
    wait_until_idle(page)
    captions = expander_text(page, "The captions as text")
    assert len(captions) == 15
    assert all(caption.endswith("(red)") and "\u2717" in caption for caption in captions), captions
    colours = page.locator('[data-testid="stExpander"] li span').evaluate_all(
        "spans => spans.map(span => getComputedStyle(span).color)"
    )
    red_colours = [colour for colour in colours if is_reddish(colour)]
    assert len(red_colours) == 15, colours
    screenshot(
        page,
        "predictions-only-wrong",
        page.locator('[data-testid="stExpander"]').filter(has_text="The captions as text"),
    )
    screenshot(page, "predictions-only-wrong-grid", page.locator('[data-testid="stImage"]').nth(1))

    # The mistake browser: each Next shows another wrong image and its position
    position = page.get_by_text(re.compile(r"^\d+ of \d+$"))
    expect(position).to_have_text(re.compile(r"^1 of "))
    wrong_total = int(position.inner_text().split(" of ")[1].replace(",", ""))
    shown_indices = [browser_image_index(page)]
    for step in range(2, 5):
        page.locator(".st-key-predictions_next button").click()
        expect(position).to_have_text(f"{step} of {wrong_total:,}")
        wait_until_idle(page)
        expect(page.get_by_text(f"Test image #{shown_indices[-1]}:")).to_have_count(0)
        shown_indices.append(browser_image_index(page))
        screenshot(page, f"mistake-{step}-of-{wrong_total}", page.locator('[data-testid="stImage"]').last)
    assert len(set(shown_indices)) == 4, shown_indices
    # The URL is written at the end of the script run, just after the position text.
    expect(page).to_have_url(re.compile(r"[?&]wrong=4(&|$)"))

    # The URL of the fourth mistake opens it in a new tab
    second_tab = page.context.new_page()
    open_page(
        second_tab,
        page.url.split("/predictions")[0],
        "predictions" + page.url.split("/predictions")[1],
        heading="Predictions",
    )
    expect(second_tab.get_by_text(re.compile(r"^\d+ of \d+$"))).to_have_text(f"4 of {wrong_total:,}")
    assert browser_image_index(second_tab) == shown_indices[-1]
    assert_no_error(second_tab)
    screenshot(second_tab, "mistake-4-new-tab", second_tab.locator('[data-testid="stImage"]').last)


def test_clicking_a_confusion_table_cell_opens_its_images(app_server, page, screenshot):
    """A click on a cell of the confusion table filters the gallery to that cell's images."""
    open_page(page, app_server.url, "predictions?model=small-tutorial", heading="Predictions")
    wait_until_idle(page)
    table = page.locator(".st-key-predictions_matrix_table")
    expect(table.locator("[role=gridcell]").first).to_be_attached()
    table.scroll_into_view_if_needed()
    box = steady_bounding_box(table)
    # The grid is drawn on a canvas: click by position, a header and ten rows of equal height
    row_height = box["height"] / (len(CLASS_NAMES) + 1)
    true_class = "Shirt"
    page.mouse.click(
        box["x"] + box["width"] * 0.45, box["y"] + row_height * (CLASS_NAMES.index(true_class) + 1.5)
    )

    expect(page.locator(".st-key-predictions_cell_true").get_by_role("combobox")).to_have_value(true_class)
    wait_until_idle(page)
    predicted_class = page.locator(".st-key-predictions_cell_predicted").get_by_role("combobox").input_value()
    assert predicted_class in CLASS_NAMES, predicted_class
    # The count in the clicked cell, from the grid's accessible copy of its visible cells
    row = CLASS_NAMES.index(true_class)
    cell = table.locator(f"#glide-cell-{CLASS_NAMES.index(predicted_class) + 1}-{row}")
    count = int(cell.text_content().replace(",", ""))
    expect(page.get_by_text(re.compile(rf"^{count:,} test images match"))).to_be_visible()
    screenshot(page, "confusion-cell-clicked", page.locator('[data-testid="stImage"]').nth(1))
    if count:
        captions = expander_text(page, "The captions as text")
        assert len(captions) == min(count, 15), captions
        assert all(
            re.match(rf"#\d+: . {re.escape(predicted_class)} +\d+% \({re.escape(true_class)}\)", caption)
            for caption in captions
        ), captions
    assert_no_error(page)


def steady_bounding_box(locator) -> dict:
    """The element's bounding box once it has stopped moving (images above it may still be loading)."""
    boxes = [locator.bounding_box()]

    def stopped_moving():
        boxes.append(locator.bounding_box())
        return boxes[-1] if boxes[-1] == boxes[-2] else None

    return wait_for(stopped_moving, "the element to stop moving", seconds=5, interval=0.25)


def is_reddish(css_colour: str) -> bool:
    """True for an rgb()/rgba() colour whose red channel clearly dominates."""
    red, green, blue = (int(float(part)) for part in re.findall(r"[\d.]+", css_colour)[:3])
    return red > 150 and red > green + 60 and red > blue + 60


def browser_image_index(page) -> int:
    """The test-set index of the mistake shown in the browser, from its caption."""
    caption = page.get_by_text(re.compile(r"^Test image #\d+: an? .+ the model took for an? "))
    expect(caption).to_be_visible()
    return int(re.search(r"#(\d+)", caption.inner_text()).group(1))


def photo_the_model_gets_right(trained_store, small_dataset, label: int, **photo_options) -> bytes:
    """A photo-like picture of an item of this class that the served model gets right through the pipeline."""
    # The small model, trained on 1,000 images, is wrong on many items: the page must agree with the core.
    model = store.load_model("small-tutorial", trained_store)
    for index in np.flatnonzero(small_dataset.test_labels == label):
        data = photo_like(small_dataset.test_images[index], seed=int(index), **photo_options)
        probabilities = predict_probabilities(model, photo.prepare_photo(data).batch).mean(axis=0)
        if probabilities.argmax() == label and probabilities.max() > 0.6:
            return data
    raise AssertionError(f"no {CLASS_NAMES[label]} of the small test set is classified right as a photo")


def test_upload_photos_and_a_broken_file(
    app_server, page, screenshot, small_dataset, trained_store, tmp_path
):
    """Uploaded photos show the 28x28 input and the bar chart; a text file named .png gets a clear error."""
    trouser_path = tmp_path / "trouser-photo.png"
    trouser_path.write_bytes(photo_the_model_gets_right(trained_store, small_dataset, 1))
    # A bag: the small model gets no footwear right as a photo (0 of 30 ankle boots, measured)
    bag_path = tmp_path / "bag-photo.png"
    bag_path.write_bytes(photo_the_model_gets_right(trained_store, small_dataset, 8, tint=(120, 60, 30)))
    fake_path = tmp_path / "notes.png"
    fake_path.write_text("these are my shopping notes, not a picture\n")

    open_page(page, app_server.url, "try_image?model=small-tutorial", heading="Try your own image")
    file_input = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    expected_classes = {trouser_path: "Trouser", bag_path: "Bag"}
    for step, path in enumerate([trouser_path, fake_path, bag_path], start=1):
        file_input.set_input_files(str(path))
        expect(page.get_by_text(path.name).first).to_be_visible()
        if path is fake_path:
            error = page.locator('[data-testid="stAlertContentError"]')
            expect(error).to_contain_text("notes.png cannot be used:")
            expect(page.get_by_text("The 28x28 model input, enlarged")).to_have_count(0)
            assert_no_exception(page)
        else:
            expect(page.get_by_text("The 28x28 model input, enlarged")).to_be_visible()
            top_class = re.escape(expected_classes[path])
            expect(page.get_by_text(re.compile(rf"^1\. {top_class}: \d+\.\d%$"))).to_be_visible()
            wait_until_idle(page)
            assert_no_error(page)
            # The preview, the bar chart and the preprocessing steps are all images
            assert page.locator('[data-testid="stImage"]').count() >= 3
        wait_until_idle(page)
        screenshot(page, f"upload-{step}-{path.stem}")


def test_a_camera_photo_is_preprocessed_and_classified(
    app_server, browser, screenshot, small_dataset, tmp_path
):
    """A photo taken with the camera (Chromium's fake one, filming a trouser) is classified as one."""
    trouser = small_dataset.test_images[np.flatnonzero(small_dataset.test_labels == 1)[0]]
    video_path = tmp_path / "trouser.y4m"
    video_path.write_bytes(camera_video(photo_like(trouser, size=480, seed=3)))
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM_PATH,
        headless=True,
        args=[*CHROMIUM_ARGUMENTS, f"--use-file-for-fake-video-capture={video_path}"],
    )
    page = new_tab(camera_browser, permissions=["camera"])
    try:
        open_page(page, app_server.url, "try_image?model=small-tutorial", heading="Try your own image")
        page.locator(".st-key-try_use_camera").get_by_text("Use the camera").click()
        take_photo = page.get_by_role("button", name="Take Photo")
        expect(take_photo).to_be_enabled()
        screenshot(page, "camera-on", page.locator(".st-key-try_camera"))
        take_photo.click()
        expect(page.get_by_text("The 28x28 model input, enlarged")).to_be_visible()
        expect(page.get_by_text(re.compile(r"^1\. Trouser: \d+\.\d%$"))).to_be_visible()
        wait_until_idle(page)
        assert_no_error(page)
        screenshot(page, "camera-photo-classified")
    finally:
        camera_browser.close()
