"""Matplotlib figure builders for the tutorial's figures and ours: plain Figures, no pyplot state to close.

Over 300 lines: one short builder per figure, sharing the colours and the tutorial's conventions.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from fashion.data.fashion_mnist import CLASS_NAMES, NUM_CLASSES, SHORT_CLASS_NAMES, unscale_images
from fashion.i18n import N_, _, use_figure_fonts

# The tutorial's blue (right) and red (wrong), shifted so that colour-blind eyes tell them apart: a deep
# blue and a vermilion stay blue and ochre under deuteranopia and protanopia (simulated CIELAB distance
# over 110), and both keep 4.5:1 contrast on white for the captions. The names are what the captions say.
RIGHT_COLOUR_NAME, WRONG_COLOUR_NAME = "blue", "red"
RIGHT_COLOUR = "#0a4fd6"
WRONG_COLOUR = "#c85000"
NEUTRAL_BAR_COLOUR = "#8f8f8f"  # 3.2:1 on white, enough for a graphic
# The predicted bar is hatched and outlined: "predicted" is never said by colour alone.
PREDICTED_HATCH = "////"
OUTLINE_COLOUR = "#1b1f24"
# An upload's true class is unknown: its predicted bar is neither right nor wrong, hatched and dark.
PREDICTED_COLOUR = "#4a4a4a"
RIGHT_MARK = "\u2713"
# The figures draw Chinese with Debian's CJK font where it is installed (else a message says so)
use_figure_fonts()


def class_names() -> list[str]:
    """The ten class names in the current language, for axes."""
    return [_(name) for name in CLASS_NAMES]

WRONG_MARK = "\u2717"


def prediction_caption(probabilities: np.ndarray, true_label: int, with_mark: bool = True) -> str:
    """The tutorial's caption "predicted confidence% (true)", with a check or cross mark."""
    predicted = int(np.argmax(probabilities))
    confidence = 100 * float(np.max(probabilities))
    caption = f"{_(CLASS_NAMES[predicted])} {confidence:2.0f}% ({_(CLASS_NAMES[true_label])})"
    if with_mark:
        caption = f"{RIGHT_MARK if predicted == true_label else WRONG_MARK} {caption}"
    return caption


def caption_colour(probabilities: np.ndarray, true_label: int) -> str:
    """The colour's name: "blue" when the prediction is right, "red" when it is wrong."""
    return RIGHT_COLOUR_NAME if int(np.argmax(probabilities)) == int(true_label) else WRONG_COLOUR_NAME


def colour_value(colour_name: str) -> str:
    """The colour drawn for "blue" or "red" (the colour-blind safe values)."""
    return RIGHT_COLOUR if colour_name == RIGHT_COLOUR_NAME else WRONG_COLOUR


def draw_image(axes, image: np.ndarray, probabilities: np.ndarray, true_label: int) -> None:
    """The tutorial's plot_image on the given axes."""
    axes.grid(False)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.imshow(image, cmap="binary")
    axes.set_xlabel(
        prediction_caption(probabilities, true_label),
        color=colour_value(caption_colour(probabilities, true_label)),
    )


def draw_value_array(axes, probabilities: np.ndarray, true_label: int | None) -> list:
    """The tutorial's plot_value_array: grey bars, predicted red, true blue, the predicted bar hatched.

    Each bar is named by its class's short name, at 8 pt. Without a true class (an upload) the
    predicted bar is dark grey: it is neither right nor wrong.
    """
    axes.grid(False)
    axes.set_xticks(range(NUM_CLASSES), [_(name) for name in SHORT_CLASS_NAMES], rotation=90, fontsize=8)
    axes.tick_params(axis="x", length=2, pad=1)
    axes.set_yticks([])
    bars = axes.bar(range(NUM_CLASSES), probabilities, color=NEUTRAL_BAR_COLOUR)
    axes.set_ylim([0, 1])
    predicted = int(np.argmax(probabilities))
    bars[predicted].set_facecolor(WRONG_COLOUR if true_label is not None else PREDICTED_COLOUR)
    if true_label is not None:
        bars[int(true_label)].set_facecolor(RIGHT_COLOUR)
    bars[predicted].set_hatch(PREDICTED_HATCH)
    bars[predicted].set_edgecolor(OUTLINE_COLOUR)
    bars[predicted].set_linewidth(1.0)
    return list(bars)


