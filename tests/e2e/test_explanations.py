"""Real-browser journeys of the explanations: "Why?" on a mistake and a click on the embedding map."""

from __future__ import annotations

import io
import re

import numpy as np
from app_driver import assert_no_error, open_page, photo_like, wait_until_idle
from PIL import Image
from playwright.sync_api import expect
from test_journeys import start_training, stop_training_at_end  # noqa: F401 - a fixture used below
from waiting import wait_for

from fashion.data.fashion_mnist import CLASS_NAMES

NEIGHBOURS_TEXT = re.compile(r"^Nearest training images \(by the model's penultimate layer\): (.+)$")


def neighbour_names(page) -> list[str]:
    """The class names listed for the nearest training images."""
    line = page.get_by_text(NEIGHBOURS_TEXT)
    expect(line).to_be_visible()
    return NEIGHBOURS_TEXT.match(line.inner_text()).group(1).split(", ")


def click_why(page, key: str):
    """Press the "Why?" under .st-key-<key>; check the saliency figure, 8 labelled neighbours and the URL
    flag <key>=true; return the saliency and thumbnail locators."""
    saliency = page.get_by_role("img", name=re.compile(r"^Saliency by integrated gradients"))
    expect(saliency).to_have_count(0)
    page.locator(f".st-key-{key}").get_by_text("Why?").click()
    names = neighbour_names(page)
    wait_until_idle(page)
    assert len(names) == 8 and all(name in CLASS_NAMES for name in names), names
    # The saliency panels as one figure, and the eight neighbours' thumbnails
    expect(saliency).to_have_count(1)
    thumbnails = page.get_by_role("img", name=re.compile(r"^Nearest training image \d of 8: #\d+, an? "))
    expect(thumbnails).to_have_count(8)
    expect(page).to_have_url(re.compile(rf"[?&]{key}=true(&|$)"))
    assert_no_error(page)
    return saliency, thumbnails


def test_why_shows_saliency_and_labelled_neighbours_of_a_mistake(app_server, page, screenshot):
    """ "Why?" on the mistake browser draws the saliency panels and lists the neighbours' classes."""
    open_page(page, app_server.url, "predictions?model=small-tutorial", heading="Predictions")
    caption = page.get_by_text(re.compile(r"^Test image #\d+: an? .+ the model took for an? "))
    expect(caption).to_be_visible()
    saliency, thumbnails = click_why(page, "predictions_why")
    expect(page.get_by_text(re.compile(r"^Saliency by integrated gradients"))).to_be_visible()
    screenshot(page, "why-saliency", saliency)
    screenshot(page, "why-neighbours", page.locator('[data-testid="stImage"]').filter(has=thumbnails.first))

    # Next keeps "Why?" open for the next mistake
    page.locator(".st-key-predictions_next button").click()
    expect(page.get_by_text(re.compile(r"^2 of \d+$"))).to_be_visible()
    wait_until_idle(page)
    assert len(neighbour_names(page)) == 8
    assert_no_error(page)


def open_choices(page, chooser, choices, count: int) -> None:
    """Open a selectbox's list showing count choices, once the page has settled."""
    wait_until_idle(page)
    # At the top of the window, so that the list opens inside it
    chooser.evaluate("element => element.scrollIntoView({block: 'start'})")
    chooser.click()
    expect(choices).to_have_count(count)


def test_why_on_the_gallery_image_view_shows_saliency_and_labelled_neighbours(app_server, page, screenshot):
    """An image opened under the gallery gets "Why?": saliency and 8 labelled neighbours, kept in the URL."""
    open_page(page, app_server.url, "predictions?model=small-tutorial", heading="Predictions")
    chooser = page.locator(".st-key-predictions_gallery_open").get_by_role("combobox")
    choices = page.get_by_role("option")
    open_choices(page, chooser, choices, 15)
    label = choices.nth(4).inner_text()
    index = int(re.match(r"#(\d+): [✓✗] ", label).group(1))
    screenshot(page, "gallery-image-choices")
    # A click event as a screen reader sends it: the list may reach past the window's edge
    heading = page.get_by_role("heading", name=f"Test image #{index}")
    page.get_by_role("option", name=label, exact=True).dispatch_event("click")
    expect(heading).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(rf"^Test image #{index}, an? "))).to_have_count(1)
    expect(page).to_have_url(re.compile(rf"[?&]image={index}(&|$)"))
    wait_until_idle(page)
    saliency, thumbnails = click_why(page, "predictions_image_why")
    opened_pair = page.get_by_role("img", name=re.compile(rf"^Test image #{index}, "))
    screenshot(page, "gallery-image-opened", opened_pair)
    screenshot(page, "gallery-why-saliency", saliency)
    neighbours = page.locator('[data-testid="stImage"]').filter(has=thumbnails.first)
    screenshot(page, "gallery-why-neighbours", neighbours)

    # The URL reopens the same image with its Why? in a new tab
    second_tab = page.context.new_page()
    open_page(second_tab, app_server.url, page.url.split("/", 3)[3], heading="Predictions")
    expect(second_tab.get_by_role("heading", name=f"Test image #{index}")).to_be_visible()
    assert len(neighbour_names(second_tab)) == 8
    assert_no_error(second_tab)


