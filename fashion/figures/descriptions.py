"""Text alternatives of the figures, written from the same numbers the figures are drawn from.

A screen reader announces these instead of "image"; the pages pass them as the images' alt text or
show them next to the figure. Percentages are rounded like the figures' captions.
"""

from __future__ import annotations

import numpy as np

from fashion.data.fashion_mnist import CLASS_NAMES, scale_images
from fashion.training.evaluation import confusion_cells

RIGHT_WORD = "right \u2713"
WRONG_WORD = "wrong \u2717"


def with_article(class_name: str) -> str:
    """The class name after "a" or "an": "a Coat", "an Ankle boot"."""
    return ("an " if class_name[0].lower() in "aeiou" else "a ") + class_name


def count_of(number: int, singular: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: "1 epoch", "1,000 images"; plural when not noun + "s"."""
    if number == 1:
        return f"1 {singular}"
    return f"{number:,} {plural or singular + 's'}"


def photo_doubt_message(score: float, threshold: float, calibrated_on: str) -> tuple[str, str]:
    """The Try page's "none of the ten" warning in words, and the numbers behind it for its help text."""
    words = (
        "The model is unsure: its top answers are close, and this may be none of the ten classes. "
        "On real photos such doubt often means a wrong answer even for one of the ten. "
        "Its best guess is below, for what it is worth."
    )
    numbers = (
        f"Uncertainty (the entropy of the class probabilities) {score:.2f}: above {threshold:.2f}, "
        f"the level that {calibrated_on} stay under."
    )
    return words, numbers


def percent(probability: float) -> str:
    """A probability as a whole percentage: 0.914 -> "91 %"."""
    return f"{100 * float(probability):.0f} %"


def bar_chart_description(probabilities: np.ndarray, true_label: int | None = None, count: int = 3) -> str:
    """The tutorial's bar chart in words.

    For example "Bar chart: Coat 91 %, Pullover 6 %, Shirt 2 %; true class Pullover (wrong ✗)".
    """
    probabilities = np.asarray(probabilities)
    order = np.argsort(-probabilities, kind="stable")[:count]
    text = "Bar chart: " + ", ".join(
        f"{CLASS_NAMES[label]} {percent(probabilities[label])}" for label in order
    )
    if true_label is not None:
        verdict = RIGHT_WORD if int(order[0]) == int(true_label) else WRONG_WORD
        text += f"; true class {CLASS_NAMES[int(true_label)]} ({verdict})"
    return text + "."


def prediction_pair_description(index: int, probabilities: np.ndarray, true_label: int) -> str:
    """One test image and its bar chart: what it is, what the model said, and the bar chart in words."""
    predicted = int(np.argmax(probabilities))
    verdict = RIGHT_WORD if predicted == int(true_label) else WRONG_WORD
    return (
        f"Test image #{index}, {with_article(CLASS_NAMES[int(true_label)])}, "
        f"predicted {CLASS_NAMES[predicted]} "
        f"{percent(probabilities[predicted])} ({verdict}). "
        + bar_chart_description(probabilities, true_label)
    )


def prediction_grid_description(indices, probabilities: np.ndarray, true_labels: np.ndarray) -> str:
    """A gallery page: how many images, how many right, and each one's prediction."""
    predicted = np.asarray(probabilities).argmax(axis=1)
    right = int((predicted == np.asarray(true_labels)).sum())
    items = [
        f"#{int(index)} {CLASS_NAMES[int(predicted[position])]} {percent(probabilities[position].max())}"
        f" ({RIGHT_WORD if predicted[position] == true_labels[position] else WRONG_WORD},"
        f" true {CLASS_NAMES[int(true_labels[position])]})"
        for position, index in enumerate(indices)
    ]
    return (
        f"{len(items)} test images with their bar charts, {right} predicted right: " + "; ".join(items) + "."
    )


def sample_grid_description(labels, indices) -> str:
    """The sample grid: its size and every image's index and class, row by row."""
    items = [f"#{int(index)} {CLASS_NAMES[int(label)]}" for index, label in zip(indices, labels, strict=True)]
    return f"A grid of {len(items)} training images, row by row: " + ", ".join(items) + "."


def augmentation_preview_description(indices, labels, variants: int, augmentation: str) -> str:
    """The Train page's augmentation preview: its top row's images and the augmented versions below."""
    items = [f"#{int(index)} {CLASS_NAMES[int(label)]}" for index, label in zip(indices, labels, strict=True)]
    return (
        f"Preview of the {augmentation} augmentation: the top row holds {len(items)} training images, "
        "left to right: "
        + ", ".join(items)
        + f"; below each one, {variants} augmented versions of it, one per row."
    )


def class_count_description(counts) -> str:
    """The class count bar chart: each class's number of training images."""
    return (
        "Bar chart of training images per class: "
        + ", ".join(f"{name} {int(count):,}" for name, count in zip(CLASS_NAMES, counts, strict=True))
        + "."
    )


def sample_image_description(index: int, label: int, image: np.ndarray) -> str:
    """One training image shown large with its colour bar."""
    image = np.asarray(image)
    return (
        f"Training image #{index}, {with_article(CLASS_NAMES[int(label)])}, "
        f"{image.shape[1]}x{image.shape[0]} pixels, "
        f"with a colour bar from {int(image.min())} to {int(image.max())}."
    )


def mean_images_description() -> str:
    """The row of mean images, one per class."""
    return "The mean image of each class, left to right: " + ", ".join(CLASS_NAMES) + "."


def confusion_matrix_description(matrix: np.ndarray, highlight: tuple[int, int] | None = None) -> str:
    """The confusion matrix: how many right, the most frequent mistakes and the highlighted cell."""
    matrix = np.asarray(matrix)
    total = int(matrix.sum())
    right = int(np.trace(matrix))
    text = (
        f"Confusion matrix of {total:,} test images, true classes in rows, predicted in columns: "
        f"{right:,} on the diagonal ({percent(right / max(1, total))} right)"
    )
    mistakes = confusion_cells(matrix)[:3]
    if mistakes:
        text += "; most frequent mistakes: " + ", ".join(
            f"{CLASS_NAMES[true]} as {CLASS_NAMES[predicted]} ({count:,})"
            for true, predicted, count in mistakes
        )
    if highlight is not None:
        true, predicted = highlight
        cell_count = int(matrix[true, predicted])
        text += f"; outlined cell {CLASS_NAMES[true]} as {CLASS_NAMES[predicted]} ({cell_count:,})"
    return text + ". The table below holds every cell."


def epoch_values(row: dict) -> str:
    """One epoch's losses and accuracies in words, validation where there is one."""
    values = [f"training loss {row['loss']:.3f}", f"training accuracy {row['accuracy']:.3f}"]
    if row.get("val_loss") is not None:
        values.append(f"validation loss {row['val_loss']:.3f}")
    if row.get("val_accuracy") is not None:
        values.append(f"validation accuracy {row['val_accuracy']:.3f}")
    return ", ".join(values)


def training_curves_description(history: list[dict]) -> str:
    """The loss and accuracy curves: how many epochs and the last epoch's values."""
    if not history:
        return "Loss and accuracy curves: no epoch has ended yet."
    last, first = history[-1], history[0]
    return (
        f"Loss and accuracy curves over {count_of(len(history), 'epoch')}; "
        f"epoch {last['epoch']}: {epoch_values(last)}"
        f" (epoch {first['epoch']}: training loss {first['loss']:.3f}, accuracy {first['accuracy']:.3f})."
    )


def comparison_curves_description(histories: dict[str, list[dict]]) -> str:
    """Several models' curves overlaid: each model's last epoch in words."""
    parts = [
        f"{name}, epoch {history[-1]['epoch']}: {epoch_values(history[-1])}"
        if history
        else f"{name}: no epochs"
        for name, history in histories.items()
    ]
    return f"Loss and accuracy curves of {len(parts)} models; last epochs: " + "; ".join(parts) + "."


def model_input_description(image: np.ndarray) -> str:
    """The 28x28 model input (uint8, or float in [0, 1]), enlarged: how light the item is and on what."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        image = scale_images(image)
    covered = float((image > 0.5).mean())
    return (
        f"The {image.shape[1]}x{image.shape[0]} grey image the model sees, light item on black, "
        f"{percent(covered)} of its pixels bright."
    )


def per_class_accuracy_description(per_class_accuracy) -> str:
    """The per-class accuracy bar chart in words."""
    return (
        "Accuracy per class: "
        + ", ".join(
            f"{name} {percent(accuracy)}"
            for name, accuracy in zip(CLASS_NAMES, per_class_accuracy, strict=True)
        )
        + "."
    )


def _where(saliency: np.ndarray) -> str:
    """Where most of a saliency map's mass lies, in words: "the top left", "the middle", ..."""
    total = float(saliency.sum())
    if total <= 0:
        return "nowhere (no evidence)"
    rows, columns = np.indices(saliency.shape)
    row = float((rows * saliency).sum() / total) / saliency.shape[0]
    column = float((columns * saliency).sum() / total) / saliency.shape[1]
    vertical = "top" if row < 0.4 else "bottom" if row > 0.6 else "middle"
    horizontal = "left" if column < 0.4 else "right" if column > 0.6 else "centre"
    return "the middle" if (vertical, horizontal) == ("middle", "centre") else f"the {vertical} {horizontal}"


def saliency_description(method: str, saliency_maps: dict) -> str:
    """The saliency panels in words: for each class, where the evidence for it lies."""
    parts = [
        f"for {CLASS_NAMES[int(label)]} mostly in {_where(np.asarray(saliency))}"
        for label, saliency in saliency_maps.items()
    ]
    return f"Saliency by {method}: evidence " + "; ".join(parts) + "."


def neighbour_descriptions(indices, labels) -> list[str]:
    """Each nearest training image in words, closest first: "Nearest training image 1 of 8: #12, a Coat."."""
    return [
        f"Nearest training image {rank} of {len(indices)}: "
        f"#{int(index)}, {with_article(CLASS_NAMES[int(label)])}."
        for rank, (index, label) in enumerate(zip(indices, labels, strict=True), start=1)
    ]


def embedding_map_description(true_labels: np.ndarray, predicted_labels: np.ndarray) -> str:
    """The map in words: how many points, how many mistakes, and that a click opens one."""
    wrong = int((np.asarray(true_labels) != np.asarray(predicted_labels)).sum())
    return (
        f"Scatter map of {len(true_labels):,} test images coloured by true class, {wrong:,} of them "
        "mistakes shown as crosses; click a point to open its image below."
    )


def learning_description(epoch: int, probabilities: np.ndarray, labels) -> str:
    """One epoch of "Watch it learn" in words: how many probe images the model got right."""
    predicted = np.asarray(probabilities).argmax(axis=1)
    right = int((predicted == np.asarray(labels)).sum())
    return (
        f"Epoch {epoch}: {right} of {len(labels)} probe images classified right, "
        "and the first layer's weights as images."
    )