def image_with_colorbar(image: np.ndarray, title: str | None = None) -> Figure:
    """One image with its colour bar and no grid, like the tutorial's first figure."""
    figure = Figure(figsize=(4.2, 3.6))
    axes = figure.add_subplot()
    shown = axes.imshow(image)
    figure.colorbar(shown, ax=axes)
    axes.grid(False)
    if title:
        axes.set_title(title)
    figure.tight_layout()
    return figure


def sample_grid(
    images: np.ndarray, labels: np.ndarray, rows: int = 5, columns: int = 5, indices=None
) -> Figure:
    """A grid of images with their class names below, like the tutorial's 5x5 figure."""
    figure = Figure(figsize=(2 * columns, 2 * rows))
    count = min(len(images), rows * columns)
    for position in range(count):
        axes = figure.add_subplot(rows, columns, position + 1)
        axes.set_xticks([])
        axes.set_yticks([])
        axes.grid(False)
        axes.imshow(images[position], cmap="binary")
        label = _(CLASS_NAMES[int(labels[position])])
        if indices is not None:
            label = f"{label}\n#{int(indices[position])}"
        axes.set_xlabel(label)
    figure.tight_layout()
    return figure


def prediction_pair(image: np.ndarray, probabilities: np.ndarray, true_label: int) -> Figure:
    """The tutorial's image + bar chart pair for one prediction."""
    figure = Figure(figsize=(6, 3.3))
    draw_image(figure.add_subplot(1, 2, 1), image, probabilities, true_label)
    draw_value_array(figure.add_subplot(1, 2, 2), probabilities, true_label)
    figure.tight_layout()
    return figure


def prediction_grid(
    images: np.ndarray,
    probabilities: np.ndarray,
    true_labels: np.ndarray,
    rows: int = 5,
    columns: int = 3,
    indices=None,
) -> Figure:
    """A grid of image + bar chart pairs (by default at most 5 x 3, like the tutorial's); no empty rows."""
    count = min(len(images), rows * columns)
    rows = max(1, math.ceil(count / columns))
    figure = Figure(figsize=(2 * 2 * columns, 2.3 * rows))  # room under each row for the class ticks
    for position in range(count):
        image_axes = figure.add_subplot(rows, 2 * columns, 2 * position + 1)
        draw_image(image_axes, images[position], probabilities[position], int(true_labels[position]))
        if indices is not None:
            image_axes.set_title(f"#{int(indices[position])}", fontsize=8)
        draw_value_array(
            figure.add_subplot(rows, 2 * columns, 2 * position + 2),
            probabilities[position],
            int(true_labels[position]),
        )
    figure.tight_layout()
    return figure


def value_bar_chart(probabilities: np.ndarray, true_label: int | None = None) -> Figure:
    """One image's bar chart with the 10 class names rotated 45 degrees, as at the tutorial's end."""
    figure = Figure(figsize=(6, 3.4))
    axes = figure.add_subplot()
    bars = draw_value_array(axes, probabilities, true_label)
    axes.set_xticks(range(NUM_CLASSES), class_names(), rotation=45, ha="right", fontsize=10)
    axes.tick_params(axis="x", length=3.5, pad=3.5)  # the full names at matplotlib's usual size
    axes.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    axes.set_ylabel(_("probability"))
    # The predicted bar says so in words (with a mark when the true class is known), above the bar
    predicted = int(np.argmax(probabilities))
    label = _("predicted")
    if true_label is not None:
        mark = RIGHT_MARK if predicted == int(true_label) else WRONG_MARK
        label = f"{mark} {label}"
    axes.set_ylim(0, 1.12)  # room for the label above a bar near 1
    axes.annotate(
        label,
        (predicted, float(bars[predicted].get_height())),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        fontsize=9,
    )
    figure.tight_layout()
    return figure