def point_centres(png: bytes) -> list[tuple[float, float]]:
    """Centres of the coloured blobs (the map's points) in a screenshot, most isolated first."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    coloured = saturation > 60
    rows, columns = np.nonzero(coloured)
    if len(rows) == 0:
        return []
    # Points in cells of 12 pixels; a cell with a little colour and empty neighbours holds one point
    cells: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for row, column in zip(rows, columns, strict=True):
        cells.setdefault((row // 12, column // 12), []).append((row, column))

    def crowding(cell):
        return sum(
            len(cells.get((cell[0] + down, cell[1] + right), []))
            for down in (-1, 0, 1)
            for right in (-1, 0, 1)
        )

    ordered = sorted(cells, key=crowding)
    return [tuple(np.mean(cells[cell], axis=0))[::-1] for cell in ordered]


def test_clicking_a_point_on_the_map_opens_its_image(app_server, page, screenshot):
    """Hovering a point shows its index; clicking it opens that test image with saliency and neighbours."""
    open_page(page, app_server.url, "map?model=small-tutorial", heading="Map")
    chart = page.locator(".st-key-map_chart")
    expect(chart.locator("canvas, svg").first).to_be_visible()
    wait_until_idle(page)
    # Vega draws after the script run: wait until two pictures of the chart in a row are the same
    pictures = [chart.screenshot()]

    def drawing_settled() -> bool:
        pictures.append(chart.screenshot())
        return pictures[-1] == pictures[-2]

    wait_for(drawing_settled, "the map to stop changing (Vega drawing its points)", seconds=30, interval=0.25)
    box = chart.bounding_box()
    screenshot(page, "map", chart)
    centres = point_centres(pictures[-1])
    assert len(centres) > 20, "no points found on the map"
    tooltip = page.locator("#vg-tooltip-element")
    hovered_index = None
    # Vega shows the tooltip in its mousemove handler: when the pointer lands on a point, it is there
    for x, y in centres[:15]:
        page.mouse.move(box["x"] + x, box["y"] + y)
        if tooltip.count() and tooltip.is_visible() and "index" in tooltip.inner_text():
            hovered_index = int(re.search(r"index\s*(\d+)", tooltip.inner_text()).group(1))
            break
    assert hovered_index is not None, "no tooltip appeared over the points"
    screenshot(page, "map-tooltip", chart)
    page.mouse.click(box["x"] + x, box["y"] + y)
    expect(page.get_by_role("heading", name=f"Test image #{hovered_index}")).to_be_visible()
    wait_until_idle(page)
    expect(page).to_have_url(re.compile(rf"[?&]point={hovered_index}(&|$)"))
    names = neighbour_names(page)
    assert len(names) == 8 and all(name in CLASS_NAMES for name in names), names
    assert_no_error(page)
    screenshot(page, "map-point-opened")

    # The URL reopens the same image in a new tab
    second_tab = page.context.new_page()
    open_page(second_tab, app_server.url, page.url.split("/", 3)[3], heading="Map")
    expect(second_tab.get_by_role("heading", name=f"Test image #{hovered_index}")).to_be_visible()
    assert_no_error(second_tab)


def test_why_and_the_map_pass_axe(app_server, page, audits):
    """ "Why?" on a mistake and on the gallery's image, and a map point opened: no serious axe violation."""
    open_page(
        page, app_server.url, "predictions?model=small-tutorial&predictions_why=true", heading="Predictions"
    )
    neighbour_names(page)
    audits.check("predictions-why")
    # The figures speak: the saliency panels and the neighbours in words
    expect(
        page.get_by_role("img", name=re.compile(r"^Saliency by integrated gradients: evidence for "))
    ).to_have_count(1)
    expect(
        page.get_by_role("img", name=re.compile(r"^Nearest training image \d of 8: #\d+, an? "))
    ).to_have_count(8)
    # The gallery's image view with its "Why?", reopened from the URL
    open_page(
        page,
        app_server.url,
        "predictions?model=small-tutorial&image=5&predictions_image_why=true",
        heading="Predictions",
    )
    expect(page.get_by_role("heading", name="Test image #5")).to_be_visible()
    neighbour_names(page)
    audits.check("predictions-gallery-image-why")
    open_page(page, app_server.url, "map?model=small-tutorial&point=3", heading="Map")
    expect(page.get_by_role("heading", name="Test image #3")).to_be_visible()
    neighbour_names(page)
    audits.check("map-point-open")
    audits.assert_clean()


