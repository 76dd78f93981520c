"""The Predictions gallery: its figures as cached PNGs, its captions, its image view and its URL state."""

from __future__ import annotations

import streamlit as st

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.figures import descriptions
from fashion.i18n import _, current_language
from fashion.training import evaluation
from ui import explanations
from ui.caches import ACTIVE_MODEL_KEY, MODEL_GONE_REASON, cached_dataset, test_probabilities

GALLERY_ROWS, GALLERY_COLUMNS = 5, 3


@st.cache_data(show_spinner=False, max_entries=64)
def prediction_png(
    identity: tuple, source: str, kind: str, indices: tuple, highlight=None, language: str = "en"
) -> bytes:
    """A gallery page, one prediction pair or the confusion matrix of a model, as PNG bytes (in language)."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.figures import plots

    probabilities = test_probabilities(*identity, source)
    data = cached_dataset(source)
    if kind == "matrix":
        matrix = evaluation.confusion_matrix(data.test_labels, probabilities.argmax(axis=1))
        return plots.figure_to_png(plots.confusion_matrix_figure(matrix, highlight))
    chosen = list(indices)
    if kind == "pair":
        figure = plots.prediction_pair(
            data.test_images[chosen[0]], probabilities[chosen[0]], int(data.test_labels[chosen[0]])
        )
    else:
        figure = plots.prediction_grid(
            data.test_images[chosen],
            probabilities[chosen],
            data.test_labels[chosen],
            rows=GALLERY_ROWS,
            columns=GALLERY_COLUMNS,
            indices=chosen,
        )
    return plots.figure_to_png(figure)


def restore_predictions_state(model_names: list[str], orders: list[str]) -> None:
    """Set the Predictions page's model, mistake position and order from the URL, where not set yet."""
    if st.session_state.get("predictions_model") not in model_names:
        gone = st.session_state.get("predictions_model")
        if gone:
            st.info(
                _("The model **{name}** is no longer in the store ({reason}); showing another one.").format(
                    name=gone, reason=_(MODEL_GONE_REASON)
                ),
                icon=":material/info:",
            )
        wanted = st.session_state.get(ACTIVE_MODEL_KEY)
        st.session_state["predictions_model"] = wanted if wanted in model_names else model_names[0]
    if "predictions_wrong" not in st.session_state:
        position = st.query_params.get("wrong", "1")
        st.session_state["predictions_wrong"] = int(position) if position.isdigit() else 1
    if "predictions_image" not in st.session_state:
        image = st.query_params.get("image", "")
        st.session_state["predictions_image"] = int(image) if image.isdigit() else None
    if st.session_state.get("predictions_order") not in orders:
        order = st.query_params.get("order")
        st.session_state["predictions_order"] = order if order in orders else orders[0]


def captions_markdown(probabilities, labels, indices) -> str:
    """The gallery's captions as a markdown list, coloured like the figure (blue right, red wrong)."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.figures import plots

    lines = []
    for index in indices:
        colour = plots.caption_colour(probabilities[index], labels[index])
        caption = plots.prediction_caption(probabilities[index], labels[index])
        lines.append(f"- :{colour}[#{index}: {caption}] ({colour})")
    return "\n".join(lines)


def _open_chosen_image() -> None:
    """Open the image just chosen under the gallery (None when the chosen one was clicked again)."""
    st.session_state["predictions_image"] = st.session_state["predictions_gallery_open"]


def show_image_view(identity: tuple, source: str, shown, probabilities, labels) -> None:
    """Under the gallery: a button per image of the page; the image opened, large, with its "Why?"."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.figures import plots

    page_indices = [int(index) for index in shown]
    opened = st.session_state.get("predictions_image")
    if opened is not None and not 0 <= opened < len(labels):
        opened = st.session_state["predictions_image"] = None
    st.session_state["predictions_gallery_open"] = opened if opened in page_indices else None
    st.selectbox(
        _("Open an image of this page"),
        page_indices,
        format_func=lambda index: f"#{index}: "
        + plots.prediction_caption(probabilities[index], int(labels[index])),
        key="predictions_gallery_open",
        on_change=_open_chosen_image,
        placeholder=_("Choose one to see it large, with its Why?"),
    )
    if opened is None:
        st.query_params.pop("image", None)
        return
    st.query_params["image"] = str(opened)
    predicted = int(probabilities[opened].argmax())
    st.subheader(_("Test image #{index}").format(index=opened))
    st.image(
        prediction_png(identity, source, "pair", (opened,), language=current_language()),
        width=720,
        alt=descriptions.prediction_pair_description(opened, probabilities[opened], int(labels[opened])),
    )
    truth = descriptions.with_article(CLASS_NAMES[labels[opened]])
    verdict = _("right") if predicted == labels[opened] else _("wrong: it is {truth}").format(truth=truth)
    st.caption(
        _("Test image #{index}: the model says {predicted} ({verdict}).").format(
            index=opened, predicted=_(CLASS_NAMES[predicted]), verdict=verdict
        )
    )
    why = st.toggle(
        _("Why?"),
        key="predictions_image_why",
        bind="query-params",
        help=_("Saliency and the nearest training images"),
    )
    if why:
        explanations.show_test_explanation(identity, source, opened)

