"""The tutorial's figures and ours: what is drawn, in which colour, with which caption."""

from __future__ import annotations

import re

import numpy as np
from colour_vision import COLOUR_BLINDNESS, cielab_as_seen
from matplotlib.colors import to_hex

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.figures import plots


def probabilities_for(predicted: int, confidence: float = 0.9) -> np.ndarray:
    values = np.full(10, (1 - confidence) / 9, dtype=np.float32)
    values[predicted] = confidence
    return values


def test_caption_follows_the_tutorial_with_a_mark():
    assert plots.prediction_caption(probabilities_for(9, 0.901), 9) == "\u2713 Ankle boot 90% (Ankle boot)"
    assert plots.prediction_caption(probabilities_for(0, 0.55), 6) == "\u2717 T-shirt/top 55% (Shirt)"
    assert (
        plots.prediction_caption(probabilities_for(0, 0.55), 6, with_mark=False) == "T-shirt/top 55% (Shirt)"
    )


def test_pair_is_blue_when_right_and_red_when_wrong():
    image = np.zeros((28, 28), dtype=np.uint8)
    right = plots.prediction_pair(image, probabilities_for(9), 9)
    wrong = plots.prediction_pair(image, probabilities_for(0), 6)
    assert right.axes[0].xaxis.label.get_color() == plots.RIGHT_COLOUR
    assert wrong.axes[0].xaxis.label.get_color() == plots.WRONG_COLOUR
    bars = wrong.axes[1].patches
    assert len(bars) == 10
    assert to_hex(bars[0].get_facecolor()) == plots.WRONG_COLOUR
    assert to_hex(bars[6].get_facecolor()) == plots.RIGHT_COLOUR
    assert to_hex(bars[3].get_facecolor()) == plots.NEUTRAL_BAR_COLOUR
    assert wrong.axes[1].get_ylim() == (0.0, 1.0)
    # Not by colour alone: only the predicted bar is hatched and outlined, right or wrong
    assert [bar.get_hatch() for bar in bars] == [plots.PREDICTED_HATCH] + [None] * 9
    assert right.axes[1].patches[9].get_hatch() == plots.PREDICTED_HATCH
    assert to_hex(right.axes[1].patches[9].get_facecolor()) == plots.RIGHT_COLOUR


def test_bar_chart_marks_the_predicted_bar_in_words():
    def annotations(chart):
        return [text.get_text() for text in chart.axes[0].texts]

    assert annotations(plots.value_bar_chart(probabilities_for(0), 6)) == ["\u2717 predicted"]
    assert annotations(plots.value_bar_chart(probabilities_for(6), 6)) == ["\u2713 predicted"]
    assert annotations(plots.value_bar_chart(probabilities_for(6))) == ["predicted"]


def test_prediction_grid_is_five_rows_by_three_pairs():
    images = np.zeros((20, 28, 28), dtype=np.uint8)
    probabilities = np.stack([probabilities_for(index % 10) for index in range(20)])
    figure = plots.prediction_grid(images, probabilities, np.zeros(20, dtype=int))
    assert len(figure.axes) == 30
    colours = [figure.axes[index].xaxis.label.get_color() for index in range(0, 30, 2)]
    assert colours[0] == plots.RIGHT_COLOUR and colours.count(plots.WRONG_COLOUR) == 13


def test_prediction_grid_of_a_few_images_has_no_empty_rows():
    images = np.zeros((5, 28, 28), dtype=np.uint8)
    probabilities = np.stack([probabilities_for(index) for index in range(5)])
    full = plots.prediction_grid(
        np.zeros((15, 28, 28)), np.tile(probabilities, (3, 1)), np.zeros(15, dtype=int)
    )
    few = plots.prediction_grid(images, probabilities, np.zeros(5, dtype=int))
    assert len(few.axes) == 10
    assert few.get_size_inches()[1] == full.get_size_inches()[1] * 2 / 5


