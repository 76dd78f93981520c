"""The Train page's "continue a saved model" form: more epochs of a model with its own settings."""

from __future__ import annotations

import streamlit as st

from fashion.errors import FashionError
from fashion.i18n import _
from fashion.store import model_store as store
from fashion.training.models import MORE_EPOCHS, architecture_word
from fashion.training.run import continued_hyper_parameters
from ui.caches import saved_models
from ui.job_session import start_training_job

FROM_QUERY_PARAMETER = "from"


def show_continue_form(dataset, disabled: bool = False) -> None:
    """Choose a saved model (?from=NAME preselects it), how many more epochs and a name; then start."""
    models = saved_models()
    wanted = st.query_params.get(FROM_QUERY_PARAMETER)
    with st.expander(_("Continue training a saved model"), expanded=bool(wanted), icon=":material/replay:"):
        if not models:
            st.caption(_("No saved model yet."))
            return
        names = [entry.name for entry in models]
        if st.session_state.get("train_continue_model") not in names:
            st.session_state["train_continue_model"] = wanted if wanted in names else names[0]
        name = st.selectbox(_("Saved model"), names, key="train_continue_model")
        record = models[names.index(name)].record
        parameters = record.get("hyper_parameters", {})
        schedule = parameters.get("schedule")
        restart = (
            _("a cosine schedule starts again over the new epochs") if schedule == "cosine" else _(schedule)
        )
        st.caption(
            _(
                "{architecture}, {epochs} epochs so far, batch {batch_size}, "
                "learning rate {rate} ({restart}); "
                "the optimizer's state is restored from the saved file."
            ).format(
                architecture=architecture_word(record),
                epochs=len(record.get("history", [])),
                batch_size=parameters.get("batch_size"),
                rate=parameters.get("learning_rate"),
                restart=restart,
            )
        )
        epochs_column, name_column = st.columns(2)
        more_epochs = epochs_column.number_input(
            _("More epochs"), *MORE_EPOCHS.range, value=1, step=1, key="train_continue_epochs"
        )
        new_name = name_column.text_input(
            _("Name of the continued model (optional)"), key="train_continue_name", placeholder=f"{name}-more"
        )
        if st.button(
            _("Continue training"), key="train_continue_start", icon=":material/replay:", disabled=disabled
        ):
            try:
                hyper_parameters = continued_hyper_parameters(record, int(more_epochs))
                clean_name = store.sanitize_name(new_name or f"{name}-more")
            except FashionError as error:
                st.error(str(error))
                return
            start_training_job(
                record.get("architecture", ""), hyper_parameters, dataset, clean_name, parent=name
            )
