"""Predictions: how a saved model does on the test set, a filtered gallery and a browser of its mistakes."""

import pandas as pd
import streamlit as st

from fashion.data.fashion_mnist import CLASS_NAMES, SHORT_CLASS_NAMES
from fashion.errors import FashionError
from fashion.figures import descriptions
from fashion.figures.tables import confusion_table, grid_column_width
from fashion.i18n import N_, _, current_language, format_number, format_percent
from fashion.training import evaluation
from fashion.training.models import training_summary
from ui import caches, explanations, gallery, model_choice, model_pages, next_steps

FILTERS = [
    N_("All"),
    N_("Only wrong"),
    N_("By true class"),
    N_("By predicted class"),
    N_("One confusion cell"),
]
ORDERS = {"index": N_("By index"), "confidence": N_("Most confidently wrong first")}

dataset, models = model_pages.start_model_page(_("Predictions"), "predictions")


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
    _("Model"),
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
    with caches.predicting_spinner():
        probabilities = caches.test_probabilities(*identity, source)
except FashionError as error:
    st.error(str(error))
    st.stop()
labels = dataset.test_labels
summary = evaluation.summarize(probabilities, labels)

# Accuracy overall, per class and the confusion matrix
accuracy_column, loss_column, wrong_column, architecture_column = st.columns(4)
accuracy_column.metric(_("Test accuracy"), format_percent(summary.accuracy))
loss_column.metric(_("Test loss"), format_number(summary.loss, decimals=4))
wrong_column.metric(
    _("Wrong (of {count})").format(count=format_number(len(labels))),
    format_number(int((summary.predicted_labels != labels).sum())),
)
architecture_column.metric(_("Architecture"), str((entry.record or {}).get("architecture", "?")))
st.caption(_("How {name} was trained: {summary}.").format(name=name, summary=training_summary(entry.record)))
per_class_column, matrix_column = st.columns([2, 3])
with per_class_column:
    st.subheader(_("Accuracy per class"))
    st.bar_chart(
        pd.DataFrame(
            {_("class"): [_(name) for name in CLASS_NAMES], _("accuracy"): summary.per_class_accuracy}
        ),
        x=_("class"),
        y=_("accuracy"),
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
        st.session_state["predictions_cell_predicted"] = CLASS_NAMES[short_names.index(column)]
        st.session_state["predictions_page"] = 1


short_names = [_(short) for short in SHORT_CLASS_NAMES]
# The clickable table under both, with the short class names
st.subheader(_("Confusion table"))
st.caption(
    _(
        "Rows: the true class; columns: the predicted class, T-shirt to Boot "
        "(if the last columns are cut off, scroll the table sideways). "
        "Click a cell to show its images in the gallery below."
    )
)
matrix_table = confusion_table(summary.confusion_matrix, short_names)
st.dataframe(
    matrix_table,
    key="predictions_matrix_table",
    on_select=open_confusion_cell,
    selection_mode="single-cell",
    width="content",
    # Each column as wide as its name: the whole table shows at 1400 px, and scrolls sideways at 1024 px
    column_config={
        "_index": st.column_config.Column(
            width=grid_column_width([matrix_table.data.index.name, *short_names])
        ),
        **{short: st.column_config.NumberColumn(width=grid_column_width([short])) for short in short_names},
    },
)


# The gallery: image + bar chart pairs, filtered and paged
st.header(_("Gallery"))
filter_name = st.radio(_("Show"), FILTERS, format_func=_, horizontal=True, key="predictions_filter")
true_class = predicted_class = highlight = None
cells = evaluation.confusion_cells(summary.confusion_matrix)
if filter_name == "By true class":
    true_class = CLASS_NAMES.index(
        st.selectbox(_("True class"), CLASS_NAMES, format_func=_, key="predictions_true_class")
    )
elif filter_name == "By predicted class":
    predicted_class = CLASS_NAMES.index(
        st.selectbox(_("Predicted class"), CLASS_NAMES, format_func=_, key="predictions_predicted_class")
    )
elif filter_name == "One confusion cell":
    first_cell = cells[0] if cells else (0, 0, 0)
    st.session_state.setdefault("predictions_cell_true", CLASS_NAMES[first_cell[0]])
    st.session_state.setdefault("predictions_cell_predicted", CLASS_NAMES[first_cell[1]])
    true_cell_column, predicted_cell_column = st.columns(2)
    true_class = CLASS_NAMES.index(
        true_cell_column.selectbox(_("True class"), CLASS_NAMES, format_func=_, key="predictions_cell_true")
    )
    predicted_class = CLASS_NAMES.index(
        predicted_cell_column.selectbox(
            _("Predicted as"), CLASS_NAMES, format_func=_, key="predictions_cell_predicted"
        )
    )
    highlight = (true_class, predicted_class)
    st.caption(
        _("Most frequent mistakes: {mistakes}").format(
            mistakes=_("; ").join(
                _("{true} as {predicted} ({count})").format(
                    true=_(CLASS_NAMES[t]), predicted=_(CLASS_NAMES[p]), count=n
                )
                for t, p, n in cells[:4]
            )
        )
    )
with matrix_column:
    st.subheader(_("Confusion matrix"))
    st.image(
        gallery.prediction_png(identity, source, "matrix", (), highlight, language=current_language()),
        alt=descriptions.confusion_matrix_description(summary.confusion_matrix, highlight),
    )
    st.caption(_("The clickable confusion table is below, above the gallery."))
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
page_number = st.number_input(
    _("Page (of {count})").format(count=format_number(pages)), 1, pages, step=1, key="predictions_page"
)
shown = evaluation.page_slice(indices, page_number, per_page)
st.markdown(
    _("**{matching} test images** match; showing {shown} on page {page} of {pages}.").format(
        matching=format_number(len(indices)),
        shown=len(shown),
        page=format_number(page_number),
        pages=format_number(pages),
    )
)
if len(shown):
    st.image(
        gallery.prediction_png(
            identity, source, "grid", tuple(int(index) for index in shown), language=current_language()
        ),
        alt=descriptions.prediction_grid_description(shown, probabilities[shown], labels[shown]),
    )
    st.expander(_("The captions as text")).markdown(gallery.captions_markdown(probabilities, labels, shown))
    gallery.show_image_view(identity, source, shown, probabilities, labels)

# The misclassification browser: one wrong image at a time
st.header(_("Mistakes, one at a time"))
order = st.radio(
    _("Order"),
    list(ORDERS),
    format_func=lambda order: _(ORDERS[order]),
    horizontal=True,
    key="predictions_order",
    on_change=restart_browser,
)
wrong = evaluation.misclassified_indices(probabilities, labels, order)
if len(wrong) == 0:
    st.success(_("The model classifies every test image correctly."))
else:
    position = min(max(1, st.session_state["predictions_wrong"]), len(wrong))
    st.session_state["predictions_wrong"] = position
    previous_column, position_column, next_column = st.columns([1, 2, 1], vertical_alignment="center")
    previous_column.button(
        _("Previous"),
        key="predictions_previous",
        on_click=move_browser,
        args=(-1,),
        disabled=position <= 1,
        icon=":material/arrow_back:",
    )
    position_column.markdown(
        _("{position} of {count}").format(position=format_number(position), count=format_number(len(wrong))),
        text_alignment="center",
    )
    next_column.button(
        _("Next"),
        key="predictions_next",
        on_click=move_browser,
        args=(1,),
        disabled=position >= len(wrong),
        icon=":material/arrow_forward:",
    )
    index = int(wrong[position - 1])
    st.image(
        gallery.prediction_png(identity, source, "pair", (index,), language=current_language()),
        width=720,
        alt=descriptions.prediction_pair_description(index, probabilities[index], int(labels[index])),
    )
    st.caption(
        _("Test image #{index}: {true} the model took for {predicted}.").format(
            index=index,
            true=descriptions.with_article(CLASS_NAMES[labels[index]]),
            predicted=descriptions.with_article(CLASS_NAMES[probabilities[index].argmax()]),
        )
    )
    why = st.toggle(
        _("Why?"),
        key="predictions_why",
        bind="query-params",
        help=_("Saliency and the nearest training images"),
    )
    if why:
        explanations.show_test_explanation(identity, source, index)
        where = {"model": name, "point": str(index)}
        next_steps.next_step("pages/map.py", _("see where it lies among the test images on the Map"), where)
    else:
        st.caption(_("Next: switch on **Why?** above to see what the model looked at and what it recalls."))
    st.query_params.update({"wrong": str(position), "order": order})

# "Why?" needs the training images' features: start them now, while the user reads the page
explanations.neighbour_build(identity, source)
