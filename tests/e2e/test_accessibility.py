"""axe-core (WCAG 2.1 A and AA) on every page and each state that draws something new.

No serious or critical violation."""

from __future__ import annotations

import re

import numpy as np
import pytest
from app_driver import (
    assert_no_error,
    fill_training_form,
    open_page,
    photo_like,
    show_only_class,
    wait_until_idle,
)
from axe_audit import audit, describe
from e2e_server import AppServer
from playwright.sync_api import expect

from fashion.models import EXACT_TUTORIAL_PRESET

TRAINING_TIMEOUT_MS = 240_000


class Audits:
    """The serious/critical violations found in each state visited, reported together at the end."""

    def __init__(self, page, screenshot):
        self.page = page
        self.screenshot = screenshot
        self.found: dict[str, list[dict]] = {}

    def check(self, state: str) -> None:
        """Audit the page as it is now under the name of this state (and screenshot it)."""
        wait_until_idle(self.page)
        assert_no_error(self.page)
        # Audit the page once its images have arrived, not while Streamlit is still drawing
        self.page.wait_for_function("Array.from(document.images).every(image => image.complete)")
        self.found[state] = audit(self.page, state)
        self.screenshot(self.page, state)

    def assert_clean(self) -> None:
        """Fail with every state's report if any state had a serious or critical violation."""
        failing = {state: violations for state, violations in self.found.items() if violations}
        report = "\n\n".join(f"[{state}]\n{describe(violations)}" for state, violations in failing.items())
        assert not failing, f"axe-core violations in {len(failing)} of {len(self.found)} states:\n{report}"


@pytest.fixture
def audits(page, screenshot):
    """An Audits collector on this test's tab."""
    return Audits(page, screenshot)


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
    audits.found["try-broken-file"] = audit(page, "try-broken-file")
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


