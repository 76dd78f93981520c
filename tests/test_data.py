"""The IDX loader: real files, small files written here, and every kind of broken file."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fashion.data import fashion_mnist as data
from fashion.data.fashion_mnist import (
    CLASS_NAMES,
    TEST_IMAGES,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    Dataset,
    load_dataset,
    write_dataset,
)
from fashion.errors import DatasetError

REPOSITORY = Path(__file__).resolve().parent.parent


def tiny_dataset(train_count: int = 40, test_count: int = 20) -> Dataset:
    generator = np.random.default_rng(0)
    return Dataset(
        generator.integers(0, 256, (train_count, 28, 28), dtype=np.uint8),
        np.arange(train_count, dtype=np.uint8) % 10,
        generator.integers(0, 256, (test_count, 28, 28), dtype=np.uint8),
        np.arange(test_count, dtype=np.uint8) % 10,
        "tiny",
    )


@pytest.fixture
def tiny_dir(tmp_path, monkeypatch):
    write_dataset(tmp_path, tiny_dataset())
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    return tmp_path


def test_class_names_are_the_tutorials():
    assert CLASS_NAMES == [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]


def test_small_files_round_trip_as_read_only_uint8(tiny_dir):
    loaded = load_dataset(allow_download=False)
    original = tiny_dataset()
    assert loaded.train_images.shape == (40, 28, 28)
    assert loaded.train_images.dtype == np.uint8
    np.testing.assert_array_equal(loaded.train_images, original.train_images)
    np.testing.assert_array_equal(loaded.test_labels, original.test_labels)
    with pytest.raises(ValueError):
        loaded.train_images[0, 0, 0] = 1
    assert not loaded.is_full


def test_missing_file_names_the_file_and_the_fix(tiny_dir):
    (tiny_dir / TRAIN_LABELS.file_name).unlink()
    with pytest.raises(DatasetError) as raised:
        load_dataset(allow_download=False)
    message = str(raised.value)
    assert TRAIN_LABELS.file_name in message and "missing" in message
    assert "dataset-fashion-mnist" in message and "FASHION_MNIST_DIR" in message


def test_truncated_gzip_is_reported(tiny_dir):
    path = tiny_dir / TEST_IMAGES.file_name
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DatasetError, match="truncated or corrupt"):
        load_dataset(allow_download=False)


def test_truncated_payload_is_reported(tiny_dir):
    path = tiny_dir / TEST_IMAGES.file_name
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(DatasetError, match="truncated: .* bytes"):
        load_dataset(allow_download=False)


def test_bad_magic_number_is_reported(tiny_dir):
    path = tiny_dir / TRAIN_IMAGES.file_name
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[2] = 0x0D  # float instead of unsigned byte
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DatasetError, match="magic number"):
        load_dataset(allow_download=False)


def test_wrong_image_size_is_reported(tmp_path, monkeypatch):
    data.write_idx_file(tmp_path / TRAIN_IMAGES.file_name, np.zeros((3, 32, 32), np.uint8))
    with pytest.raises(DatasetError, match="32x32, expected 28x28"):
        data.read_idx_file(tmp_path / TRAIN_IMAGES.file_name, TRAIN_IMAGES)


def test_label_out_of_range_is_reported(tmp_path, monkeypatch):
    broken = tiny_dataset()
    labels = broken.train_labels.copy()
    labels[3] = 12
    write_dataset(tmp_path, Dataset(broken.train_images, labels, broken.test_images, broken.test_labels, "x"))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match="labels must be 0-9"):
        load_dataset(allow_download=False)


def test_count_mismatch_between_images_and_labels(tmp_path, monkeypatch):
    dataset = tiny_dataset()
    write_dataset(tmp_path, dataset)
    data.write_idx_file(tmp_path / TRAIN_LABELS.file_name, dataset.train_labels[:10])
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match="40 training images but 10 labels"):
        load_dataset(allow_download=False)


def test_full_size_file_with_altered_content_fails_the_checksum(tmp_path):
    labels = (np.arange(60000) % 10).astype(np.uint8)
    data.write_idx_file(tmp_path / TRAIN_LABELS.file_name, labels)
    with pytest.raises(DatasetError, match="published Fashion-MNIST checksum"):
        data.read_idx_file(tmp_path / TRAIN_LABELS.file_name, TRAIN_LABELS)


def test_configured_folder_that_does_not_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetError, match="is not a folder"):
        load_dataset(allow_download=False)


def test_nothing_found_without_download(monkeypatch, tmp_path):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setattr(data, "KERAS_CACHE_DIR", tmp_path / "keras")
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "debian")
    with pytest.raises(DatasetError, match="was not found"):
        load_dataset(allow_download=False)


# Keras' own download, with the network refused at urllib: what load_dataset makes of the failure.
OFFLINE_DOWNLOAD = """
import sys, urllib.error, urllib.request
from pathlib import Path

