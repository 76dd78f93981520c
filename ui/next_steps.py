"""The way in and the way on: "Start here" on the first page and a next-step link after each main action."""

from __future__ import annotations

import streamlit as st

from fashion.i18n import N_, _

NEXT_ICON = ":material/arrow_forward:"
STEPS = (
    ("pages/explore.py", N_("1. Look at the data (this page, below)"), ":material/grid_view:"),
    ("pages/train.py", N_("2. Train a model (about 15 seconds)"), ":material/model_training:"),
    ("pages/predictions.py", N_("3. See what it gets right and wrong, and why"), ":material/fact_check:"),
)


def start_here() -> None:
    """What the app is and the three things to do, in order, with a link to each."""
    with st.container(border=True, key="start_here"):
        st.markdown(
            _(
                "**Start here.** Fashion-MNIST Studio follows TensorFlow's tutorial *Classify images of "
                "clothing*: a small neural network learns to tell ten kinds of clothing apart "
                "from 28x28 grey pictures. Three steps, in order:"
            )
        )
        for page, label, icon in STEPS:
            st.page_link(page, label=_(label), icon=icon)
        st.caption(_("Then try it on a photo of your own clothes: the last page, Try your own image."))


def next_step(page: str, label: str, query_params: dict | None = None) -> None:
    """A link to what to do next, said as "Next: ..."."""
    st.page_link(page, label=_("Next: {step}").format(step=label), icon=NEXT_ICON, query_params=query_params)
