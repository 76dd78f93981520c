"""The look of the app for everyone: Streamlit's dark theme, and the gallery as colour-blind eyes see it.

axe-core (WCAG 2.1 A and AA) runs on the dark pages; the colour-vision simulation is measured."""

from __future__ import annotations

import re

import numpy as np
from app_driver import open_page, photo_like, wait_until_idle
from colour_vision import cielab, cielab_as_seen, svg_colour_matrix
from matplotlib.colors import to_rgb
from PIL import Image
from playwright.sync_api import expect
from test_explanations import click_why, neighbour_names
from test_runs_journeys import runs_server  # noqa: F401 - a fixture used below: small-tutorial and one-epoch

from fashion.figures import plots

APP_BACKGROUND = "getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor"
DARK_BACKGROUND = "rgb(14, 17, 23)"


# The deficiencies simulated in the browser, through an SVG feColorMatrix of tests/colour_vision.py's matrix
SIMULATED_DEFICIENCIES = ("deuteranopia", "protanopia")
# Right and wrong must stay this far apart (CIELAB ΔE) as simulated; 2.3 is a just-noticeable difference
RIGHT_WRONG_DISTANCE = 80
# How far a measured colour may be from the matrix's prediction (rendering and rounding)
PREDICTION_TOLERANCE = 10
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
    """The gallery, a mistake and the captions as deuteranopes and protanopes see them: screenshots, and the
    mistake's right and wrong colours measured far apart on them."""
    open_page(page, app_server.url, "predictions?model=small-tutorial", heading="Predictions")
    expect(page.get_by_text(re.compile(r"^300 test images match; showing 15"))).to_be_visible()
    captions = page.locator('[data-testid="stExpander"]').filter(has_text="The captions as text")
    captions.locator("summary").click()
    expect(captions.locator("li").first).to_be_visible()
    wait_until_idle(page)
    gallery_image = page.get_by_role("img", name=re.compile(r"^15 test images with their bar charts"))
    mistake_image = page.get_by_role("img", name=re.compile(r"^Test image #\d+, .+\(wrong \u2717\)"))
    screenshot(page, "gallery-full-colour", gallery_image)
    # Where the mistake's figure is drawn in the right and the wrong colour (its true and predicted bars)
    full_colour = pixels(screenshot(page, "mistake-full-colour", mistake_image))
    right_pixels, wrong_pixels = (
        np.abs(full_colour - np.array(to_rgb(colour)) * 255).max(axis=-1) <= 8
        for colour in (plots.RIGHT_COLOUR, plots.WRONG_COLOUR)
    )
    assert right_pixels.sum() >= 50 and wrong_pixels.sum() >= 50, (right_pixels.sum(), wrong_pixels.sum())
    for deficiency in SIMULATED_DEFICIENCIES:
        assert page.evaluate(SIMULATE_SCRIPT, svg_colour_matrix(deficiency)).startswith("url(")
        screenshot(page, f"gallery-{deficiency}", gallery_image)
        screenshot(page, f"captions-{deficiency}", captions)
        simulated = pixels(screenshot(page, f"mistake-{deficiency}", mistake_image))
        assert simulated.shape == full_colour.shape
        # The colours measured on the simulated screenshot: the matrix's prediction (so the filter is
        # the simulation), and right and wrong still far apart
        right, wrong = (
            cielab(np.median(simulated[mask], axis=0) / 255) for mask in (right_pixels, wrong_pixels)
        )
        for measured, colour in ((right, plots.RIGHT_COLOUR), (wrong, plots.WRONG_COLOUR)):
            predicted = cielab_as_seen(colour, deficiency)
            assert np.linalg.norm(measured - predicted) <= PREDICTION_TOLERANCE, (
                deficiency,
                colour,
                measured,
            )
        distance = float(np.linalg.norm(right - wrong))
        print(f"{deficiency}: right and wrong {distance:.0f} apart (CIELAB)")
        assert distance >= RIGHT_WRONG_DISTANCE, (deficiency, distance)


def pixels(png_path) -> np.ndarray:
    """A screenshot's RGB pixels as integers."""
    return np.asarray(Image.open(png_path).convert("RGB"), dtype=int)


def choose_theme(page, theme: str) -> None:
    """Pick Light or Dark in the app menu (the three-dot button at the top right); wait until it shows."""
    page.get_by_role("button", name="Main menu").click()
    page.get_by_role("menuitemradio", name=theme).click()
    if page.get_by_role("menu").count():
        page.keyboard.press("Escape")
    background = DARK_BACKGROUND if theme == "Dark" else "rgb(255, 255, 255)"
    page.wait_for_function(f"{APP_BACKGROUND} === '{background}'")


def go_to(page, title: str) -> None:
    """Follow the sidebar's link to a page and wait until it has drawn (in the dark theme still)."""
    # The sidebar's own link: the pages' "Next: ..." links name other pages too
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible()
    wait_until_idle(page)
    assert page.evaluate(APP_BACKGROUND) == DARK_BACKGROUND


def test_dark_theme_pages_pass_axe_and_figures_stay_readable(
    app_server, page, audits, small_dataset, tmp_path
):
    """Dark theme chosen in the app menu: every page passes axe; figures keep their light card."""
    open_page(page, app_server.url, "", heading="Explore the data")
    choose_theme(page, "Dark")
    expect(page.get_by_text(re.compile(r"Showing 25 training images of all classes"))).to_be_visible()
    audits.check("dark-explore")
    # On through the sidebar's links, as a user would (the chosen theme lasts while the tab is open)
    go_to(page, "Predictions")
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


def test_dark_theme_map_compare_saved_models_and_why_pass_axe(runs_server, page, audits):  # noqa: F811
    """Dark theme: a map point opened, Compare of two models, Saved models and "Why?" on a mistake."""
    open_page(page, runs_server.url, "map?model=small-tutorial&point=3", heading="Map")
    choose_theme(page, "Dark")
    expect(page.get_by_role("heading", name="Test image #3")).to_be_visible()
    neighbour_names(page)
    chart = page.locator(".st-key-map_chart")
    expect(chart.locator("canvas, svg").first).to_be_visible()
    audits.check("dark-map-point-open")
    chart.scroll_into_view_if_needed()
    audits.screenshot(page, "dark-map-chart", chart)
    go_to(page, "Compare models")
    expect(
        page.get_by_text(re.compile(r"^[\d,]+ test images that (small-tutorial|one-epoch) gets right"))
    ).to_be_visible()
    audits.check("dark-compare-two-models")
    curves = page.get_by_role("img", name=re.compile(r"^Loss and accuracy curves of 2 models"))
    audits.screenshot(page, "dark-compare-curves", curves)
    go_to(page, "Saved models")
    audits.check("dark-saved-models")
    go_to(page, "Predictions")
    saliency, thumbnails = click_why(page, "predictions_why")
    audits.check("dark-predictions-why")
    audits.screenshot(page, "dark-why-saliency", saliency)
    audits.screenshot(
        page, "dark-why-neighbours", page.locator('[data-testid="stImage"]').filter(has=thumbnails.first)
    )
    audits.assert_clean()
