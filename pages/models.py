"""Saved models: every model's record, downloads of checked exports, continue, share, rename, delete."""

import pandas as pd
import streamlit as st

from fashion.data.real_photos import trained_on_sentence
from fashion.i18n import _
from fashion.store import model_store as store
from fashion.training.models import preset_label, trained_settings, training_summary
from fashion.training.recipes import recipe_of_record
from ui import model_choice, model_code_view, model_management, model_pages, next_steps

MODEL_QUERY_PARAMETER = "saved"

dataset, models = model_pages.start_model_page(_("Saved models"), "models")
notice = st.session_state.pop("models_notice", None)
if notice:
    st.success(notice)

# Every entry of the store, unreadable ones included so that they can be deleted
entries = {entry.name: entry for entry in store.list_entries()}
st.caption(
    _(
        "One row per saved model: its preset, accuracy and how it was trained. "
        "On a narrow window, scroll the table sideways for the later columns "
        "(continued from, created, problem)."
    )
)
st.dataframe(
    pd.DataFrame(
        [
            {
                _("name"): entry.name,
                _("preset"): _(preset_label(entry.record)) if entry.record else None,
                _("test accuracy"): (entry.record or {}).get("test_accuracy"),
                _("architecture"): (entry.record or {}).get("architecture"),
                _("augmentation"): _(trained_settings(entry.record).augmentation) if entry.record else None,
                _("training images"): (entry.record or {}).get("train_count"),
                _("epochs"): (entry.record or {}).get("epochs_run"),
                _("continued from"): (entry.record or {}).get("parent"),
                _("trained on"): trained_on_sentence((entry.record or {}).get("trained_on")),
                _("created"): (entry.record or {}).get("created"),
                _("problem"): entry.error,
            }
            for entry in entries.values()
        ]
    ).set_index(_("name")),
    width="stretch",
    column_config={_("test accuracy"): st.column_config.NumberColumn(format="percent")},
)

# The model to work on: just renamed, else the one chosen before, else from the URL, else the newest
model_management.keep_selected_model(list(entries), st.query_params.get(MODEL_QUERY_PARAMETER))
labels = model_choice.labelled_names(list(entries.values()))
name = st.selectbox(_("Model"), list(entries), format_func=labels.get, key="models_selected")
st.query_params[MODEL_QUERY_PARAMETER] = name
entry = entries[name]
if entry.record:
    st.caption(
        _("How {name} was trained: {summary}.").format(name=name, summary=training_summary(entry.record))
    )

if entry.readable:
    st.caption(
        _("{name} was trained on {what}.").format(
            name=name, what=trained_on_sentence(entry.record.get("trained_on"))
        )
    )
    st.page_link(
        "pages/train.py",
        label=_("Continue training {name}").format(name=name),
        query_params={"from": name},
        icon=":material/replay:",
    )
    st.page_link(
        "pages/train.py",
        label=_("Open its recipe on the Train page"),
        query_params=recipe_of_record(entry.record),
        icon=":material/link:",
    )
    next_steps.next_step(
        "pages/predictions.py", _("see the predictions of {name}").format(name=name), {"model": name}
    )
    st.header(_("Download"))
    model_management.show_exports(entry)
    model_code_view.show_model_code(entry, "models")
else:
    st.error(_("{name} is unreadable: {error}. It can only be deleted.").format(name=name, error=entry.error))
st.header(_("Rename or delete"))
model_management.show_rename_and_delete(entry)