def test_no_model_yet_during_and_after_training_pass_axe(empty_store_server, page, audits):
    """With no model: the no-model panels; then a training while it runs (live charts, sidebar) and after."""
    server = empty_store_server
    open_page(page, server.url, "predictions", heading="Predictions")
    expect(page.get_by_role("button", name="Train the tutorial model")).to_be_visible()
    audits.check("predictions-no-model")
    open_page(page, server.url, "try_image", heading="Try your own image")
    audits.check("try-no-model")

    open_page(page, server.url, "train", heading="Train")
    # Long enough to be audited while it runs (the fast loop ran 2 epochs in about a second), then stopped
    fill_training_form(
        page, epochs=200, batch_size=1, subset=1000, name="a11y-run", preset=EXACT_TUTORIAL_PRESET
    )
    page.locator(".st-key-train_start button").click()
    expect(page.get_by_text(re.compile(r"^\d+ epoch\(s\) plotted\.$"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    expect(page.locator(".st-key-training_stop button")).to_be_visible()
    audits.found["train-running"] = audit(page, "train-running")
    audits.screenshot(page, "train-running")
    page.locator(".st-key-training_stop button").click()
    expect(page.get_by_text(re.compile(r"^Stopped early after \d+ of 200 epochs"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    audits.check("train-finished")
    curves = page.get_by_role(
        "img", name=re.compile(r"^Loss and accuracy curves over \d+ epoch\(s\); epoch \d+: training loss \d")
    )
    expect(curves).to_have_count(1)
    audits.assert_clean()


# Machado et al. (2009) full-severity matrices; an SVG feColorMatrix works in linear RGB, as they need
SIMULATIONS = {
    "deuteranopia": "0.367322 0.860646 -0.227968 0 0  0.280085 0.672501 0.047413 0 0  "
    "-0.011820 0.042940 0.968881 0 0  0 0 0 1 0",
    "protanopia": "0.152286 1.052583 -0.204868 0 0  0.114503 0.786281 0.099216 0 0  "
    "-0.003882 -0.048116 1.051998 0 0  0 0 0 1 0",
}
SIMULATE_SCRIPT = """values => {
    document.getElementById('colour-vision-simulation')?.remove();
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.id = 'colour-vision-simulation';
    svg.setAttribute('style', 'position:absolute;width:0;height:0');
    svg.innerHTML =
        `<filter id="simulated-vision"><feColorMatrix type="matrix" values="${values}"/></filter>`;
    document.body.appendChild(svg);
    document.documentElement.style.filter = 'url(#simulated-vision)';
    return getComputedStyle(document.documentElement).filter;
}"""


def test_gallery_under_colour_blindness_simulation(app_server, page, screenshot):
    """Screenshots of the gallery, a mistake and the captions as deuteranopes and protanopes see them."""
    open_page(page, app_server.url, "predictions?model=small-tutorial", heading="Predictions")
    expect(page.get_by_text(re.compile(r"^300 test images match; showing 15"))).to_be_visible()
    captions = page.locator('[data-testid="stExpander"]').filter(has_text="The captions as text")
    captions.locator("summary").click()
    expect(captions.locator("li").first).to_be_visible()
    wait_until_idle(page)
    gallery_image = page.get_by_role("img", name=re.compile(r"^15 test images with their bar charts"))
    mistake_image = page.get_by_role("img", name=re.compile(r"^Test image #\d+, .+\(wrong \u2717\)"))
    screenshot(page, "gallery-full-colour", gallery_image)
    for deficiency, matrix in SIMULATIONS.items():
        assert page.evaluate(SIMULATE_SCRIPT, matrix).startswith("url(")
        screenshot(page, f"gallery-{deficiency}", gallery_image)
        screenshot(page, f"captions-{deficiency}", captions)
        screenshot(page, f"mistake-{deficiency}", mistake_image)


def choose_theme(page, theme: str) -> None:
    """Pick Light, Dark or System in the app menu (the three-dot button at the top right)."""
    page.get_by_role("button", name="Main menu").click()
    page.get_by_role("menuitemradio", name=theme).click()
    if page.get_by_role("menu").count():
        page.keyboard.press("Escape")


def go_to(page, title: str) -> None:
    """Follow the sidebar's link to a page and wait until it has drawn."""
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible()
    wait_until_idle(page)


def test_dark_theme_pages_pass_axe_and_figures_stay_readable(
    app_server, page, audits, small_dataset, tmp_path
):
    """Dark theme chosen in the app menu: every page passes axe; figures keep their light card."""
    open_page(page, app_server.url, "", heading="Explore the data")
    choose_theme(page, "Dark")
    app_background = "getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor"
    page.wait_for_function(f"{app_background} === 'rgb(14, 17, 23)'")
    expect(page.get_by_text(re.compile(r"Showing 25 training images of all classes"))).to_be_visible()
    audits.check("dark-explore")
    # On through the sidebar's links, as a user would (the chosen theme lasts while the tab is open)
    go_to(page, "Predictions")
    assert page.evaluate(app_background) == "rgb(14, 17, 23)"
    page.get_by_text("Only wrong", exact=True).click()
    expect(page.get_by_text(re.compile(r"^(?!300 )[\d,]+ test images match"))).to_be_visible()
    audits.check("dark-predictions-only-wrong")
    gallery_figure = page.get_by_role("img", name=re.compile(r"^15 test images with their bar charts"))
    audits.screenshot(page, "dark-gallery-figure", gallery_figure)
    go_to(page, "Train")
    audits.check("dark-train")
    go_to(page, "Try your own image")
    bag = small_dataset.test_images[np.flatnonzero(small_dataset.test_labels == 8)[0]]
    photo_path = tmp_path / "bag-photo.png"
    photo_path.write_bytes(photo_like(bag, seed=3))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo_path))
    expect(page.get_by_text("The 28x28 model input, enlarged")).to_be_visible()
    audits.check("dark-try-uploaded-photo")
    audits.screenshot(page, "dark-bar-chart", page.get_by_role("img", name=re.compile(r"^Bar chart: ")))
    audits.assert_clean()
