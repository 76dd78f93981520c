"""Watching a model learn on the Train page: the probe images' guesses and the first layer, per epoch."""

from __future__ import annotations

import streamlit as st

from fashion.figures import descriptions
from fashion.i18n import _, current_language
from fashion.training import learning
from fashion.training import learning as learning_module


@st.cache_data(show_spinner=False, max_entries=64)
def learning_png(probes: dict, snapshot: dict, language: str = "en") -> bytes:
    """One epoch's probe images and first layer as PNG bytes."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.explain import explanation_plots
    from fashion.figures import plots

    probabilities, first_layer = learning.decode_snapshot(snapshot, len(probes["indices"]))
    figure = explanation_plots.learning_figure(
        learning.probe_images(probes), probes["labels"], probabilities, first_layer, snapshot["epoch"]
    )
    return plots.figure_to_png(figure, dpi=72)


def show_learning(learning: dict | None, slider_key: str | None = None) -> None:
    """The latest epoch (live, no slider) or any epoch chosen with a slider (after the run)."""
    snapshots = (learning or {}).get("snapshots") or []
    st.subheader(_("Watch it learn"))
    if not snapshots:
        st.caption(_("The probe images' guesses and the first layer appear at the end of each epoch."))
        return
    chosen = snapshots[-1]
    if slider_key is not None and len(snapshots) > 1:
        epochs = [snapshot["epoch"] for snapshot in snapshots]
        epoch = st.select_slider(_("Epoch"), epochs, value=epochs[-1], key=slider_key)
        chosen = snapshots[epochs.index(epoch)]
    probes = learning["probes"]
    probabilities, _first_layer = learning_module.decode_snapshot(chosen, len(probes["indices"]))
    st.image(
        learning_png(probes, chosen, current_language()),
        width="stretch",
        alt=descriptions.learning_description(chosen["epoch"], probabilities, probes["labels"]),
    )
