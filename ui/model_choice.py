"""Models as the pickers name them (with their preset), and the Try page's own model picker."""

from __future__ import annotations

import streamlit as st

from fashion.i18n import _
from fashion.training.models import PHOTO_PRESET, best_model_for_photos, is_photo_model, preset_label
from ui.caches import ACTIVE_MODEL_KEY
from ui.next_steps import next_step

TRY_MODEL_KEY = "try_model"
TRY_CHOSEN_KEY = "try_model_chosen"  # kept across pages, unlike the picker's own widget state
MODEL_QUERY_PARAMETER = "model"


def model_label(entry) -> str:
    """A model's name with its preset, as every list and picker shows it."""
    return f"{entry.name} · {_(preset_label(entry.record))}" if entry.record else entry.name


def labelled_names(entries: list) -> dict[str, str]:
    """{name: label} of store entries, for a picker's format_func."""
    return {entry.name: model_label(entry) for entry in entries}


def _remember_try_choice() -> None:
    """The model picked on the Try page stays the Try page's (and the active) model."""
    st.session_state[TRY_CHOSEN_KEY] = st.session_state[TRY_MODEL_KEY]
    st.session_state[ACTIVE_MODEL_KEY] = st.session_state[TRY_MODEL_KEY]


def try_model_picker(models: list):
    """The Try page's model: from the URL, else picked here before, else the best for photos; says why."""
    entries = {entry.name: entry for entry in models}
    best, best_reason = best_model_for_photos(models)
    wanted = st.query_params.get(MODEL_QUERY_PARAMETER)
    if wanted not in entries:
        wanted = st.session_state.get(TRY_CHOSEN_KEY)
    if st.session_state.get(TRY_MODEL_KEY) not in entries:
        st.session_state[TRY_MODEL_KEY] = wanted if wanted in entries else best.name
    labels = labelled_names(models)
    name = st.selectbox(
        _("Model"), list(entries), format_func=labels.get, key=TRY_MODEL_KEY, on_change=_remember_try_choice
    )
    st.query_params[MODEL_QUERY_PARAMETER] = name
    st.session_state[ACTIVE_MODEL_KEY] = name
    entry = entries[name]
    why = _(best_reason) if name == best.name else _("the model chosen above")
    photo_model_exists = is_photo_model(best.record)
    if name != best.name and photo_model_exists and not is_photo_model(entry.record):
        why += _("; **{name}** is trained for photos and usually does better on them").format(name=best.name)
    st.caption(_("Answered by **{name}**: {why}.").format(name=name, why=why))
    if not photo_model_exists:
        st.info(
            _(
                "For your own photos, train the **{preset}** preset (Train page, architecture Small CNN): "
                "it learns from real photos and photo-like variants of the training images."
            ).format(preset=_(PHOTO_PRESET)),
            icon=":material/photo_camera:",
        )
    return entry


def _ask_model(name: str) -> None:
    """Switch the Try page to another model; the photo stays."""
    st.session_state[TRY_MODEL_KEY] = st.session_state[TRY_CHOSEN_KEY] = name
    st.session_state[ACTIVE_MODEL_KEY] = name


def try_another_model(models: list, current) -> None:
    """The Try page's next step: the same image asked of another model (the photo model first)."""
    others = [entry for entry in models if entry.name != current.name]
    if not others:
        next_step("pages/train.py", _("train a second model, then ask it about this image too"))
        return
    other, _reason = best_model_for_photos(others)
    st.button(
        _("Next: ask {name} ({preset}) about this image").format(
            name=other.name, preset=_(preset_label(other.record))
        ),
        key="try_another_model",
        on_click=_ask_model,
        args=(other.name,),
        icon=":material/arrow_forward:",
        type="tertiary",
    )
