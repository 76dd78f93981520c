"""Driving the app with the keyboard only: Tab to an element by its name, the focus checked visible."""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image

# What has the focus: its name (label, aria-label or text), tag and role; and the box that shows it
# (the data grid for its hidden accessible cells, else the widget, else the element).
FOCUSED_ELEMENT_SCRIPT = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const label = element.getAttribute('aria-label') || element.labels?.[0]?.innerText
        || element.closest('label')?.innerText || element.innerText || element.value || '';
    const shown = element.closest('[data-testid="stDataFrame"]') || element.closest('[data-baseweb]')
        || element;
    const box = shown.getBoundingClientRect();
    const left = Math.max(0, box.x - 4), top = Math.max(0, box.y - 4);
    return {name: label.trim().replace(/\\s+/g, ' ').slice(0, 100), tag: element.tagName,
            role: element.getAttribute('role'),
            toolbar: Boolean(element.closest('[data-testid="stElementToolbar"]')),
            box: {x: left, y: top, width: Math.min(window.innerWidth - left, box.width + 8),
                  height: Math.min(window.innerHeight - top, box.height + 8)}};
}"""

TAB_LIMIT = 80
FOCUS_LEVELS = 24
FOCUS_PIXELS = 20


class FocusNotFound(AssertionError):
    """Tab went round without reaching the element."""


def focused(page) -> dict | None:
    """The focused element's name, tag, role and on-screen box."""
    return page.evaluate(FOCUSED_ELEMENT_SCRIPT)


def picture(page, box: dict) -> bytes | None:
    """A screenshot of a box of the tab (the text caret hidden), None for an empty box."""
    if box["width"] <= 0 or box["height"] <= 0:
        return None
    # Two animation frames first: on a loaded machine a picture taken straight after a key press
    # showed the frame before the focus moved (a fresh-clone run saw two rings the screenshot showed)
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return page.screenshot(clip=box)


def looks_different(first: bytes | None, second: bytes | None) -> bool:
    """Whether two pictures of one box differ by more than rendering noise: at least FOCUS_PIXELS pixels
    changed by more than FOCUS_LEVELS levels (a focus ring changes hundreds; a neighbour's edge, one)."""
    if first is None or second is None:
        return False
    first_pixels, second_pixels = (
        np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int) for png in (first, second)
    )
    if first_pixels.shape != second_pixels.shape:
        return True
    changed = (np.abs(first_pixels - second_pixels).max(axis=-1) > FOCUS_LEVELS).sum()
    return int(changed) >= FOCUS_PIXELS


def focus_shows(page, element: dict) -> bool:
    """Whether the focused element's box looks different with the focus than without it.

    The focus is taken away (blur) for one picture and given back; Chromium shows the ring again, as the
    focus came from the keyboard.
    """
    with_focus = picture(page, element["box"])
    page.evaluate("() => { window.tabTarget = document.activeElement; window.tabTarget.blur(); }")
    without_focus = picture(page, element["box"])
    page.evaluate("() => window.tabTarget.focus({focusVisible: true})")
    return looks_different(with_focus, without_focus)


def tab_to(page, name: str | re.Pattern, backwards: bool = False, visited: list | None = None) -> dict:
    """Press Tab (or Shift+Tab) until the element whose name matches has the focus; returns it.

    Each element the focus passes on the way is appended to `visited`, with `visible`: whether its box
    looked different while it had the focus than after the focus moved on (by the user's own Tab); the
    element reached is appended too, its focus checked by focus_shows.
    """
    # A button's or link's text may start with its icon's name ("arrow_forward Next")
    pattern = name if isinstance(name, re.Pattern) else re.compile(rf"^([a-z_]+ )?{re.escape(name)}$")
    key = "Shift+Tab" if backwards else "Tab"
    previous, previous_picture = None, None
    for _ in range(TAB_LIMIT):
        page.keyboard.press(key)
        if previous is not None and previous_picture is not None:
            previous["visible"] = looks_different(picture(page, previous["box"]), previous_picture)
            if visited is not None:
                visited.append(previous)
        element = focused(page)
        previous, previous_picture = element, None
        if element is None:
            continue
        if pattern.search(element["name"]):
            if visited is not None:
                visited.append({**element, "visible": focus_shows(page, element), "target": True})
            return element
        previous_picture = picture(page, element["box"])
    last = visited[-5:] if visited else None
    raise FocusNotFound(f"{key} x{TAB_LIMIT} never reached {pattern.pattern!r}; last: {last}")


def without_visible_focus(visited: list[dict]) -> list[dict]:
    """The elements that had the focus without showing it.

    Streamlit's element toolbars (Fullscreen, Download, Search above a chart or table) are left out:
    they fade in while focused, so the before/after pictures cannot tell their focus ring apart.
    """
    return [element for element in visited if not element["visible"] and not element["toolbar"]]
