"""Text alternatives of the figures: written from the figures' own numbers, right/wrong said in words."""

from __future__ import annotations

import numpy as np

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.figures import descriptions
from fashion.figures.tables import pixel_table_html, relative_luminance, text_colour_on_grey


def probabilities_with(values: dict[int, float]) -> np.ndarray:
    probabilities = np.zeros(10, dtype=np.float32)
    for label, value in values.items():
        probabilities[label] = value
    return probabilities


def test_bar_chart_names_the_top_three_and_the_true_class():
    coat_not_pullover = probabilities_with({4: 0.912, 2: 0.061, 6: 0.02, 0: 0.007})
    assert descriptions.bar_chart_description(coat_not_pullover, 2) == (
        "Bar chart: Coat 91 %, Pullover 6 %, Shirt 2 %; true class Pullover (wrong \u2717)."
    )
    assert descriptions.bar_chart_description(coat_not_pullover, 4).endswith(
        "true class Coat (right \u2713)."
    )
    assert (
        descriptions.bar_chart_description(coat_not_pullover)
        == "Bar chart: Coat 91 %, Pullover 6 %, Shirt 2 %."
    )


def test_prediction_pair_and_grid_say_right_or_wrong_for_each_image():
    right = probabilities_with({9: 0.97, 7: 0.03})
    wrong = probabilities_with({0: 0.55, 6: 0.45})
    pair = descriptions.prediction_pair_description(12, wrong, 6)
    assert pair.startswith("Test image #12, a Shirt, predicted T-shirt/top 55 % (wrong \u2717). Bar chart:")
    grid = descriptions.prediction_grid_description([3, 8], np.stack([right, wrong]), np.array([9, 6]))
    assert grid == (
        "2 test images with their bar charts, 1 predicted right: "
        "#3 Ankle boot 97 % (right \u2713, true Ankle boot); #8 T-shirt/top 55 % (wrong \u2717, true Shirt)."
    )


def test_sample_grid_lists_every_label_in_order():
    labels = np.arange(25) % 10
    text = descriptions.sample_grid_description(labels, range(100, 125))
    assert text.startswith("A grid of 25 training images, row by row: #100 T-shirt/top, #101 Trouser,")
    assert text.count("#") == 25 and text.endswith("#124 Coat.")


def test_curves_say_the_last_epoch_values():
    history = [
        {"epoch": 1, "loss": 0.61, "accuracy": 0.79, "val_loss": 0.5, "val_accuracy": 0.82},
        {"epoch": 2, "loss": 0.4123, "accuracy": 0.8567, "val_loss": 0.45, "val_accuracy": 0.84},
    ]
    text = descriptions.training_curves_description(history)
    assert "over 2 epochs; epoch 2: training loss 0.412, training accuracy 0.857" in text
    assert "validation loss 0.450, validation accuracy 0.840" in text
    no_validation = descriptions.training_curves_description([{"epoch": 1, "loss": 1.0, "accuracy": 0.5}])
    assert "validation" not in no_validation
    assert "no epoch" in descriptions.training_curves_description([])


def test_confusion_matrix_counts_right_mistakes_and_the_outlined_cell():
    matrix = np.diag(np.full(10, 8))
    matrix[6, 0] = 5
    matrix[2, 4] = 3
    text = descriptions.confusion_matrix_description(matrix, highlight=(2, 4))
    assert text.startswith("Confusion matrix of 88 test images")
    assert "80 on the diagonal (91 % right)" in text
    assert "most frequent mistakes: Shirt as T-shirt/top (5), Pullover as Coat (3)" in text
    assert "outlined cell Pullover as Coat (3)" in text


def test_counts_sample_and_means_name_the_classes():
    assert descriptions.class_count_description(np.full(10, 6000)).count("6,000") == 10
    image = np.arange(784).reshape(28, 28) % 200
    assert descriptions.sample_image_description(5, 9, image) == (
        "Training image #5, an Ankle boot, 28x28 pixels, with a colour bar from 0 to 199."
    )
    assert all(name in descriptions.mean_images_description() for name in CLASS_NAMES)
    per_class = descriptions.per_class_accuracy_description(np.linspace(0.5, 0.95, 10))
    assert per_class.startswith("Accuracy per class: T-shirt/top 50 %") and per_class.endswith(
        "Ankle boot 95 %."
    )


def test_pixel_table_text_contrasts_with_every_grey():
    for level in range(256):
        luminance = relative_luminance(level)
        colour = text_colour_on_grey(level)
        ratio = (luminance + 0.05) / 0.05 if colour == "#000" else 1.05 / (luminance + 0.05)
        assert ratio >= 4.5, (level, colour, ratio)
    table = pixel_table_html(np.zeros((2, 2), dtype=np.uint8), label="Raw pixel values of training image #3")
    assert 'role="region" aria-label="Raw pixel values of training image #3" tabindex="0"' in table


def test_comparison_curves_give_each_models_last_epoch():
    histories = {
        "small": [{"epoch": 1, "loss": 0.6, "accuracy": 0.8}, {"epoch": 2, "loss": 0.5, "accuracy": 0.85}],
        "quick": [{"epoch": 1, "loss": 0.7, "accuracy": 0.75, "val_loss": 0.72, "val_accuracy": 0.74}],
    }
    assert descriptions.comparison_curves_description(histories) == (
        "Loss and accuracy curves of 2 models; last epochs: small, epoch 2: training loss 0.500, "
        "training accuracy 0.850; quick, epoch 1: training loss 0.700, training accuracy 0.750, "
        "validation loss 0.720, validation accuracy 0.740."
    )


def test_augmentation_preview_names_the_top_row_and_the_augmented_rows():
    assert descriptions.augmentation_preview_description([12, 7], [4, 9], 3, "photo") == (
        "Preview of the photo augmentation: the top row holds 2 training images, left to right: "
        "#12 Coat, #7 Ankle boot; below each one, 3 augmented versions of it, one per row."
    )
