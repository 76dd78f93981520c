""""Why?": saliency and nearest training images of a test image or a photo, and the embedding map's chart."""

from __future__ import annotations

import base64
import io
import time

import numpy as np
import streamlit as st

from ui.caches import (
    BackgroundBuild,
    background_build,
    cached_dataset,
    cached_model,
    test_probabilities,
    waiting_for_background,
)

MAP_POINT_SIZE = 30
PROGRESS_SECONDS = 0.25  # how often the wait for the training images' features redraws its bar


def _model_directory(identity: tuple):
    from fashion import store

    return store.get_entry(identity[0]).path


def neighbour_build(identity: tuple, source: str) -> BackgroundBuild:
    """The model's nearest-neighbour index over the training images, built once on a background thread.

    Pages call it as soon as a model is chosen, so the index is usually ready before "Why?" is clicked.
    """

    def prepare():
        from fashion import explain

        model, directory = cached_model(*identity), _model_directory(identity)
        train_images = cached_dataset(source).train_images
        return lambda progress: explain.NeighbourIndex(
            explain.training_features(model, directory, train_images, progress)
        )

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
                    text=f"Computing the training images' features (once per model): "
                    f"{build.done_count:,} of {total:,}…",
                )
                time.sleep(PROGRESS_SECONDS)
        waiting.empty()
    return build.result()


@st.cache_data(show_spinner="Explaining…", max_entries=32)
def explanation_figures(identity: tuple, source: str, image: np.ndarray, true_label: int | None) -> dict:
    """The saliency and neighbours figures as PNG bytes, with the neighbours' indices and labels."""
    from fashion import descriptions, explain, explanation_plots, plots
    from fashion.data import CLASS_NAMES

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
            f"{CLASS_NAMES[int(data.train_labels[index])]} #{int(index)} (d={float(distance):.2f})"
            for index, distance in zip(nearest, explanation.neighbour_distances)
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
    from fashion.data import CLASS_NAMES
    from fashion.errors import FashionError

    try:
        neighbour_index(identity, source)  # waits here, with a progress bar, while the index is built
        figures = explanation_figures(identity, source, np.asarray(image), true_label)
    except FashionError as error:
        st.error(str(error))
        return {}
    st.image(figures["saliency_png"], width=900, alt=figures["saliency_text"])
    st.caption(
        f"Saliency by {figures['method']}: the brighter the overlay, the more that part of the image "
        "pushed the model towards the class named above it."
    )
    names = ", ".join(CLASS_NAMES[label] for label in figures["neighbour_labels"])
    st.markdown(f"**Nearest training images** (by the model's penultimate layer): {names}")
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


def _thumbnail_url(image: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(255 - np.asarray(image, dtype=np.uint8)).resize((56, 56)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@st.cache_resource(show_spinner="Building the map (once per model)…", max_entries=2)
def embedding(identity: tuple, source: str):
    """The model's cached 2-D map of a stratified test sample."""
    from fashion import explain

    data = cached_dataset(source)
    return explain.embedding_map(
        cached_model(*identity), _model_directory(identity), data.test_images, data.test_labels
    )


@st.cache_data(show_spinner=False, max_entries=2)
def map_points(identity: tuple, source: str):
    """One row per map point: test index, x, y, true and predicted class, right or wrong, thumbnail."""
    import pandas as pd

    from fashion.data import CLASS_NAMES

    data = cached_dataset(source)
    points = embedding(identity, source)
    predicted = test_probabilities(*identity, source).argmax(axis=1)[points.indices]
    true_labels = data.test_labels[points.indices]
    return pd.DataFrame(
        {
            "index": points.indices.astype(int),
            "x": points.coordinates[:, 0],
            "y": points.coordinates[:, 1],
            "true class": [CLASS_NAMES[label] for label in true_labels],
            "predicted": [CLASS_NAMES[label] for label in predicted],
            "result": np.where(predicted == true_labels, "right", "wrong"),
            "image": [_thumbnail_url(data.test_images[index]) for index in points.indices],
        }
    )


def map_chart(points, extra_point=None):
    """The map as an Altair scatter: colour by true class, crosses for mistakes; a click selects."""
    import altair as alt

    from fashion.data import CLASS_NAMES
    from fashion.explanation_plots import CLASS_COLOURS

    selection = alt.selection_point(name="point", fields=["index"], on="click", clear="dblclick")
    chart = (
        alt.Chart(points)
        .mark_point(filled=True, size=MAP_POINT_SIZE)
        .encode(
            x=alt.X("x:Q", axis=None),
            y=alt.Y("y:Q", axis=None),
            color=alt.Color("true class:N", scale=alt.Scale(domain=CLASS_NAMES, range=CLASS_COLOURS)),
            shape=alt.Shape(
                "result:N", scale=alt.Scale(domain=["right", "wrong"], range=["circle", "cross"])
            ),
            opacity=alt.condition(selection, alt.value(0.85), alt.value(0.25)),
            tooltip=["index:Q", "true class:N", "predicted:N", "image:N"],
        )
        .add_params(selection)
    )
    if extra_point is not None:
        import pandas as pd

        star = pd.DataFrame({"x": [extra_point[0]], "y": [extra_point[1]], "label": ["your image"]})
        chart = chart + alt.Chart(star).mark_point(
            shape="diamond", size=400, filled=True, color="black"
        ).encode(x="x:Q", y="y:Q", tooltip=["label:N"])
    return chart.properties(height=560)


def selected_map_index(event) -> int | None:
    """The test index of the point clicked on the map, if any."""
    chosen = (event or {}).get("selection", {}).get("point") or []
    return int(chosen[0]["index"]) if chosen and "index" in chosen[0] else None


def show_photo_explanation(identity: tuple, source: str, image, true_label: int | None = None) -> None:
    """"Why?" for the Try page's image: saliency, nearest training images and where it lands on the map."""
    from fashion import descriptions, explanation_plots
    from fashion.errors import FashionError
    from ui.gallery import show_figure

    if not st.toggle("Why?", key="try_why", help="Saliency, the nearest training images and the map"):
        return
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
    st.markdown("**Where the model puts it** among the test images (the black star; see the Map page):")
    show_figure(
        explanation_plots.embedding_figure(points.coordinates, true_labels, predicted, extra_point=where),
        width=640,
        alt=descriptions.embedding_map_description(true_labels, predicted)
        + " A black star marks your image.",
    )
