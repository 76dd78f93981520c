"""A visible keyboard focus everywhere, and readable text on Streamlit's own header and chosen options."""

from __future__ import annotations

import streamlit as st

# The main area (focusable so the keyboard can scroll it), canvases (charts, the data grid) and
# hand-made scroll regions show no focus of their own; the sidebar's links and the buttons only a
# faint shade or ring, so they get a clear outline too. One blue that keeps 3:1 on both themes'
# backgrounds (4.8:1 on white, 3.9:1 on the dark theme's #0e1117).
FOCUS_STYLE = """<style>
[data-testid="stMain"]:focus-visible, canvas:focus-visible, [role="region"][tabindex]:focus-visible {
    outline: 2px solid #2f6fd6 !important;
    outline-offset: -2px;
}
a:focus-visible, button:focus-visible, summary:focus-visible, [role="tab"]:focus-visible {
    outline: 2px solid #2f6fd6 !important;
    outline-offset: 2px !important;
}
[data-testid="stBaseButton-header"] {
    color: inherit !important;
}
[data-testid="stButtonGroup"] button[data-selected="true"],
[data-testid="stButtonGroup"] button[data-selected="true"] * {
    color: inherit !important;
    font-weight: 600;
}
.StatusWidget-appear, .StatusWidget-appear-active, .StatusWidget-enter, .StatusWidget-enter-active,
.StatusWidget-exit, .StatusWidget-exit-active {
    opacity: 1 !important;
    transition: none !important;
}
</style>"""
# The header rules: the Stop button, shown while a page runs, is drawn in Streamlit's faded grey
# (#898b8e, 3.4:1 on white; axe-core found it during a training); it takes the header's text colour.
# It also fades in and out over 200 ms at each run, and a page that reruns every second (a live job)
# spends part of each second faded (axe-core caught #a4a5a7 on white once): it shows and goes at once.
# A segmented control's chosen option (the sidebar's language switch) is written in the primary blue,
# 2.95:1 on the dark theme's sidebar: it takes the text colour, and its border and weight mark it.


def show_focus_outline() -> None:
    """Add the focus outline and header text styles to the page (draws nothing)."""
    st.html(FOCUS_STYLE)