def test_sample_grid_and_bar_chart_with_class_names():
    images = np.zeros((25, 28, 28), dtype=np.uint8)
    labels = np.arange(25) % 10
    grid = plots.sample_grid(images, labels)
    assert [axes.get_xlabel() for axes in grid.axes][:10] == CLASS_NAMES
    chart = plots.value_bar_chart(probabilities_for(9), 9)
    labels_drawn = [tick.get_text() for tick in chart.axes[0].get_xticklabels()]
    assert labels_drawn == CLASS_NAMES
    assert chart.axes[0].get_xticklabels()[0].get_rotation() == 45


def test_other_figures_render_to_png():
    matrix = np.arange(100).reshape(10, 10)
    history = [
        {"epoch": 1, "loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.79},
        {"epoch": 2, "loss": 0.4, "accuracy": 0.85, "val_loss": 0.5, "val_accuracy": 0.82},
    ]
    for figure in (
        plots.image_with_colorbar(np.arange(784).reshape(28, 28) % 256),
        plots.confusion_matrix_figure(matrix, highlight=(6, 0)),
        plots.training_curves(history),
        plots.class_count_chart(np.full(10, 6000)),
        plots.mean_image_grid(np.zeros((10, 28, 28))),
    ):
        png = plots.figure_to_png(figure)
        assert png.startswith(b"\x89PNG")
    assert len(plots.image_with_colorbar(np.zeros((28, 28))).axes) == 2


def test_pixel_image_enlarges_without_blurring():
    image = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    enlarged = plots.pixel_image(image, scale=3)
    assert enlarged.shape == (6, 6) and enlarged.dtype == np.uint8
    assert set(np.unique(enlarged)) == {0, 255}


def test_pixel_table_shades_cells_like_the_pixels():
    from fashion.figures.tables import pixel_table_html

    def cell_style(table: str, cell: str) -> str:
        return re.search(rf"_{cell} {{\s*([^}}]*)}}", table).group(1).split()

    table = pixel_table_html(np.array([[0, 255]], dtype=np.uint8))
    assert table.count("<td") == 2 and ">0</td>" in table and ">255</td>" in table
    assert cell_style(table, "row0_col0") == ["background-color:", "rgb(255,255,255);", "color:", "#000;"]
    assert cell_style(table, "row0_col1") == ["background-color:", "rgb(0,0,0);", "color:", "#fff;"]
    scaled = pixel_table_html(np.array([[0.5]], dtype=np.float32), "{:.2f}")
    assert ">0.50</td>" in scaled and "rgb(128,128,128);" in cell_style(scaled, "row0_col0")


def test_right_and_wrong_colours_stay_apart_for_colour_blind_eyes():
    for deficiency in (None, *COLOUR_BLINDNESS):
        right, wrong, neutral = (
            cielab_as_seen(colour, deficiency)
            for colour in (plots.RIGHT_COLOUR, plots.WRONG_COLOUR, plots.NEUTRAL_BAR_COLOUR)
        )
        assert np.linalg.norm(right - wrong) > 80, deficiency
        assert min(np.linalg.norm(right - neutral), np.linalg.norm(wrong - neutral)) > 25, deficiency
    # The tutorial's pure red was hard to tell from the grey bars for a protanope (distance 49)
    assert np.linalg.norm(cielab_as_seen("red", "protanopia") - cielab_as_seen("#777777", "protanopia")) < 50


def test_bar_chart_without_a_true_class_marks_no_bar_wrong():
    from matplotlib.colors import to_hex

    chart = plots.value_bar_chart(probabilities_for(3))
    colours = [to_hex(bar.get_facecolor()) for bar in chart.axes[0].patches]
    assert colours[3] == to_hex(plots.PREDICTED_COLOUR)
    assert to_hex(plots.WRONG_COLOUR) not in colours and to_hex(plots.RIGHT_COLOUR) not in colours
    chart = plots.value_bar_chart(probabilities_for(3), 5)
    known = [to_hex(bar.get_facecolor()) for bar in chart.axes[0].patches]
    assert known[3] == to_hex(plots.WRONG_COLOUR) and known[5] == to_hex(plots.RIGHT_COLOUR)
