"""Figures of the explanations: saliency over the image, the nearest training images, the embedding map."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.figures.plots import RIGHT_COLOUR, WRONG_COLOUR, draw_image, draw_value_array
from fashion.i18n import _

SALIENCY_COLOURS = "autumn_r"
# One colour per class on every map (matplotlib's and the app's Altair chart alike): Tableau 10.
CLASS_COLOURS = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]  # fmt: skip


def draw_saliency(axes, image: np.ndarray, saliency: np.ndarray, title: str) -> None:
    """The image in grey with the saliency map laid over it, brighter where the evidence is."""
    axes.imshow(image, cmap="gray", alpha=0.7)
    axes.imshow(saliency, cmap=SALIENCY_COLOURS, alpha=np.clip(1.5 * saliency, 0, 0.9), vmin=0, vmax=1)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_title(title, fontsize=9)


def saliency_figure(
    image: np.ndarray,
    probabilities: np.ndarray,
    true_label: int | None,
    saliency_maps: dict[int, np.ndarray],
    method: str,
) -> Figure:
    """The tutorial's image and bars with one saliency panel per class ("what pulled it to X")."""
    panels = 2 + len(saliency_maps)
    figure = Figure(figsize=(2.6 * panels, 3.6))
    image_axes = figure.add_subplot(1, panels, 1)
    if true_label is None:
        image_axes.imshow(image, cmap="binary")
        image_axes.set_xticks([])
        image_axes.set_yticks([])
        image_axes.set_xlabel(
            _("this input alone: {name} {percent}%").format(
                name=_(CLASS_NAMES[int(np.argmax(probabilities))]),
                percent=f"{100 * float(np.max(probabilities)):.0f}",
            )
        )
    else:
        draw_image(image_axes, image, probabilities, int(true_label))
    for position, (label, saliency) in enumerate(saliency_maps.items()):
        draw_saliency(
            figure.add_subplot(1, panels, position + 2),
            image,
            saliency,
            _("evidence for {name}").format(name=_(CLASS_NAMES[label])) + f"\n({_(method)})",
        )
    draw_value_array(figure.add_subplot(1, panels, panels), probabilities, true_label)
    # Fixed margins: tight_layout would draw the figure once more just to measure it.
    figure.subplots_adjust(left=0.02, right=0.98, bottom=0.2, top=0.86, wspace=0.12)
    return figure


def neighbours_figure(
    images: np.ndarray, labels: np.ndarray, distances: np.ndarray, indices: np.ndarray
) -> Figure:
    """The nearest training images in a row, each with its class, its index and its distance."""
    count = len(images)
    figure = Figure(figsize=(1.5 * max(count, 1), 2.1))
    for position in range(count):
        axes = figure.add_subplot(1, max(count, 1), position + 1)
        axes.imshow(images[position], cmap="binary")
        axes.set_xticks([])
        axes.set_yticks([])
        axes.set_xlabel(
            f"{_(CLASS_NAMES[int(labels[position])])}\n#{int(indices[position])} "
            f"d={float(distances[position]):.2f}",
            fontsize=8,
        )
    figure.tight_layout()
    return figure


def embedding_figure(
    coordinates: np.ndarray, true_labels: np.ndarray, predicted_labels: np.ndarray, extra_point=None
) -> Figure:
    """The 2-D map coloured by true class, mistakes as crosses, an optional extra point as a star."""
    figure = Figure(figsize=(7, 6))
    axes = figure.add_subplot()
    right = true_labels == predicted_labels
    for label, name in enumerate(CLASS_NAMES):
        members = (true_labels == label) & right
        x, y = coordinates[members].T
        axes.scatter(x, y, s=6, color=CLASS_COLOURS[label], label=_(name))
        wrong = (true_labels == label) & ~right
        x, y = coordinates[wrong].T
        axes.scatter(x, y, s=18, color=CLASS_COLOURS[label], marker="x")
    if extra_point is not None:
        axes.scatter(
            [extra_point[0]], [extra_point[1]], s=220, color="black", marker="*", label=_("your image")
        )
    axes.set_xticks([])
    axes.set_yticks([])
    axes.legend(fontsize=7, markerscale=1.2, loc="best")
    figure.tight_layout()
    return figure


def learning_figure(
    images: np.ndarray,
    labels: list[int],
    probabilities: np.ndarray,
    first_layer: np.ndarray,
    epoch: int,
    columns: int = 10,
) -> Figure:
    """One epoch of a run: the probe images captioned with the model's guess, then its first layer."""
    probe_rows = -(-len(images) // columns)
    weight_columns = min(len(first_layer), 16) or 1
    weight_rows = -(-len(first_layer) // weight_columns) if len(first_layer) else 0
    figure = Figure(figsize=(1.2 * columns, 1.45 * probe_rows + 1.2 * weight_rows + 0.5))
    grid = figure.add_gridspec(probe_rows + weight_rows, max(columns, weight_columns))
    for position, image in enumerate(images):
        axes = figure.add_subplot(grid[position // columns, position % columns])
        axes.imshow(image, cmap="binary")
        axes.set_xticks([])
        axes.set_yticks([])
        predicted = int(np.argmax(probabilities[position]))
        right = predicted == int(labels[position])
        axes.set_xlabel(
            f"{_(CLASS_NAMES[predicted])} {100 * float(probabilities[position][predicted]):.0f}%"
            + ("" if right else f"\n({_(CLASS_NAMES[int(labels[position])])})"),
            color=RIGHT_COLOUR if right else WRONG_COLOUR,
            fontsize=7,
        )
    for position, weights in enumerate(first_layer):
        axes = figure.add_subplot(grid[probe_rows + position // weight_columns, position % weight_columns])
        axes.imshow(weights, cmap="RdBu_r", vmin=-1, vmax=1)
        axes.set_xticks([])
        axes.set_yticks([])
    figure.suptitle(
        _(
            "Epoch {epoch}: the probe images as the model saw them (blue right, red wrong); "
            "below, its first layer (red positive, blue negative weights)"
        ).format(epoch=epoch),
        fontsize=9,
    )
    figure.tight_layout()
    return figure