def confusion_matrix_figure(matrix: np.ndarray, highlight: tuple[int, int] | None = None) -> Figure:
    """A labelled confusion matrix (rows true, columns predicted) with counts in the cells."""
    matrix = np.asarray(matrix)
    figure = Figure(figsize=(7.5, 6.5))
    axes = figure.add_subplot()
    shown = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(shown, ax=axes, fraction=0.046, pad=0.04)
    axes.set_xticks(range(NUM_CLASSES), class_names(), rotation=45, ha="right")
    axes.set_yticks(range(NUM_CLASSES), class_names())
    axes.set_xlabel(_("predicted class"))
    axes.set_ylabel(_("true class"))
    threshold = matrix.max() / 2 if matrix.size else 0
    for true_label in range(matrix.shape[0]):
        for predicted_label in range(matrix.shape[1]):
            count = int(matrix[true_label, predicted_label])
            axes.text(
                predicted_label,
                true_label,
                str(count),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if count > threshold else "black",
            )
    if highlight is not None:
        true_label, predicted_label = highlight
        axes.add_patch(
            Rectangle(
                (predicted_label - 0.5, true_label - 0.5),
                1,
                1,
                fill=False,
                edgecolor=WRONG_COLOUR,
                linewidth=2.5,
            )
        )
    figure.tight_layout()
    return figure


def training_curves(history: list[dict], continued_after: int = 0) -> Figure:
    """Loss and accuracy per epoch, training and validation, a line where a continuation began."""
    figure = Figure(figsize=(9, 3.4))
    epochs = [row["epoch"] for row in history]
    for position, metric in enumerate((N_("loss"), N_("accuracy"))):
        axes = figure.add_subplot(1, 2, position + 1)
        axes.plot(epochs, [row[metric] for row in history], "o-", label=_("training"))
        validation = [row.get(f"val_{metric}") for row in history]
        if any(value is not None for value in validation):
            # An epoch without a validation figure is a gap (NaN) in the line
            axes.plot(epochs, np.asarray(validation, dtype=float), "o--", label=_("validation"))
        if continued_after:
            axes.axvline(continued_after + 0.5, color="grey", linestyle=":", label=_("continued here"))
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(_("epoch"))
        axes.set_title(_(metric))
        axes.grid(True, alpha=0.3)
        axes.legend()
    figure.tight_layout()
    return figure


def class_count_chart(counts: np.ndarray) -> Figure:
    """A bar chart of how many items each class has."""
    figure = Figure(figsize=(7, 3))
    axes = figure.add_subplot()
    axes.bar(range(NUM_CLASSES), counts, color="#4c78a8")
    axes.set_xticks(range(NUM_CLASSES), class_names(), rotation=45, ha="right")
    axes.set_ylabel(_("images"))
    figure.tight_layout()
    return figure


def mean_image_grid(means: np.ndarray) -> Figure:
    """The mean image of each class, with the class names."""
    figure = Figure(figsize=(10, 2.6))
    for label in range(NUM_CLASSES):
        axes = figure.add_subplot(1, NUM_CLASSES, label + 1)
        axes.imshow(means[label], cmap="binary")
        axes.set_xticks([])
        axes.set_yticks([])
        axes.set_xlabel(_(CLASS_NAMES[label]), fontsize=8)
    figure.tight_layout()
    return figure


def pixel_image(image: np.ndarray, scale: int = 8) -> np.ndarray:
    """An image (uint8, or float in [0, 1]) enlarged by whole pixels (no blurring), as uint8."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = unscale_images(image)
    return np.kron(image, np.ones((scale, scale), dtype=np.uint8))


def figure_to_png(figure: Figure, dpi: int = 100) -> bytes:
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def comparison_curves(histories: dict[str, list[dict]]) -> Figure:
    """Several models' loss and accuracy per epoch overlaid: one colour and marker each, validation dashed."""
    figure = Figure(figsize=(10, 3.6))
    colours = [f"C{position}" for position in range(len(histories))]
    markers = ["o", "s", "^", "D", "v", "P"]  # models told apart without colour too
    for position, metric in enumerate((N_("loss"), N_("accuracy"))):
        axes = figure.add_subplot(1, 2, position + 1)
        models = zip(colours, histories.items(), strict=True)
        for model_position, (colour, (name, history)) in enumerate(models):
            marker = markers[model_position % len(markers)]
            epochs = [row["epoch"] for row in history]
            training = [row[metric] for row in history]
            label = _("{name} (training)").format(name=name)
            axes.plot(epochs, training, marker=marker, linestyle="-", color=colour, label=label)
            validation = [row.get(f"val_{metric}") for row in history]
            if any(value is not None for value in validation):
                axes.plot(
                    epochs, np.asarray(validation, dtype=float), marker=marker, linestyle="--",
                    color=colour, alpha=0.7,
                    label=_("{name} (validation)").format(name=name),
                )
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(_("epoch"))
        axes.set_title(_(metric))
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=7)
    figure.tight_layout()
    return figure
