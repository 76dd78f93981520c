"""Shared fixtures: the real data, a small data set made from it, and model stores."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The real labelled photos the tests and CI learn from (fashion/data/real_photos.py); the session
# fixture real_photos_sample points FASHION_PHOTOS_DIR at a sample of them.
os.environ.setdefault(
    "FASHION_PHOTOS_DIR", str(Path(__file__).resolve().parents[1].parent / "shared" / "real-photos")
)

from postgres_server import postgres_server, postgres_url  # noqa: E402, F401 - fixtures
from quick_training import QUICK_HYPER_PARAMETERS, train_into_store  # noqa: E402

from fashion.data import real_photos  # noqa: E402
from fashion.data.fashion_mnist import Dataset, load_dataset, subset, write_dataset  # noqa: E402
from fashion.store import model_store as store  # noqa: E402

SMALL_TRAIN_COUNT = 1000
SMALL_TEST_COUNT = 300
SAMPLE_TRAINING_PER_CLASS = 16
SAMPLE_HELD_OUT_PER_CLASS = 4


@pytest.fixture(scope="session", autouse=True)
def decoded_cache_dir(tmp_path_factory) -> Path:
    """Keep the decoded-array cache of this test session out of the user's home."""
    directory = tmp_path_factory.mktemp("decoded-cache")
    os.environ["FASHION_CACHE_DIR"] = str(directory)
    return directory


@pytest.fixture(scope="session", autouse=True)
def real_photos_sample(tmp_path_factory) -> Path:
    """FASHION_PHOTOS_DIR at a sample of the real photos, linked from the folder it named: of each class and
    of "none of the ten", the first training and held-out photos by name.

    A fresh session renders every photo it trains on once; all 4,826 take minutes on two cores, and no
    test needs more than a few of each kind.
    """
    source = Path(os.environ["FASHION_PHOTOS_DIR"])
    sample = tmp_path_factory.mktemp("real-photos-sample")
    taken: Counter[tuple[int, bool]] = Counter()
    for row in sorted(real_photos.read_label_file(), key=lambda row: row.file):
        held_out = real_photos.is_held_out(row.file)
        wanted = SAMPLE_HELD_OUT_PER_CLASS if held_out else SAMPLE_TRAINING_PER_CLASS
        if taken[row.label, held_out] >= wanted or not (source / row.file).is_file():
            continue
        taken[row.label, held_out] += 1
        (sample / row.file).parent.mkdir(parents=True, exist_ok=True)
        (sample / row.file).symlink_to(source / row.file)
    os.environ["FASHION_PHOTOS_DIR"] = str(sample)
    return sample


@pytest.fixture(scope="session")
def real_dataset(decoded_cache_dir) -> Dataset:
    """The real Fashion-MNIST (Debian's package or FASHION_MNIST_DIR); never downloaded in tests."""
    return load_dataset(allow_download=False)


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory, real_dataset) -> Path:
    """A folder of IDX files holding a class-balanced subset: 1,000 training and 300 test images."""
    directory = tmp_path_factory.mktemp("small-fashion-mnist")
    write_dataset(directory, subset(real_dataset, SMALL_TRAIN_COUNT, SMALL_TEST_COUNT, seed=3))
    return directory


@pytest.fixture(scope="session")
def small_dataset(small_data_dir) -> Dataset:
    """The small data set, loaded through the same loader as the real one."""
    previous = os.environ.get("FASHION_MNIST_DIR")
    os.environ["FASHION_MNIST_DIR"] = str(small_data_dir)
    try:
        return load_dataset(allow_download=False)
    finally:
        if previous is None:
            os.environ.pop("FASHION_MNIST_DIR", None)
        else:
            os.environ["FASHION_MNIST_DIR"] = previous


@pytest.fixture
def use_small_data(monkeypatch, small_data_dir) -> Path:
    """Point FASHION_MNIST_DIR at the small data set for this test."""
    monkeypatch.setenv("FASHION_MNIST_DIR", str(small_data_dir))
    return small_data_dir


@pytest.fixture
def models_dir(monkeypatch, tmp_path) -> Path:
    """An empty model store for this test (FASHION_MODELS_DIR)."""
    directory = tmp_path / "models"
    monkeypatch.setenv("FASHION_MODELS_DIR", str(directory))
    return directory


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory, small_dataset) -> Path:
    """A store holding one tutorial model trained for 3 epochs on the small data set."""
    directory = tmp_path_factory.mktemp("trained-store")
    train_into_store(directory, QUICK_HYPER_PARAMETERS, small_dataset, "small-tutorial")
    return directory


@pytest.fixture
def store_with_model(monkeypatch, tmp_path, trained_store) -> Path:
    """A fresh copy of the trained store for this test, set as FASHION_MODELS_DIR."""
    directory = tmp_path / "models"
    shutil.copytree(trained_store, directory)
    monkeypatch.setenv("FASHION_MODELS_DIR", str(directory))
    return directory


@pytest.fixture
def loaded_model(store_with_model):
    """The small tutorial model, loaded from the store."""
    return store.load_model("small-tutorial")
