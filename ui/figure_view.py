"""A core figure in the page: a matplotlib Figure drawn as a PNG image, for any page or helper."""

from __future__ import annotations

import streamlit as st

from fashion.figures.plots import figure_to_png


def show_figure(figure, **image_options) -> None:
    """Draw a matplotlib Figure as a PNG image."""
    st.image(figure_to_png(figure), **image_options)
