""""Why?": saliency and nearest training images of a test image or a photo, and where a photo lands."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.errors import FashionError
from fashion.explain import explanations as explain
from fashion.figures import descriptions
from fashion.i18n import _, current_language, format_number
from ui.background import BackgroundBuild, background_build, waiting_for_background
from ui.caches import cached_dataset, cached_model, model_directory, test_probabilities
from ui.map_view import embedding

PROGRESS_SECONDS = 0.25  # how often the wait for the training images' features redraws its bar


def neighbour_build(identity: tuple, source: str) -> BackgroundBuild:
    """The model's nearest-neighbour index over the training images, built once on a background thread.

    Pages call it as soon as a model is chosen, so the index is usually ready before "Why?" is clicked.
    """

    def prepare():
        model, directory = cached_model(*identity), model_directory(identity)
        train_images = cached_dataset(source).train_images
        return lambda progress: explain.neighbour_index(model, directory, train_images, progress)

    return background_build(("neighbours", identity, source), prepare)


def neighbour_index(identity: tuple, source: str):
    """The nearest-neighbour index of a model, waiting for its build; a progress bar shows the wait."""
    build = neighbour_build(identity, source)
    if not build.done():
        waiting = st.empty()
        with waiting_for_background():
            while not build.done():
                total = build.total_count or len(cached_dataset(source).train_images)
                waiting.progress(
                    build.done_count / total,
                    text=_(
                        "Computing the training images' features (once per model): {done} of {total}…"
                    ).format(done=format_number(build.done_count), total=format_number(total)),
                )
                time.sleep(PROGRESS_SECONDS)
        waiting.empty()
    return build.result()


@st.cache_data(show_spinner=False, max_entries=32)
def explanation_figures(
    identity: tuple, source: str, image: np.ndarray, true_label: int | None, language: str = "en"
) -> dict:
    """The saliency and neighbours figures as PNG bytes, with the neighbours' indices and labels."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.explain import explanation_plots
    from fashion.figures import plots

    data = cached_dataset(source)
    explanation = explain.explain_image(
        cached_model(*identity), image, neighbour_build(identity, source).result(), true_label
    )
    nearest = explanation.neighbour_indices
    saliency = explanation_plots.saliency_figure(
        image, explanation.probabilities, true_label, explanation.saliency_maps, explanation.method
    )
    return {
        "saliency_png": plots.figure_to_png(saliency),
        # Thumbnails drawn by the browser, not matplotlib: eight small PNGs cost a few milliseconds.
        "neighbour_thumbnails": [plots.pixel_image(255 - data.train_images[index], 4) for index in nearest],
        "neighbour_captions": [
            f"{_(CLASS_NAMES[int(data.train_labels[index])])} #{int(index)} (d={float(distance):.2f})"
            for index, distance in zip(nearest, explanation.neighbour_distances, strict=True)
        ],
        "neighbour_indices": [int(index) for index in nearest],
        "neighbour_labels": [int(data.train_labels[index]) for index in nearest],
        "method": explanation.method,
        "saliency_text": descriptions.saliency_description(explanation.method, explanation.saliency_maps),
        "neighbours_text": descriptions.neighbour_descriptions(nearest, data.train_labels[nearest]),
        "features": explanation.features,
    }


def show_explanation(identity: tuple, source: str, image: np.ndarray, true_label: int | None) -> dict:
    """Draw the saliency panels and the nearest training images of one image, with their labels as text."""
    try:
        neighbour_index(identity, source)  # waits here, with a progress bar, while the index is built
        with st.spinner(_("Explaining…")):
            figures = explanation_figures(identity, source, np.asarray(image), true_label, current_language())
    except FashionError as error:
        st.error(str(error))
        return {}
    st.image(figures["saliency_png"], width=900, alt=figures["saliency_text"])
    st.caption(
        _(
            "Saliency by {method}: the brighter the overlay, the more that part of the image "
            "pushed the model towards the class named above it."
        ).format(method=_(figures["method"]))
    )
    names = _(", ").join(_(CLASS_NAMES[label]) for label in figures["neighbour_labels"])
    st.markdown(
        _("**Nearest training images** (by the model's penultimate layer): {names}").format(names=names)
    )
    st.image(
        figures["neighbour_thumbnails"],
        caption=figures["neighbour_captions"],
        width=104,
        alt=figures["neighbours_text"],
    )
    return figures


def show_test_explanation(identity: tuple, source: str, index: int) -> None:
    """"Why?" for one test image: saliency for the predicted and the true class, and its neighbours."""
    data = cached_dataset(source)
    show_explanation(identity, source, data.test_images[index], int(data.test_labels[index]))


def show_photo_explanation(
    identity: tuple, source: str, image, true_label: int | None = None, averaged_over: int = 1
) -> None:
    """"Why?" for the Try page's image: saliency, nearest training images and where it lands on the map.

    averaged_over: how many variants the page's prediction averaged (test-time augmentation), said here
    since Why? looks at the input alone and its percentages can then differ.
    """
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.explain import explanation_plots
    from ui.figure_view import show_figure

    if not st.toggle(_("Why?"), key="try_why", help=_("Saliency, the nearest training images and the map")):
        return
    if averaged_over > 1:
        st.caption(
            _(
                "Why? looks at the 28x28 input alone; the prediction above averages it with its "
                "{count} test-time variants, so the two percentages can differ."
            ).format(count=averaged_over - 1)
        )
    figures = show_explanation(identity, source, image, true_label)
    if not figures:
        return
    try:
        points = embedding(identity, source)
    except FashionError as error:
        st.error(str(error))
        return
    data = cached_dataset(source)
    predicted = test_probabilities(*identity, source).argmax(axis=1)[points.indices]
    true_labels = data.test_labels[points.indices]
    where = points.project(figures["features"][np.newaxis])[0]
    st.markdown(_("**Where the model puts it** among the test images (the black star; see the Map page):"))
    show_figure(
        explanation_plots.embedding_figure(points.coordinates, true_labels, predicted, extra_point=where),
        width=640,
        alt=descriptions.embedding_map_description(true_labels, predicted)
        + " "
        + _("A black star marks your image."),
    )