def offline(*arguments, **options):
    print("download attempted", file=sys.stderr)
    raise urllib.error.URLError("no network in this test")

urllib.request.urlopen = offline
from fashion.data import fashion_mnist as data
from fashion.errors import DatasetError

data.DEBIAN_DIR = Path(sys.argv[1])
try:
    data.load_dataset(allow_download=True)
except DatasetError as error:
    print("error:", error)
"""


def test_failed_download_is_one_clear_error(tmp_path):
    # A fresh home: neither this test's Keras cache nor the data set's folders hold the files.
    home = tmp_path / "home"
    environment = {
        key: value for key, value in os.environ.items() if key not in ("FASHION_MNIST_DIR", "KERAS_HOME")
    }
    environment.update(HOME=str(home), PYTHONPATH=str(REPOSITORY), TF_CPP_MIN_LOG_LEVEL="3")
    completed = subprocess.run(
        [sys.executable, "-c", OFFLINE_DOWNLOAD, str(tmp_path / "debian")],
        cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "download attempted" in completed.stderr  # Keras' loader really ran
    # The last line (Keras prints "Downloading data from ..." before it tries).
    message = completed.stdout.strip().splitlines()[-1].removeprefix("error: ")
    keras_cache = home / ".keras" / "datasets" / "fashion-mnist"
    assert message.startswith(f"Fashion-MNIST was not found in {keras_cache}, {tmp_path / 'debian'} ")
    assert "and the download failed (Exception)" in message and message.endswith(data.fix_hint())


def test_search_order_prefers_keras_cache_over_debian(monkeypatch, tmp_path):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    keras_dir = tmp_path / "keras"
    write_dataset(keras_dir, tiny_dataset(30, 10))
    monkeypatch.setattr(data, "KERAS_CACHE_DIR", keras_dir)
    assert load_dataset(allow_download=False).source == str(keras_dir)


def test_real_dataset_matches_the_tutorial(real_dataset):
    assert real_dataset.train_images.shape == (60000, 28, 28)
    assert real_dataset.test_images.shape == (10000, 28, 28)
    assert len(real_dataset.train_labels) == 60000 and len(real_dataset.test_labels) == 10000
    assert real_dataset.train_labels.min() == 0 and real_dataset.train_labels.max() == 9
    assert list(real_dataset.train_labels[:2]) == [9, 0] and list(real_dataset.train_labels[-3:]) == [3, 0, 5]
    assert list(real_dataset.test_labels[:3]) == [9, 2, 1] and list(real_dataset.test_labels[-3:]) == [
        8,
        1,
        5,
    ]
    assert real_dataset.train_images.dtype == np.uint8 and real_dataset.is_full
    assert not real_dataset.train_images.flags.writeable


def test_scale_images_is_float32_in_unit_range(real_dataset):
    scaled = data.scale_images(real_dataset.test_images[:100])
    assert scaled.dtype == np.float32
    assert scaled.min() == 0.0 and scaled.max() == 1.0


def test_class_counts_and_means(real_dataset):
    np.testing.assert_array_equal(data.class_counts(real_dataset.test_labels), [1000] * 10)
    means = data.mean_images(real_dataset.test_images[:500], real_dataset.test_labels[:500])
    assert means.shape == (10, 28, 28) and 0 < means.max() <= 255


def test_subset_is_class_balanced(real_dataset):
    small = data.subset(real_dataset, 200, 50, seed=1)
    assert len(small.train_labels) == 200 and len(small.test_labels) == 50
    assert set(np.bincount(small.train_labels, minlength=10)) == {20}


def test_second_load_comes_from_the_decoded_cache(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_CACHE_DIR", str(tmp_path / "cache"))
    first = load_dataset(allow_download=False)
    entries = [path for path in (tmp_path / "cache").iterdir() if not path.name.startswith(".")]
    assert len(entries) == 1
    monkeypatch.setattr(data, "parse_directory", lambda directory: pytest.fail("parsed again"))
    second = load_dataset(allow_download=False)
    np.testing.assert_array_equal(second.train_images, first.train_images)
    assert not second.train_images.flags.writeable and type(second.train_images) is np.ndarray


def test_changed_files_are_parsed_again_not_served_from_the_cache(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_CACHE_DIR", str(tmp_path / "cache"))
    load_dataset(allow_download=False)
    path = tiny_dir / TEST_IMAGES.file_name
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DatasetError, match="truncated or corrupt"):
        load_dataset(allow_download=False)


def test_a_damaged_cache_entry_falls_back_to_the_files(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_CACHE_DIR", str(tmp_path / "cache"))
    first = load_dataset(allow_download=False)
    (entry,) = [path for path in (tmp_path / "cache").iterdir() if not path.name.startswith(".")]
    (entry / "train_images.npy").write_bytes(b"broken")
    np.testing.assert_array_equal(load_dataset(allow_download=False).train_images, first.train_images)
