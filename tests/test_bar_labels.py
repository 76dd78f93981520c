"""Every bar chart the app draws names its classes (gallery, mistakes, Map, Why?, Try, Explore)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.container import BarContainer

from fashion.data.fashion_mnist import CLASS_NAMES, NUM_CLASSES, SHORT_CLASS_NAMES
from fashion.explain import explanation_plots
from fashion.figures import plots

RANDOM = np.random.default_rng(7)
IMAGES = RANDOM.random((4, 28, 28))
PROBABILITIES = RANDOM.dirichlet(np.ones(NUM_CLASSES), size=4)
LABELS = np.array([0, 3, 9, 4])
SALIENCY = {9: RANDOM.random((28, 28)), 0: RANDOM.random((28, 28))}

# Each figure builder the pages call for a bar chart, with where it is drawn
FIGURES = {
    "gallery grid (Predictions)": lambda: plots.prediction_grid(
        IMAGES, PROBABILITIES, LABELS, indices=[1, 2, 3, 4]
    ),
    "mistake browser, Map, Compare pair": lambda: plots.prediction_pair(IMAGES[0], PROBABILITIES[0], 3),
    "Why? of a test image": lambda: explanation_plots.saliency_figure(
        IMAGES[0], PROBABILITIES[0], 3, SALIENCY, "gradients"
    ),
    "Why? of a photo": lambda: explanation_plots.saliency_figure(
        IMAGES[0], PROBABILITIES[0], None, SALIENCY, "gradients"
    ),
    "Try page chart": lambda: plots.value_bar_chart(PROBABILITIES[0]),
    "Try page chart of a test image": lambda: plots.value_bar_chart(PROBABILITIES[0], 2),
    "Explore class counts": lambda: plots.class_count_chart(np.full(NUM_CLASSES, 6000)),
}


def bar_axes_tick_names(figure) -> list[list[str]]:
    """For each axes holding bars: the tick label under each bar, in bar order."""
    figure.canvas.draw()  # tick labels are laid out as drawn
    found = []
    for axes in figure.axes:
        for container in axes.containers:
            if not isinstance(container, BarContainer):
                continue
            labels = [label.get_text() for label in axes.get_xticklabels()]
            ticks = dict(zip(axes.get_xticks(), labels, strict=True))
            centres = [bar.get_x() + bar.get_width() / 2 for bar in container]
            found.append([ticks.get(centre, "") for centre in centres])
    return found


@pytest.mark.parametrize("where", list(FIGURES))
def test_every_bar_chart_names_each_bar_by_its_class(where):
    tick_names = bar_axes_tick_names(FIGURES[where]())
    assert tick_names, f"{where}: no bar chart found"
    for names in tick_names:
        assert names in (CLASS_NAMES, SHORT_CLASS_NAMES), f"{where}: bars labelled {names}"


def test_short_class_names_name_the_same_classes():
    assert len(SHORT_CLASS_NAMES) == NUM_CLASSES
    for short, full in zip(SHORT_CLASS_NAMES, CLASS_NAMES, strict=True):
        assert len(short) <= 8 and (short in full or full.startswith(short) or full.endswith(short.lower()))


def test_a_bar_chart_without_names_is_caught():
    unlabelled = plots.prediction_pair(IMAGES[0], PROBABILITIES[0], 3)
    unlabelled.axes[1].set_xticks([])
    assert bar_axes_tick_names(unlabelled) == [[""] * NUM_CLASSES]
