"""Predictions: how a saved model does on the test set, a filtered gallery and a browser of its mistakes."""

import pandas as pd
import streamlit as st

from fashion.data.fashion_mnist import CLASS_NAMES, SHORT_CLASS_NAMES
from fashion.errors import FashionError
from fashion.figures import descriptions
from fashion.figures.tables import confusion_table
from fashion.training import evaluation
from fashion.training.models import training_summary
from ui import caches, explanations, gallery, model_choice, model_pages, next_steps

FILTERS = ["All", "Only wrong", "By true class", "By predicted class", "One confusion cell"]
ORDERS = {"index": "By index", "confidence": "Most confidently wrong first"}

dataset, models = model_pages.start_model_page("Predictions", "predictions")


def restart_browser() -> None:
    """Go back to the first mistake (after the model or the order changed)."""
    st.session_state["predictions_wrong"] = 1
    st.session_state[caches.ACTIVE_MODEL_KEY] = st.session_state["predictions_model"]


def move_browser(step: int) -> None:
    """Show the previous (-1) or next (+1) mistake."""
    st.session_state["predictions_wrong"] += step


# The model: from the URL, else the one chosen before, else the newest
names = [entry.name for entry in models]
gallery.restore_predictions_state(names, list(ORDERS))
name = st.selectbox(
    "Model",
    names,
    format_func=model_choice.labelled_names(models).get,
    key="predictions_model",
    on_change=restart_browser,
)
st.session_state[caches.ACTIVE_MODEL_KEY] = name
st.query_params["model"] = name
entry = models[names.index(name)]
identity = caches.model_identity(entry)
source = caches.data_key()
try:
    probabilities = caches.test_probabilities(*identity, source)
except FashionError as error:
    st.error(str(error))
    st.stop()
labels = dataset.test_labels
summary = evaluation.summarize(probabilities, labels)

# Accuracy overall, per class and the confusion matrix
accuracy_column, loss_column, wrong_column, architecture_column = st.columns(4)
accuracy_column.metric("Test accuracy", f"{summary.accuracy:.2%}")
loss_column.metric("Test loss", f"{summary.loss:.4f}")
wrong_column.metric(f"Wrong (of {len(labels):,})", f"{int((summary.predicted_labels != labels).sum()):,}")
architecture_column.metric("Architecture", str((entry.record or {}).get("architecture", "?")))
st.caption(f"How {name} was trained: {training_summary(entry.record)}.")
per_class_column, matrix_column = st.columns([2, 3])
with per_class_column:
    st.subheader("Accuracy per class")
    st.bar_chart(
        pd.DataFrame({"class": CLASS_NAMES, "accuracy": summary.per_class_accuracy}),
        x="class",
        y="accuracy",
        horizontal=True,
        sort=False,
        height=380,
    )
    st.caption(descriptions.per_class_accuracy_description(summary.per_class_accuracy))


def open_confusion_cell() -> None:
    """Show the images of the confusion-matrix cell just clicked."""
    cells_chosen = st.session_state["predictions_matrix_table"]["selection"]["cells"]
    if cells_chosen:
        row, column = cells_chosen[0]
        st.session_state["predictions_filter"] = "One confusion cell"
        st.session_state["predictions_cell_true"] = CLASS_NAMES[int(row)]
        st.session_state["predictions_cell_predicted"] = CLASS_NAMES[SHORT_CLASS_NAMES.index(column)]
        st.session_state["predictions_page"] = 1


# The clickable table under both, the page's full width, short names: all 10 columns show at 1024 px
st.subheader("Confusion table")
st.caption(
    "Rows: the true class; columns: the predicted class, T-shirt to Boot (if the last columns are cut off, "
    "scroll the table sideways). Click a cell to show its images in the gallery below."
)
st.dataframe(
    confusion_table(summary.confusion_matrix, SHORT_CLASS_NAMES),
    key="predictions_matrix_table",
    on_select=open_confusion_cell,
    selection_mode="single-cell",
    width="content",
    # 72 + 10 x 48 pixels: narrower than the page at a 1024 px window (about 560 px)
    column_config={
        "_index": st.column_config.Column(width=72),
        **{name: st.column_config.NumberColumn(width=48) for name in SHORT_CLASS_NAMES},
    },
)


# The gallery: image + bar chart pairs, filtered and paged
st.header("Gallery")
filter_name = st.radio("Show", FILTERS, horizontal=True, key="predictions_filter")
true_class = predicted_class = highlight = None
cells = evaluation.confusion_cells(summary.confusion_matrix)
if filter_name == "By true class":
    true_class = CLASS_NAMES.index(st.selectbox("True class", CLASS_NAMES, key="predictions_true_class"))