def test_watch_it_learn_live_then_scrub_the_epochs(app_server, page, screenshot, stop_training_at_end):  # noqa: F811
    """The probe images and first layer show during training; after it, the slider scrubs the epochs."""
    open_page(page, app_server.url, "train", heading="Train")
    # Far more epochs than the test waits for: the fast loop would finish a short run between two page
    # refreshes. The run is stopped once two snapshots were seen live.
    start_training(page, epochs=300, name="e2e-watched", subset=1000, batch_size=4)
    epoch_figure = page.get_by_role(
        "img", name=re.compile(r"^Epoch \d+: \d+ of 20 probe images classified right")
    )
    # Live: a snapshot appears while the Stop button is still there
    expect(epoch_figure).to_have_count(1, timeout=240_000)
    expect(page.locator(".st-key-training_stop button")).to_be_visible()
    screenshot(page, "watch-live", epoch_figure)
    expect(epoch_figure).not_to_have_attribute("alt", re.compile(r"^Epoch 1: "), timeout=240_000)
    page.locator(".st-key-training_stop button").click()
    stopped = page.get_by_text(
        re.compile(r"^Stopped early after \d+ of 300 epochs; the model trained so far was saved\.")
    )
    expect(stopped).to_be_visible(timeout=120_000)
    wait_until_idle(page)
    epochs_kept = int(re.search(r"after (\d+) of", stopped.inner_text()).group(1))
    assert epochs_kept >= 2
    expect(epoch_figure).to_have_attribute("alt", re.compile(rf"^Epoch {epochs_kept}: "))
    screenshot(page, "watch-last-epoch", epoch_figure)
    # Scrub back to the first epoch with the keyboard on the slider
    slider = page.locator(".st-key-train_learning_epoch").get_by_role("slider")
    slider.focus()
    page.keyboard.press("Home")
    expect(epoch_figure).to_have_attribute("alt", re.compile(r"^Epoch 1: "))
    wait_until_idle(page)
    assert_no_error(page)
    screenshot(page, "watch-epoch-1", epoch_figure)


def test_why_on_an_uploaded_photo_shows_neighbours_and_its_place_on_the_map(
    app_server, page, screenshot, small_dataset, tmp_path
):
    """An uploaded photo's Why?: saliency, labelled neighbours and a star on the map."""
    trouser = small_dataset.test_images[np.flatnonzero(small_dataset.test_labels == 1)[0]]
    photo_path = tmp_path / "trouser-photo.png"
    photo_path.write_bytes(photo_like(trouser, seed=1))
    open_page(page, app_server.url, "try_image", heading="Try your own image")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo_path))
    expect(page.get_by_text("The 28x28 model input, enlarged")).to_be_visible()
    wait_until_idle(page)
    page.locator(".st-key-try_why").get_by_text("Why?").click()
    names = neighbour_names(page)
    assert len(names) == 8 and all(name in CLASS_NAMES for name in names), names
    star_map = page.get_by_role("img", name=re.compile(r"A black star marks your image\.$"))
    expect(star_map).to_have_count(1)
    wait_until_idle(page)
    assert_no_error(page)
    screenshot(page, "try-why-saliency", page.get_by_role("img", name=re.compile(r"^Saliency by ")))
    screenshot(page, "try-why-map", star_map)
