"""Display helpers: pixel values and the confusion matrix as shaded tables (pandas Stylers)."""

from __future__ import annotations

import html
import unicodedata

import numpy as np

from fashion.data.fashion_mnist import CLASS_NAMES, PIXEL_MAX
from fashion.i18n import _


def relative_luminance(level: int) -> float:
    """WCAG's relative luminance of the grey rgb(level, level, level)."""
    channel = level / 255
    return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4


def text_colour_on_grey(level: int) -> str:
    """Black or white, whichever contrasts more with the grey rgb(level, level, level) (always >= 4.5:1)."""
    luminance = relative_luminance(level)
    on_black = (luminance + 0.05) / 0.05
    on_white = 1.05 / (luminance + 0.05)
    return "#000" if on_black >= on_white else "#fff"


def pixel_table_html(values: np.ndarray, number_format: str = "{:d}", label: str = "Pixel values") -> str:
    """A 2-D array as a pandas Styler table shaded like the pixels (white 0, black at the maximum), in HTML.

    The scrolling box can take the keyboard focus (so arrow keys scroll it) and is named by `label`.
    """
    # deferred: pandas loads only when a table is built
    import pandas as pd

    values = np.asarray(values)
    top = 1.0 if values.dtype.kind == "f" else PIXEL_MAX

    def shade(value: float) -> str:
        level = round(255 * (1.0 - min(1.0, max(0.0, float(value) / top))))
        return f"background-color: rgb({level},{level},{level}); color: {text_colour_on_grey(level)}"

    styler = (
        pd.DataFrame(values)
        .style.format(number_format)
        .map(shade)
        .hide(axis="index")
        .hide(axis="columns")
        .set_table_styles(
            [
                # 28 raw values take about 540 px: they fit the page at a 1024 px window (564 px)
                {"selector": "", "props": "border-collapse:collapse;font:9px monospace;text-align:right"},
                {"selector": "td", "props": "padding:1px 1px 1px 2px;border:0"},
            ]
        )
    )
    return (
        f'<div role="region" aria-label="{html.escape(label)}" tabindex="0" '
        f'style="overflow:auto;max-height:380px">{styler.to_html()}</div>'
    )


def grid_column_width(labels: list[str]) -> int:
    """Pixels a data-grid column needs to show the longest of `labels` whole (the app's 14 px font)."""
    # 7 px a Latin character is wider than the widest short class name draws, a CJK one takes two;
    # 20 px is the cell padding
    return 7 * max(display_units(label) for label in labels) + 20


def display_units(text: str) -> int:
    """The text's width in half-width units: a wide (CJK) character counts two."""
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def confusion_table(matrix: np.ndarray, class_names: list[str] | None = None):
    """The confusion matrix as a pandas Styler: true classes as rows, predicted as columns, shaded."""
    # deferred: pandas loads only when a table is built
    import pandas as pd

    class_names = class_names or CLASS_NAMES
    frame = pd.DataFrame(np.asarray(matrix), index=class_names, columns=class_names)
    frame.index.name = _("true \\ predicted") if class_names is CLASS_NAMES else _("true \\ pred.")
    return frame.style.background_gradient(cmap="Blues", axis=None)