elif filter_name == "By predicted class":
    predicted_class = CLASS_NAMES.index(
        st.selectbox("Predicted class", CLASS_NAMES, key="predictions_predicted_class")
    )
elif filter_name == "One confusion cell":
    first_cell = cells[0] if cells else (0, 0, 0)
    st.session_state.setdefault("predictions_cell_true", CLASS_NAMES[first_cell[0]])
    st.session_state.setdefault("predictions_cell_predicted", CLASS_NAMES[first_cell[1]])
    true_cell_column, predicted_cell_column = st.columns(2)
    true_class = CLASS_NAMES.index(
        true_cell_column.selectbox("True class", CLASS_NAMES, key="predictions_cell_true")
    )
    predicted_class = CLASS_NAMES.index(
        predicted_cell_column.selectbox("Predicted as", CLASS_NAMES, key="predictions_cell_predicted")
    )
    highlight = (true_class, predicted_class)
    st.caption(
        "Most frequent mistakes: "
        + "; ".join(f"{CLASS_NAMES[t]} as {CLASS_NAMES[p]} ({n})" for t, p, n in cells[:4])
    )
with matrix_column:
    st.subheader("Confusion matrix")
    st.image(
        gallery.prediction_png(identity, source, "matrix", (), highlight),
        alt=descriptions.confusion_matrix_description(summary.confusion_matrix, highlight),
    )
    st.caption("The clickable confusion table is below, above the gallery.")
indices = evaluation.filter_indices(
    probabilities,
    labels,
    only_wrong=filter_name == "Only wrong",
    true_class=true_class,
    predicted_class=predicted_class,
)
per_page = gallery.GALLERY_ROWS * gallery.GALLERY_COLUMNS
pages = evaluation.page_count(len(indices), per_page)
if st.session_state.get("predictions_page", 1) > pages:
    st.session_state["predictions_page"] = 1
page_number = st.number_input(f"Page (of {pages:,})", 1, pages, step=1, key="predictions_page")
shown = evaluation.page_slice(indices, page_number, per_page)
st.markdown(
    f"**{len(indices):,} test images** match; showing {len(shown)} on page {page_number:,} of {pages:,}."
)
if len(shown):
    st.image(
        gallery.prediction_png(identity, source, "grid", tuple(int(index) for index in shown)),
        alt=descriptions.prediction_grid_description(shown, probabilities[shown], labels[shown]),
    )
    st.expander("The captions as text").markdown(gallery.captions_markdown(probabilities, labels, shown))
    gallery.show_image_view(identity, source, shown, probabilities, labels)

# The misclassification browser: one wrong image at a time
st.header("Mistakes, one at a time")
order = st.radio(
    "Order",
    list(ORDERS),
    format_func=ORDERS.get,
    horizontal=True,
    key="predictions_order",
    on_change=restart_browser,
)
wrong = evaluation.misclassified_indices(probabilities, labels, order)
if len(wrong) == 0:
    st.success("The model classifies every test image correctly.")
else:
    position = min(max(1, st.session_state["predictions_wrong"]), len(wrong))
    st.session_state["predictions_wrong"] = position
    previous_column, position_column, next_column = st.columns([1, 2, 1], vertical_alignment="center")
    previous_column.button(
        "Previous",
        key="predictions_previous",
        on_click=move_browser,
        args=(-1,),
        disabled=position <= 1,
        icon=":material/arrow_back:",
    )
    position_column.markdown(f"{position:,} of {len(wrong):,}", text_alignment="center")
    next_column.button(
        "Next",
        key="predictions_next",
        on_click=move_browser,
        args=(1,),
        disabled=position >= len(wrong),
        icon=":material/arrow_forward:",
    )
    index = int(wrong[position - 1])
    st.image(
        gallery.prediction_png(identity, source, "pair", (index,)),
        width=720,
        alt=descriptions.prediction_pair_description(index, probabilities[index], int(labels[index])),
    )
    st.caption(
        f"Test image #{index}: {descriptions.with_article(CLASS_NAMES[labels[index]])} the model took "
        f"for {descriptions.with_article(CLASS_NAMES[probabilities[index].argmax()])}."
    )
    why = st.toggle(
        "Why?", key="predictions_why", bind="query-params", help="Saliency and the nearest training images"
    )
    if why:
        explanations.show_test_explanation(identity, source, index)
        where = {"model": name, "point": str(index)}
        next_steps.next_step("pages/map.py", "see where it lies among the test images on the Map", where)
    else:
        st.caption("Next: switch on **Why?** above to see what the model looked at and what it recalls.")
    st.query_params.update({"wrong": str(position), "order": order})

# "Why?" needs the training images' features: start them now, while the user reads the page
explanations.neighbour_build(identity, source)
