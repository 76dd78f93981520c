"""The Map page's embedding: the model's 2-D map of test images, its points and its clickable chart."""

from __future__ import annotations

import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.explain import explanations as explain
from fashion.i18n import _
from ui.caches import cached_dataset, cached_model, model_directory, test_probabilities

MAP_POINT_SIZE = 30


def _thumbnail_url(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(255 - np.asarray(image, dtype=np.uint8)).resize((56, 56)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@st.cache_resource(show_spinner=False, max_entries=2)
def embedding(identity: tuple, source: str):
    """The model's cached 2-D map of a stratified test sample."""
    data = cached_dataset(source)
    return explain.embedding_map(
        cached_model(*identity), model_directory(identity), data.test_images, data.test_labels
    )


@st.cache_data(show_spinner=False, max_entries=2)
def map_points(identity: tuple, source: str, language: str = "en"):
    """One row per map point: test index, x, y, true and predicted class, right or wrong, thumbnail."""
    # deferred: pandas loads only when a table is built
    import pandas as pd

    data = cached_dataset(source)
    points = embedding(identity, source)
    predicted = test_probabilities(*identity, source).argmax(axis=1)[points.indices]
    true_labels = data.test_labels[points.indices]
    return pd.DataFrame(
        {
            "index": points.indices.astype(int),
            "x": points.coordinates[:, 0],
            "y": points.coordinates[:, 1],
            "true class": [_(CLASS_NAMES[label]) for label in true_labels],
            "predicted": [_(CLASS_NAMES[label]) for label in predicted],
            "result": np.where(predicted == true_labels, _("right"), _("wrong")),
            "image": [_thumbnail_url(data.test_images[index]) for index in points.indices],
        }
    )


def map_chart(points, extra_point=None):
    """The map as an Altair scatter: colour by true class, crosses for mistakes; a click selects."""
    # deferred: Altair loads only when the map is drawn
    import altair as alt

    from fashion.explain.explanation_plots import CLASS_COLOURS
    from fashion.figures.plots import NEUTRAL_BAR_COLOUR

    selection = alt.selection_point(name="point", fields=["index"], on="click", clear="dblclick")
    chart = (
        alt.Chart(points)
        .mark_point(filled=True, size=MAP_POINT_SIZE)
        .encode(
            x=alt.X("x:Q", axis=None),
            y=alt.Y("y:Q", axis=None),
            color=alt.Color(
                "true class:N",
                title=_("true class"),
                scale=alt.Scale(domain=[_(name) for name in CLASS_NAMES], range=CLASS_COLOURS),
            ),
            # The shape legend's symbols in a grey that reads on the light and the dark theme alike
            shape=alt.Shape(
                "result:N",
                title=_("result"),
                scale=alt.Scale(domain=[_("right"), _("wrong")], range=["circle", "cross"]),
                legend=alt.Legend(symbolFillColor=NEUTRAL_BAR_COLOUR, symbolStrokeColor=NEUTRAL_BAR_COLOUR),
            ),
            opacity=alt.condition(selection, alt.value(0.85), alt.value(0.25)),
            tooltip=[
                alt.Tooltip("index:Q", title=_("index")),
                alt.Tooltip("true class:N", title=_("true class")),
                alt.Tooltip("predicted:N", title=_("predicted")),
                alt.Tooltip("image:N", title=_("image")),
            ],
        )
        .add_params(selection)
    )
    if extra_point is not None:
        # deferred: pandas loads only when a table is built
        import pandas as pd

        star = pd.DataFrame({"x": [extra_point[0]], "y": [extra_point[1]], "label": [_("your image")]})
        chart = chart + alt.Chart(star).mark_point(
            shape="diamond", size=400, filled=True, color="black"
        ).encode(x="x:Q", y="y:Q", tooltip=[alt.Tooltip("label:N", title=_("label"))])
    return chart.properties(height=560)


def selected_map_index(event) -> int | None:
    """The test index of the point clicked on the map, if any."""
    chosen = (event or {}).get("selection", {}).get("point") or []
    return int(chosen[0]["index"]) if chosen and "index" in chosen[0] else None
