"""Saliency, nearest training images and the embedding map, on models whose answers we know."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from fashion.errors import ExplanationError
from fashion.explain import explanation_plots
from fashion.explain import explanations as explain
from fashion.store import model_store as store

REGION = (slice(4, 12), slice(16, 24))  # rows 4-11, columns 16-23


def region_mask() -> np.ndarray:
    mask = np.zeros((28, 28), dtype=bool)
    mask[REGION] = True
    return mask


def one_region_dense_model():
    """A dense net whose class 3 reads only the pixels of REGION (all other weights are zero)."""
    import keras

    model = keras.Sequential(
        [keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    )
    kernel = np.zeros((784, 10), dtype=np.float32)
    kernel[region_mask().reshape(-1), 3] = 0.5
    model.layers[-1].set_weights([kernel, np.zeros(10, dtype=np.float32)])
    return model


def one_region_cnn_model():
    """A small CNN whose classifier reads only the 7x7 map's cells under REGION."""
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    generator = np.random.default_rng(0)
    for layer in model.layers[1:3]:
        kernel, bias = layer.get_weights()
        layer.set_weights([np.abs(generator.normal(size=kernel.shape)).astype(np.float32), bias])
    cells = np.zeros((7, 7, 4), dtype=bool)
    cells[1:3, 4:6, :] = True  # the 7x7 cells covering rows 4-11 and columns 16-23
    dense_kernel = np.zeros((7 * 7 * 4, 8), dtype=np.float32)
    dense_kernel[cells.reshape(-1), :] = 0.1
    model.layers[-2].set_weights([dense_kernel, np.zeros(8, dtype=np.float32)])
    classifier = np.zeros((8, 10), dtype=np.float32)
    classifier[:, 3] = 1.0
    model.layers[-1].set_weights([classifier, np.zeros(10, dtype=np.float32)])
    return model


@pytest.mark.parametrize("build", [one_region_dense_model, one_region_cnn_model])
def test_saliency_of_a_model_that_reads_one_region_lies_in_that_region(build):
    model = build()
    image = np.full((28, 28), 0.5, dtype=np.float32)  # evidence everywhere; only the region is read
    saliency = explain.saliency_map(model, image, 3)
    assert saliency.shape == (28, 28)
    assert saliency.max() == pytest.approx(1.0)
    grown = np.zeros((28, 28), dtype=bool)
    grown[2:14, 14:26] = True  # the region plus the upsampling's blur of one 4-pixel cell
    assert saliency[grown].sum() / saliency.sum() > 0.95
    assert saliency[REGION].sum() / saliency.sum() > 0.6


def test_saliency_method_follows_the_architecture():
    assert explain.saliency_method(one_region_dense_model()) == "integrated gradients"
    assert explain.saliency_method(one_region_cnn_model()) == "Grad-CAM"


def test_a_model_without_a_ten_class_dense_end_is_refused():
    import keras

    model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(4)])
    with pytest.raises(ExplanationError, match="Dense\\(10\\)"):
        explain.saliency_map(model, np.zeros((28, 28), np.float32), 0)


def test_a_class_out_of_range_is_refused():
    with pytest.raises(ExplanationError, match="between 0 and 9"):
        explain.saliency_map(one_region_dense_model(), np.zeros((28, 28), np.float32), 10)


def test_a_training_image_is_its_own_nearest_neighbour(loaded_model, store_with_model, small_dataset):
    entry = store.get_entry("small-tutorial")
    features = explain.training_features(loaded_model, entry.path, small_dataset.train_images)
    assert features.shape == (len(small_dataset.train_images), 128)
    index = explain.NeighbourIndex(features)
    for image_number in (0, 123, 999):
        query = explain.penultimate_features(loaded_model, small_dataset.train_images[image_number])
        nearest, distances = index.query(query[0], count=6)
        assert nearest[0] == image_number
        assert distances[0] == pytest.approx(0.0, abs=1e-3)
        assert list(distances) == sorted(distances)
        assert len(set(nearest)) == 6


def test_training_features_are_cached_beside_the_model(loaded_model, store_with_model, small_dataset):
    entry = store.get_entry("small-tutorial")
    first = explain.training_features(loaded_model, entry.path, small_dataset.train_images)
    cached = list((entry.path / explain.CACHE_FOLDER).glob("train-features-*.npz"))
    assert len(cached) == 1
    # Another data set gets its own cache file, which replaces the old one.
    explain.training_features(loaded_model, entry.path, small_dataset.train_images[:100])
    replaced = list((entry.path / explain.CACHE_FOLDER).glob("train-features-*.npz"))
    assert len(replaced) == 1 and replaced != cached
    # The store still lists the model, with its cache folder inside.
    assert [model.name for model in store.list_models()] == ["small-tutorial"]
    np.testing.assert_allclose(
        first[:100], explain.training_features(loaded_model, entry.path, small_dataset.train_images)[:100]
    )


