"""Small helpers to drive Streamlit pages in Playwright: open, wait for the script to settle, find widgets."""

from __future__ import annotations

import io
import re
import time

import numpy as np
from PIL import Image
from playwright.sync_api import Page, expect

RUNNING_SELECTOR = '[data-testid="stStatusWidget"]'
EXCEPTION_SELECTOR = '[data-testid="stException"]'
STALE_SELECTOR = '[data-stale="true"]'
# Streamlit draws a skeleton where an element's code is still loading (the first radio, button or
# chart of a session); when the element replaces it, everything below moves
SKELETON_SELECTOR = '[data-testid="stSkeleton"]'
# Streamlit's run state on its root element, set as soon as a run starts (the status widget shows
# only after 500 ms of a run); checked on every animation frame so a gap between two runs is seen
SCRIPT_NOT_RUNNING = (
    "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
)
ERROR_SELECTOR = '[data-testid="stAlertContentError"]'
# An image still loading grows when it arrives and shifts everything below it; the browser's scroll
# anchoring then scrolls the page, which closes an open selectbox list
IMAGES_LOADED = "() => Array.from(document.images).every(image => image.complete)"
# An expander opens and closes by animating its height for 500 ms: until it ends, everything below it
# moves, and an element's screenshot can catch what was where the element had been measured. Endless
# animations (a spinner) never finish and are left out.
FINITE_ANIMATIONS_FINISHED = """() => document.getAnimations().every(animation =>
    animation.playState !== "running" || animation.effect?.getComputedTiming().iterations === Infinity)"""


def open_page(
    page: Page, base_url: str, path: str = "", heading: str | None = None, idle: bool = True
) -> float:
    """Go to a page of the app and wait until it has drawn (and its heading shows); returns seconds taken.
    With idle=False it does not wait for the script to settle (a live training view reruns on its own)."""
    started = time.monotonic()
    page.goto(f"{base_url}/{path}")
    page.locator('[data-testid="stAppViewContainer"]').wait_for()
    if heading:
        expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
    if idle:
        wait_until_idle(page)
    return time.monotonic() - started


def wait_until_idle(page: Page, timeout_ms: float = 60_000) -> None:
    """Wait until the script run has ended (no "Running..." status), every element has replaced its
    skeleton, the page's images have loaded and its finite animations (an expander opening) have finished."""
    page.locator(RUNNING_SELECTOR).wait_for(state="hidden", timeout=timeout_ms)
    page.wait_for_function(SCRIPT_NOT_RUNNING, polling="raf", timeout=timeout_ms)
    expect(page.locator(STALE_SELECTOR)).to_have_count(0, timeout=timeout_ms)
    expect(page.locator(SKELETON_SELECTOR)).to_have_count(0, timeout=timeout_ms)
    page.wait_for_function(IMAGES_LOADED, timeout=timeout_ms)
    page.wait_for_function(FINITE_ANIMATIONS_FINISHED, timeout=timeout_ms)


def assert_no_exception(page: Page) -> None:
    """No Python exception box on the page."""
    expect(page.locator(EXCEPTION_SELECTOR)).to_have_count(0)


def assert_no_error(page: Page) -> None:
    """Neither an exception box nor an st.error alert on the page."""
    assert_no_exception(page)
    expect(page.locator(ERROR_SELECTOR)).to_have_count(0)


def show_only_class(page: Page, class_name: str) -> None:
    """Choose one class in the Explore page's class filter and close its list."""
    class_filter = page.locator('[data-testid="stMultiSelect"] input')
    class_filter.click()
    class_filter.fill(class_name)
    page.get_by_role("option", name=class_name).click()
    page.keyboard.press("Escape")


def number_input(page: Page, label: str):
    """The <input> of the st.number_input with this label."""
    # By exact accessible name: a substring filter would also match "More epochs" for "Epochs".
    return page.get_by_role("spinbutton", name=label, exact=True)


def set_number(page: Page, label: str, value: float) -> None:
    """Type a value into a number input and commit it with Enter."""
    field = number_input(page, label)
    field.fill(str(value))
    field.press("Enter")
    expect(field).to_have_value(str(value))


def expander_text(page: Page, title: str) -> list[str]:
    """Open the st.expander with this title and return its list items' texts."""
    expander = page.locator('[data-testid="stExpander"]').filter(has_text=title)
    details = expander.locator("details")
    if details.get_attribute("open") is None:
        expander.locator("summary").click()
    items = expander.locator("li")
    expect(items.first).to_be_visible()
    return [text.strip() for text in items.all_inner_texts()]


def plotted_epochs(page) -> int | None:
    """How many epochs the live charts show now (None before the first one ends)."""
    caption = page.get_by_text(re.compile(r"^\d+ epochs? plotted\.$"))
    if caption.count() == 0:
        return 0 if page.get_by_text("The charts gain a point").count() else None
    return int(caption.first.inner_text().split()[0])


def fill_training_form(
    page, epochs: int, batch_size: int, subset: int, name: str, preset: str | None = None
) -> None:
    """Choose the tutorial model on a subset, with this preset, settings and name."""
    expect(page.get_by_role("combobox", name="Architecture")).to_have_value(re.compile("Tutorial"))
    if preset:
        page.get_by_role("combobox", name="Preset").click()
        page.get_by_role("option", name=preset).click()
        expect(page.get_by_role("combobox", name="Preset")).to_have_value(preset)
        wait_until_idle(page)
    if not page.get_by_role("checkbox", name="Train on a subset").is_checked():
        page.get_by_text("Train on a subset").click()
    expect(number_input(page, "Training images")).to_be_enabled()
    set_number(page, "Training images", subset)
    set_number(page, "Epochs", epochs)
    set_number(page, "Batch size", batch_size)
    name_field = page.get_by_label("Model name (optional)", exact=True)
    name_field.fill(name)
    name_field.press("Enter")
    wait_until_idle(page)


def photo_like(image, size: int = 240, tint=(70, 40, 150), seed: int = 0) -> bytes:
    """A test-set item as a phone photo shows it: large, dark, on a light noisy background, in colour."""
    rng = np.random.default_rng(seed)
    enlarged = np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR), dtype=np.float32) / 255
    background = np.array([235, 230, 220], dtype=np.float32)
    colour = np.array(tint, dtype=np.float32)
    pixels = background * (1 - enlarged[..., None]) + colour * enlarged[..., None]
    pixels += rng.normal(0, 6, pixels.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def camera_video(photo: bytes) -> bytes:
    """A one-frame Y4M video of the photo, for Chromium's fake camera (--use-file-for-fake-video-capture)."""
    frame = Image.open(io.BytesIO(photo)).convert("RGB")
    width, height = frame.width // 2 * 2, frame.height // 2 * 2
    luma, blue, red = frame.crop((0, 0, width, height)).convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = [luma.tobytes(), blue.resize(half, Image.BOX).tobytes(), red.resize(half, Image.BOX).tobytes()]
    return f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1\nFRAME\n".encode() + b"".join(planes)


def choose_option(page: Page, label: str, option_name: str) -> None:
    """Choose an option of the selectbox with this label by typing its name, once the page has settled."""
    chooser = page.get_by_role("combobox", name=label, exact=True)
    option = page.get_by_role("option", name=option_name, exact=True)
    wait_until_idle(page)
    chooser.click()
    chooser.fill(option_name)
    expect(option).to_be_visible()
    option.click()
    expect(chooser).to_have_value(option_name)
    wait_until_idle(page)
