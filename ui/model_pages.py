"""The start shared by pages that need a saved model, and the "no model yet" panel with one-click training."""

from __future__ import annotations

import streamlit as st

from fashion.i18n import _
from fashion.store.model_store import default_name
from fashion.training.models import RECOMMENDED_PRESET, presets
from ui.caches import MODEL_GONE_REASON, dataset_or_error, saved_models
from ui.job_session import current_job_id, own_job, start_training_job
from ui.startup import run_through_entry
from ui.training_view import show_job


def start_model_page(title: str, page_name: str) -> tuple:
    """Title a page that needs the data set and a saved model; (dataset, models), else stop saying why."""
    run_through_entry()
    st.title(title)
    dataset = dataset_or_error()
    models = saved_models()
    if dataset is None:
        st.stop()
    if not models:
        no_model_panel(page_name)
        st.stop()
    return dataset, models


def no_model_panel(page_name: str) -> None:
    """Say that no model exists yet and offer one click to train the tutorial model."""
    dataset = dataset_or_error()
    st.info(
        _(
            "No model has been trained yet. Train the tutorial's network with the recommended settings "
            "(about 15 seconds on two CPU cores):"
        )
    )
    job_id = current_job_id()
    busy = own_job() is not None
    clicked = st.button(
        _("Train the tutorial model"), key=f"{page_name}_train_tutorial", type="primary", disabled=busy
    )
    if clicked and dataset is not None:
        name = default_name("tutorial", RECOMMENDED_PRESET)
        start_training_job("tutorial", presets("tutorial")[RECOMMENDED_PRESET], dataset, name)
    if job_id:
        show_job(job_id)


def say_models_gone(names: list[str], instead: str = "") -> None:
    """Say which models are no longer in the store (renamed or deleted, perhaps in another session)."""
    if not names:
        return
    listed = _(", ").join(f"**{name}**" for name in names)
    message = _("No longer in the store ({reason}): {names}").format(
        reason=_(MODEL_GONE_REASON), names=listed
    )
    st.info(
        message + (_("; {instead}.").format(instead=instead) if instead else _(".")),
        icon=":material/info:",
    )