def test_feature_progress_climbs_to_the_total_and_is_silent_when_cached(
    loaded_model, store_with_model, small_dataset
):
    entry = store.get_entry("small-tutorial")
    images = small_dataset.train_images[:900]  # two chunks of at most 512
    heard = []

    def listen(done, total):
        heard.append((done, total))

    explain.training_features(loaded_model, entry.path, images, listen)
    assert heard == [(512, 900), (900, 900)]
    heard.clear()
    explain.training_features(loaded_model, entry.path, images, listen)
    assert heard == []


def test_the_map_is_reused_and_rebuilt_when_the_model_changes(loaded_model, store_with_model, small_dataset):
    entry = store.get_entry("small-tutorial")
    first = explain.embedding_map(
        loaded_model, entry.path, small_dataset.test_images, small_dataset.test_labels, size=200
    )
    assert first.coordinates.shape == (200, 2)
    assert np.bincount(small_dataset.test_labels[first.indices], minlength=10).tolist() == [20] * 10
    cache_file = next((entry.path / explain.CACHE_FOLDER).glob("map-*.npz"))
    written = cache_file.stat().st_mtime_ns
    again = explain.embedding_map(
        loaded_model, entry.path, small_dataset.test_images, small_dataset.test_labels, size=200
    )
    assert cache_file.stat().st_mtime_ns == written  # read back, not rebuilt
    np.testing.assert_array_equal(again.coordinates, first.coordinates)
    # The projection of a point's own features lands where the map put it.
    features = explain.penultimate_features(loaded_model, small_dataset.test_images[first.indices[:5]])
    np.testing.assert_allclose(first.project(features), first.coordinates[:5], atol=1e-3)

    # A changed model (new weights saved over the old file) gets a new map.
    weights = loaded_model.get_weights()
    loaded_model.set_weights([weight * 0.5 for weight in weights])
    loaded_model.save(entry.model_path)
    os.utime(entry.model_path, ns=(written + 10**9, written + 10**9))
    changed = explain.embedding_map(
        loaded_model, entry.path, small_dataset.test_images, small_dataset.test_labels, size=200
    )
    assert not cache_file.exists()
    assert len(list((entry.path / explain.CACHE_FOLDER).glob("map-*.npz"))) == 1
    assert not np.allclose(changed.coordinates, first.coordinates)


def test_the_figures_draw(loaded_model, small_dataset):
    image = small_dataset.test_images[0]
    probabilities = np.full(10, 0.1, dtype=np.float32)
    saliency = {
        3: explain.saliency_map(loaded_model, image, 3),
        5: explain.saliency_map(loaded_model, image, 5),
    }
    figure = explanation_plots.saliency_figure(image, probabilities, 5, saliency, "integrated gradients")
    assert len(figure.axes) == 4
    titles = [axes.get_title() for axes in figure.axes]
    assert any("Dress" in title for title in titles) and any("Sandal" in title for title in titles)
    neighbours = explanation_plots.neighbours_figure(
        small_dataset.train_images[:5], small_dataset.train_labels[:5], np.zeros(5), np.arange(5)
    )
    assert len(neighbours.axes) == 5


def test_cli_explains_a_test_index_and_writes_the_saliency_png(
    store_with_model, use_small_data, small_dataset, tmp_path, capsys
):
    from fashion.cli import main

    output = tmp_path / "why.png"
    assert main(["explain", "5", "--json", "--output", str(output)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "small-tutorial" and result["true_label"] == int(small_dataset.test_labels[5])
    assert result["saliency_method"] == "integrated gradients"
    assert len(result["top3"]) == 3 and len(result["neighbours"]) == explain.NEIGHBOUR_COUNT
    for neighbour in result["neighbours"]:
        assert neighbour["label"] == int(small_dataset.train_labels[neighbour["index"]])
    assert Image.open(output).format == "PNG"


def test_cli_explains_an_image_file_and_refuses_bad_input(
    store_with_model, use_small_data, small_dataset, tmp_path, capsys, monkeypatch
):
    from fashion.cli import main

    monkeypatch.chdir(tmp_path)
    photo = tmp_path / "boot.png"
    Image.fromarray(255 - np.asarray(small_dataset.test_images[0])).resize((112, 112)).save(photo)
    assert main(["explain", str(photo)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(f"{photo}: ") and lines[1].startswith("Nearest training images: #")
    assert (tmp_path / "saliency-boot.png").is_file()
    assert main(["explain", "99999"]) == 2
    assert capsys.readouterr().err.startswith("error: test index 99999 is out of range")
    assert main(["explain", str(tmp_path / "missing.png")]) == 2
    assert "cannot be read" in capsys.readouterr().err
