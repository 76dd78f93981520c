"""Display helpers: pixel values as a shaded HTML table, the confusion matrix as a shaded table."""

from __future__ import annotations

import html

import numpy as np


def pixel_table_html(values: np.ndarray, number_format: str = "{:d}") -> str:
    """A 2-D array as an HTML table whose cells are shaded like the pixels (white 0, black at the maximum)."""
    values = np.asarray(values)
    top = 1.0 if values.dtype.kind == "f" else 255.0
    rows = []
    for row in values:
        cells = []
        for value in row:
            darkness = min(1.0, max(0.0, float(value) / top))
            level = round(255 * (1.0 - darkness))
            text_colour = "#fff" if darkness > 0.5 else "#000"
            shown = number_format.format(value.item())
            cells.append(
                f'<td style="background:rgb({level},{level},{level});color:{text_colour}">'
                f"{html.escape(shown)}</td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div style="overflow:auto;max-height:340px">'
        '<table style="border-collapse:collapse;font:10px monospace;text-align:right">'
        "<style>td{padding:1px 3px;border:0}</style>"
        + "".join(rows)
        + "</table></div>"
    )


def confusion_table(matrix: np.ndarray):
    """The confusion matrix as a pandas Styler: true classes as rows, predicted as columns, shaded."""
    import pandas as pd

    from fashion.data import CLASS_NAMES

    frame = pd.DataFrame(np.asarray(matrix), index=CLASS_NAMES, columns=CLASS_NAMES)
    frame.index.name = "true \\ predicted"
    return frame.style.background_gradient(cmap="Blues", axis=None)
