"""Saved models page pieces: checked exports with download buttons, rename, delete with confirmation."""

from __future__ import annotations

import streamlit as st

from fashion.errors import FashionError, ModelNotFoundError
from fashion.i18n import N_, _, format_number, format_percent
from fashion.store import export
from fashion.store import model_store as store
from ui.caches import cached_dataset, data_key, model_identity
from ui.model_pages import say_models_gone

# (format, quantisation, label) of each model download offered
MODEL_EXPORTS = (
    ("keras", "none", "Keras (.keras)"),
    ("tflite", "none", "TFLite"),
    ("tflite", "float16", N_("TFLite, float16")),
    ("tflite", "dynamic", N_("TFLite, dynamic")),
    ("savedmodel", "none", "SavedModel (zip)"),
)


@st.cache_data(show_spinner=False, max_entries=10)
def checked_export(identity: tuple, export_format: str, quantization: str, source: str):
    """An export of a saved model, checked against the Keras model on the first 1,000 test images."""
    return export.export_model(identity[0], export_format, cached_dataset(source).test_images, quantization)


def keep_selected_model(names: list[str], wanted: str | None) -> None:
    """Select the model just renamed, else the one chosen before, else wanted, else the newest."""
    if st.session_state.get("models_next") in names:
        st.session_state["models_selected"] = st.session_state.pop("models_next")
    selected = st.session_state.get("models_selected")
    if selected in names:
        return
    gone = selected or wanted
    st.session_state["models_selected"] = wanted if wanted in names else names[0]
    # A model deleted on this page was announced already; one gone elsewhere is said every time
    if gone and gone not in names and gone != st.session_state.pop("models_deleted_here", None):
        say_models_gone([gone], _("showing **{name}**").format(name=st.session_state["models_selected"]))


def show_exports(entry) -> None:
    """History CSV and record JSON at once; the model formats after a check the user starts."""
    name = entry.name
    try:
        history, record = [export.export_model(name, export_format) for export_format in ("csv", "json")]
    except ModelNotFoundError:
        say_models_gone([name], _("choose another model above"))
        return
    except FashionError as error:
        st.error(str(error))
        return
    csv_column, json_column = st.columns(2)
    for column, result, label in (
        (csv_column, history, _("History (CSV)")),
        (json_column, record, _("Record (JSON)")),
    ):
        column.download_button(
            _("Download: {what}").format(what=label),
            result.data,
            file_name=result.file_name,
            mime=result.mime_type,
            key=f"models_download_{result.format}",
            icon=":material/download:",
        )
    checked_key = f"models_exports_checked_{name}"
    if not st.session_state.get(checked_key):
        st.caption(
            _(
                "Each model format is converted, then checked: "
                "its predictions on the first 1,000 test images "
                "must agree with the Keras model's on at least 99.5 % (99 % when quantised)."
            )
        )
        if st.button(
            _("Convert and check the model formats"), key="models_prepare_exports", icon=":material/build:"
        ):
            st.session_state[checked_key] = True
            st.rerun()
        return
    identity, source = model_identity(entry), data_key()
    columns = st.columns(len(MODEL_EXPORTS))
    for column, (export_format, quantization, label) in zip(columns, MODEL_EXPORTS, strict=True):
        with column:
            try:
                with st.spinner(_("Converting to {format}…").format(format=_(label))):
                    result = checked_export(identity, export_format, quantization, source)
            except FashionError as error:
                st.error(str(error))
                continue
            st.download_button(
                _(label),
                result.data,
                file_name=result.file_name,
                mime=result.mime_type,
                key=f"models_download_{export_format}_{quantization}",
                icon=":material/download:",
            )
            st.caption(
                _("{size} KiB · agrees on {agreement} of {count} test images · {seconds} s").format(
                    size=format_number(result.size_bytes / 1024, decimals=0),
                    agreement=format_percent(result.agreement, decimals=1),
                    count=format_number(result.checked_images),
                    seconds=format_number(result.seconds, decimals=1),
                )
            )


def show_rename_and_delete(entry) -> None:
    """Rename the model, or delete it after a confirmation."""
    rename_column, delete_column = st.columns(2)
    with rename_column.form("models_rename_form", border=False):
        new_name = st.text_input(_("New name"), value=entry.name, key=f"models_new_name_{entry.name}")
        if st.form_submit_button(_("Rename"), icon=":material/edit:"):
            try:
                renamed = store.rename_model(entry.name, new_name)
            except FashionError as error:
                st.error(str(error))
            else:
                st.session_state["models_next"] = renamed.name
                st.session_state["models_notice"] = (
                    _("{name} already has that name.").format(name=entry.name)
                    if renamed.name == entry.name
                    else _("Renamed {old} to {new}.").format(old=entry.name, new=renamed.name)
                )
                st.rerun()
    confirming = st.session_state.get("models_confirm_delete") == entry.name
    if not confirming:
        if delete_column.button(_("Delete…"), key="models_delete", icon=":material/delete:"):
            st.session_state["models_confirm_delete"] = entry.name
            st.rerun()
        return
    delete_column.warning(_("Delete **{name}** for good? This cannot be undone.").format(name=entry.name))
    yes_column, no_column = delete_column.columns(2)
    if yes_column.button(
        _("Yes, delete {name}").format(name=entry.name), key="models_delete_confirm", type="primary"
    ):
        st.session_state.pop("models_confirm_delete", None)
        try:
            store.delete_model(entry.name)
        except FashionError as error:
            st.error(str(error))
        else:
            st.session_state["models_notice"] = _("Deleted {name}.").format(name=entry.name)
            st.session_state["models_deleted_here"] = entry.name
            st.rerun()
    if no_column.button(_("Cancel"), key="models_delete_cancel"):
        st.session_state.pop("models_confirm_delete", None)
        st.rerun()
