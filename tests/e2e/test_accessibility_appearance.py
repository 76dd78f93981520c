"""The look of the app for everyone: Streamlit's dark theme, and the gallery as colour-blind eyes see it.

axe-core (WCAG 2.1 A and AA) runs on the dark pages; the colour-vision simulation is measured."""

from __future__ import annotations

import re

import numpy as np
from app_driver import open_page, photo_like, wait_until_idle
from playwright.sync_api import expect
from test_explanations import click_why, neighbour_names
from test_runs_journeys import runs_server  # noqa: F401 - a fixture used below: small-tutorial and one-epoch

APP_BACKGROUND = "getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor"
DARK_BACKGROUND = "rgb(14, 17, 23)"


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
    """Pick Light or Dark in the app menu (the three-dot button at the top right); wait until it shows."""
    page.get_by_role("button", name="Main menu").click()
    page.get_by_role("menuitemradio", name=theme).click()
    if page.get_by_role("menu").count():
        page.keyboard.press("Escape")
    background = DARK_BACKGROUND if theme == "Dark" else "rgb(255, 255, 255)"
    page.wait_for_function(f"{APP_BACKGROUND} === '{background}'")


def go_to(page, title: str) -> None:
    """Follow the sidebar's link to a page and wait until it has drawn (in the dark theme still)."""
    page.get_by_role("link", name=title).click()
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
