"""Text alternatives of the figures, written from the same numbers the figures are drawn from.

A screen reader announces these instead of "image"; the pages pass them as the images' alt text or
show them next to the figure. Percentages are rounded like the figures' captions.

Over 300 lines: one short sentence builder per figure, each a translated message.
"""

from __future__ import annotations

import numpy as np

from fashion.data.fashion_mnist import CLASS_NAMES, scale_images
from fashion.data.real_photos import trained_on_sentence
from fashion.i18n import ENGLISH, N_, _, current_language, format_number, ngettext
from fashion.training.evaluation import confusion_cells

RIGHT_WORD = N_("right \u2713")
WRONG_WORD = N_("wrong \u2717")


def with_article(class_name: str) -> str:
    """The class name after "a" or "an": "a Coat", "an Ankle boot" (in Chinese, the name alone)."""
    if current_language() != ENGLISH:
        return _(class_name)
    return ("an " if class_name[0].lower() in "aeiou" else "a ") + class_name


def class_name(label: int) -> str:
    """A class's name in the current language."""
    return _(CLASS_NAMES[int(label)])


def count_of(number: int, singular: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: "1 epoch", "1,000 images"; plural when not noun + "s"."""
    if number == 1:
        return f"1 {singular}"
    return f"{number:,} {plural or singular + 's'}"


def photo_doubt_message(score: float, threshold: float, calibrated_on: str) -> tuple[str, str]:
    """The Try page's "none of the ten" warning in words, and the numbers behind it for its help text."""
    words = _(
        "The model is unsure: its top answers are close, and this may be none of the ten classes. "
        "On real photos such doubt often means a wrong answer even for one of the ten. "
        "Its best guess is below, for what it is worth."
    )
    numbers = _(
        "Uncertainty (the entropy of the class probabilities) {score}: above {threshold}, "
        "the level that {calibrated_on} stay under."
    ).format(
        score=format_number(score, decimals=2),
        threshold=format_number(threshold, decimals=2),
        calibrated_on=calibrated_on,
    )
    return words, numbers


def percent(probability: float) -> str:
    """A probability as a whole percentage: 0.914 -> "91 %"."""
    return _("{value} %").format(value=f"{100 * float(probability):.0f}")


def bar_chart_description(probabilities: np.ndarray, true_label: int | None = None, count: int = 3) -> str:
    """The tutorial's bar chart in words.

    For example "Bar chart: Coat 91 %, Pullover 6 %, Shirt 2 %; true class Pullover (wrong ✗)".
    """
    probabilities = np.asarray(probabilities)
    order = np.argsort(-probabilities, kind="stable")[:count]
    text = _("Bar chart: {bars}").format(
        bars=_(", ").join(f"{class_name(label)} {percent(probabilities[label])}" for label in order)
    )
    if true_label is not None:
        verdict = _(RIGHT_WORD) if int(order[0]) == int(true_label) else _(WRONG_WORD)
        text += _("; true class {name} ({verdict})").format(name=class_name(true_label), verdict=verdict)
    return text + _(".")


def prediction_pair_description(index: int, probabilities: np.ndarray, true_label: int) -> str:
    """One test image and its bar chart: what it is, what the model said, and the bar chart in words."""
    predicted = int(np.argmax(probabilities))
    verdict = _(RIGHT_WORD) if predicted == int(true_label) else _(WRONG_WORD)
    return (
        _("Test image #{index}, {true}, predicted {predicted} {percent} ({verdict}).").format(
            index=index,
            true=with_article(CLASS_NAMES[int(true_label)]),
            predicted=class_name(predicted),
            percent=percent(probabilities[predicted]),
            verdict=verdict,
        )
        + " "
        + bar_chart_description(probabilities, true_label)
    )


def prediction_grid_description(indices, probabilities: np.ndarray, true_labels: np.ndarray) -> str:
    """A gallery page: how many images, how many right, and each one's prediction."""
    predicted = np.asarray(probabilities).argmax(axis=1)
    right = int((predicted == np.asarray(true_labels)).sum())
    items = [
        _("#{index} {predicted} {percent} ({verdict}, true {true})").format(
            index=int(index),
            predicted=class_name(predicted[position]),
            percent=percent(probabilities[position].max()),
            verdict=_(RIGHT_WORD) if predicted[position] == true_labels[position] else _(WRONG_WORD),
            true=class_name(true_labels[position]),
        )
        for position, index in enumerate(indices)
    ]
    return _("{count} test images with their bar charts, {right} predicted right: {items}.").format(
        count=len(items), right=right, items=_("; ").join(items)
    )


def sample_grid_description(labels, indices) -> str:
    """The sample grid: its size and every image's index and class, row by row."""
    items = [f"#{int(index)} {class_name(label)}" for index, label in zip(indices, labels, strict=True)]
    return _("A grid of {count} training images, row by row: {items}.").format(
        count=len(items), items=_(", ").join(items)
    )


def augmentation_preview_description(indices, labels, variants: int, augmentation: str) -> str:
    """The Train page's augmentation preview: its top row's images and the augmented versions below."""
    items = [f"#{int(index)} {class_name(label)}" for index, label in zip(indices, labels, strict=True)]
    return _(
        "Preview of the {augmentation} augmentation: the top row holds {count} training images, "
        "left to right: {items}; below each one, {variants} augmented versions of it, one per row."
    ).format(augmentation=_(augmentation), count=len(items), items=_(", ").join(items), variants=variants)


def class_count_description(counts) -> str:
    """The class count bar chart: each class's number of training images."""
    return _("Bar chart of training images per class: {counts}.").format(
        counts=_(", ").join(
            f"{_(name)} {format_number(int(count))}" for name, count in zip(CLASS_NAMES, counts, strict=True)
        )
    )


def sample_image_description(index: int, label: int, image: np.ndarray) -> str:
    """One training image shown large with its colour bar."""
    image = np.asarray(image)
    return _(
        "Training image #{index}, {name}, {width}x{height} pixels, with a colour bar from {low} to {high}."
    ).format(
        index=index,
        name=with_article(CLASS_NAMES[int(label)]),
        width=image.shape[1],
        height=image.shape[0],
        low=int(image.min()),
        high=int(image.max()),
    )


def mean_images_description() -> str:
    """The row of mean images, one per class."""
    return _("The mean image of each class, left to right: {names}.").format(
        names=_(", ").join(_(name) for name in CLASS_NAMES)
    )


def confusion_matrix_description(matrix: np.ndarray, highlight: tuple[int, int] | None = None) -> str:
    """The confusion matrix: how many right, the most frequent mistakes and the highlighted cell."""
    matrix = np.asarray(matrix)
    total = int(matrix.sum())
    right = int(np.trace(matrix))
    text = _(
        "Confusion matrix of {total} test images, true classes in rows, predicted in columns: "
        "{right} on the diagonal ({percent} right)"
    ).format(total=format_number(total), right=format_number(right), percent=percent(right / max(1, total)))
    mistakes = confusion_cells(matrix)[:3]
    if mistakes:
        text += _("; most frequent mistakes: {mistakes}").format(
            mistakes=_(", ").join(
                _("{true} as {predicted} ({count})").format(
                    true=class_name(true), predicted=class_name(predicted), count=format_number(count)
                )
                for true, predicted, count in mistakes
            )
        )
    if highlight is not None:
        true, predicted = highlight
        cell_count = int(matrix[true, predicted])
        text += _("; outlined cell {true} as {predicted} ({count})").format(
            true=class_name(true), predicted=class_name(predicted), count=format_number(cell_count)
        )
    return text + _(". The table below holds every cell.")


def epoch_values(row: dict) -> str:
    """One epoch's losses and accuracies in words, validation where there is one."""
    values = [
        _("training loss {value}").format(value=f"{row['loss']:.3f}"),
        _("training accuracy {value}").format(value=f"{row['accuracy']:.3f}"),
    ]
    if row.get("val_loss") is not None:
        values.append(_("validation loss {value}").format(value=f"{row['val_loss']:.3f}"))
    if row.get("val_accuracy") is not None:
        values.append(_("validation accuracy {value}").format(value=f"{row['val_accuracy']:.3f}"))
    return _(", ").join(values)


def training_curves_description(history: list[dict]) -> str:
    """The loss and accuracy curves: how many epochs and the last epoch's values."""
    if not history:
        return _("Loss and accuracy curves: no epoch has ended yet.")
    last, first = history[-1], history[0]
    return ngettext(
        "Loss and accuracy curves over {count} epoch; epoch {last}: {values} "
        "(epoch {first}: training loss {first_loss}, accuracy {first_accuracy}).",
        "Loss and accuracy curves over {count} epochs; epoch {last}: {values} "
        "(epoch {first}: training loss {first_loss}, accuracy {first_accuracy}).",
        len(history),
    ).format(
        count=format_number(len(history)),
        last=last["epoch"],
        values=epoch_values(last),
        first=first["epoch"],
        first_loss=f"{first['loss']:.3f}",
        first_accuracy=f"{first['accuracy']:.3f}",
    )


def comparison_curves_description(histories: dict[str, list[dict]]) -> str:
    """Several models' curves overlaid: each model's last epoch in words."""
    parts = [
        _("{name}, epoch {epoch}: {values}").format(
            name=name, epoch=history[-1]["epoch"], values=epoch_values(history[-1])
        )
        if history
        else _("{name}: no epochs").format(name=name)
        for name, history in histories.items()
    ]
    return _("Loss and accuracy curves of {count} models; last epochs: {parts}.").format(
        count=len(parts), parts=_("; ").join(parts)
    )


def model_input_description(image: np.ndarray) -> str:
    """The 28x28 model input (uint8, or float in [0, 1]), enlarged: how light the item is and on what."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        image = scale_images(image)
    covered = float((image > 0.5).mean())
    return _(
        "The {width}x{height} grey image the model sees, light item on black, {percent} of its pixels bright."
    ).format(width=image.shape[1], height=image.shape[0], percent=percent(covered))


def per_class_accuracy_description(per_class_accuracy) -> str:
    """The per-class accuracy bar chart in words."""
    return _("Accuracy per class: {values}.").format(
        values=_(", ").join(
            f"{_(name)} {percent(accuracy)}"
            for name, accuracy in zip(CLASS_NAMES, per_class_accuracy, strict=True)
        )
    )


def _where(saliency: np.ndarray) -> str:
    """Where most of a saliency map's mass lies, in words: "the top left", "the middle", ..."""
    total = float(saliency.sum())
    if total <= 0:
        return _("nowhere (no evidence)")
    rows, columns = np.indices(saliency.shape)
    row = float((rows * saliency).sum() / total) / saliency.shape[0]
    column = float((columns * saliency).sum() / total) / saliency.shape[1]
    vertical = "top" if row < 0.4 else "bottom" if row > 0.6 else "middle"
    horizontal = "left" if column < 0.4 else "right" if column > 0.6 else "centre"
    places = {
        ("top", "left"): N_("the top left"), ("top", "centre"): N_("the top centre"),
        ("top", "right"): N_("the top right"), ("middle", "left"): N_("the middle left"),
        ("middle", "centre"): N_("the middle"), ("middle", "right"): N_("the middle right"),
        ("bottom", "left"): N_("the bottom left"), ("bottom", "centre"): N_("the bottom centre"),
        ("bottom", "right"): N_("the bottom right"),
    }  # fmt: skip
    return _(places[vertical, horizontal])


def saliency_description(method: str, saliency_maps: dict) -> str:
    """The saliency panels in words: for each class, where the evidence for it lies."""
    parts = [
        _("for {name} mostly in {place}").format(name=class_name(label), place=_where(np.asarray(saliency)))
        for label, saliency in saliency_maps.items()
    ]
    return _("Saliency by {method}: evidence {parts}.").format(method=_(method), parts=_("; ").join(parts))


def neighbour_descriptions(indices, labels) -> list[str]:
    """Each nearest training image in words, closest first: "Nearest training image 1 of 8: #12, a Coat."."""
    return [
        _("Nearest training image {rank} of {count}: #{index}, {name}.").format(
            rank=rank, count=len(indices), index=int(index), name=with_article(CLASS_NAMES[int(label)])
        )
        for rank, (index, label) in enumerate(zip(indices, labels, strict=True), start=1)
    ]


def embedding_map_description(true_labels: np.ndarray, predicted_labels: np.ndarray) -> str:
    """The map in words: how many points, how many mistakes, and that a click opens one."""
    wrong = int((np.asarray(true_labels) != np.asarray(predicted_labels)).sum())
    return _(
        "Scatter map of {count} test images coloured by true class, {wrong} of them "
        "mistakes shown as crosses; click a point to open its image below."
    ).format(count=format_number(len(true_labels)), wrong=format_number(wrong))


def learning_description(epoch: int, probabilities: np.ndarray, labels) -> str:
    """One epoch of "Watch it learn" in words: how many probe images the model got right."""
    predicted = np.asarray(probabilities).argmax(axis=1)
    right = int((predicted == np.asarray(labels)).sum())
    return _(
        "Epoch {epoch}: {right} of {count} probe images classified right, "
        "and the first layer's weights as images."
    ).format(epoch=epoch, right=right, count=len(labels))


def data_difference_sentence(fashion_only, photo_model) -> str:
    """Why two models answer a photo differently, in one sentence: the data each saw (store entries)."""
    fashion_record = fashion_only.record or {}
    fashion_data = fashion_record.get("trained_on")
    if not fashion_data and isinstance(fashion_record.get("train_count"), int):
        fashion_data = {"fashion_mnist": fashion_record["train_count"]}
    photo_trained_on = (photo_model.record or {}).get("trained_on")
    photo_data = _("Fashion-MNIST and real photos")  # an older record does not count them
    if photo_trained_on:
        photo_data = trained_on_sentence(photo_trained_on)
    return _(
        "They differ by the data they saw: {fashion_only} learnt from {fashion_data} alone, studio "
        "pictures of one item, light on black; {photo_model} learnt from {photo_data}, with real "
        "backgrounds, light and pairs of shoes."
    ).format(
        fashion_only=fashion_only.name,
        fashion_data=trained_on_sentence(fashion_data),
        photo_model=photo_model.name,
        photo_data=photo_data,
    )
