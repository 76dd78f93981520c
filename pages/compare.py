"""Compare: 2-4 saved models side by side, their curves, what differs, and where they disagree."""

import pandas as pd
import streamlit as st

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.errors import FashionError
from fashion.figures import descriptions
from fashion.i18n import _, current_language, format_number
from fashion.store import comparison
from fashion.training import evaluation
from ui import caches, model_choice, model_pages, next_steps
from ui import comparison as compare_view

dataset, models = model_pages.start_model_page(_("Compare models"), "compare")
entries = {entry.name: entry for entry in models}

# The models: chosen before and still saved, else from the URL, else the newest two
compare_view.keep_saved_choices(list(entries))
if len(entries) < 2:
    st.info(_("Comparing needs at least two saved models; train another one on the Train page."))
    st.stop()
chosen = st.multiselect(
    _("Models to compare (2 to 4)"),
    list(entries),
    format_func=model_choice.labelled_names(models).get,
    key="compare_models",
    max_selections=comparison.MAX_MODELS,
)
try:
    comparison.check_model_count(chosen)
except FashionError as error:
    st.warning(str(error))
    st.stop()
st.query_params[compare_view.MODELS_QUERY_PARAMETER] = ",".join(chosen)
records = {name: entries[name].record for name in chosen}
source = caches.data_key()
labels = dataset.test_labels
try:
    with caches.predicting_spinner():
        probabilities = {
            name: caches.test_probabilities(*caches.model_identity(entries[name]), source) for name in chosen
        }
except FashionError as error:
    st.error(str(error))
    st.stop()

# Curves overlaid by epoch
st.header(_("Training curves"))
histories = tuple((name, compare_view.history_rows(records[name])) for name in chosen)
st.image(
    compare_view.curves_png(histories, current_language()),
    caption=_("Solid: training; dashed: validation"),
    width="stretch",
    alt=descriptions.comparison_curves_description(
        {name: [dict(row) for row in rows] for name, rows in histories}
    ),
)

# Only the settings that differ
st.header(_("Settings that differ"))
differing = comparison.differing_settings(records)
if differing:
    st.dataframe(
        pd.DataFrame(
            {name: {_(label): _(str(values[name])) for label, values in differing.items()} for name in chosen}
        ),
        width="stretch",
    )
else:
    st.caption(_("The chosen models were trained with the same settings."))

# Test accuracy, overall and per class, with deltas from the first model
st.header(_("Test accuracy"))
summaries = {name: evaluation.summarize(probabilities[name], labels) for name in chosen}
table = pd.DataFrame(
    comparison.accuracy_table({name: (s.accuracy, s.per_class_accuracy) for name, s in summaries.items()})
).set_index("")
delta_columns = [column for column in table.columns if "−" in column]
st.dataframe(
    table.style.format("{:.2%}", subset=chosen).format("{:+.2%}", subset=delta_columns),
    width="stretch",
    height=420,
)

# Where two of them disagree
st.header(_("Where they disagree"))
first_column, second_column, class_column = st.columns(3)
first = first_column.selectbox(_("Model A"), chosen, key="compare_first")
second = second_column.selectbox(
    _("Model B"), [name for name in chosen if name != first], key="compare_second"
)
class_filter = class_column.selectbox(
    _("True class"), ["All classes", *CLASS_NAMES], format_func=_, key="compare_class"
)
true_class = None if class_filter == "All classes" else CLASS_NAMES.index(class_filter)
only_first_right, only_second_right = comparison.disagreements(
    probabilities[first], probabilities[second], labels, true_class
)
counts = (len(only_first_right), len(only_second_right))
direction = st.radio(
    _("Show"),
    [0, 1],
    format_func=lambda side: (
        _("{right} right, {wrong} wrong ({count})").format(
            right=first, wrong=second, count=format_number(counts[0])
        )
        if side == 0
        else _("{right} right, {wrong} wrong ({count})").format(
            right=second, wrong=first, count=format_number(counts[1])
        )
    ),
    horizontal=True,
    key="compare_direction",
)
if direction == 0:
    compare_view.show_disagreements(entries[first], entries[second], only_first_right, source, labels)
else:
    compare_view.show_disagreements(entries[second], entries[first], only_second_right, source, labels)
best = max(chosen, key=lambda name: summaries[name].accuracy)
next_steps.next_step(
    "pages/try_image.py",
    _("try a photo of your own on {name}, the most accurate").format(name=best),
    {"model": best},
)
