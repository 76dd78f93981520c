"""Load the real Fashion-MNIST from its four IDX files, checked against the published content.

Over 300 lines: finding, checking, caching and scaling the IDX files are one loader of one data set.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashion import settings
from fashion.errors import DatasetError
from fashion.i18n import N_, _

# Marked for the catalogue; shown in the reader's language with _() (the tutorial's words in zh_CN)
CLASS_NAMES = [
    N_("T-shirt/top"),
    N_("Trouser"),
    N_("Pullover"),
    N_("Dress"),
    N_("Coat"),
    N_("Sandal"),
    N_("Shirt"),
    N_("Sneaker"),
    N_("Bag"),
    N_("Ankle boot"),
]
NUM_CLASSES = len(CLASS_NAMES)
# The same classes in at most 8 letters, for the ticks of small bar charts.
SHORT_CLASS_NAMES = [
    N_("T-shirt"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat"),
    N_("Sandal"), N_("Shirt"), N_("Sneaker"), N_("Bag"), N_("Boot"),
]  # fmt: skip
IMAGE_SIZE = 28
PIXEL_MAX = 255  # uint8 pixels run 0-255; the model sees them divided by this

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
KERAS_CACHE_DIR = Path.home() / ".keras" / "datasets" / "fashion-mnist"

# Translators: {variable} is the name of an environment variable
FIX_HINT = N_(
    "Install Debian's package with `apt-get install dataset-fashion-mnist`, "
    "set {variable} to a folder holding the four .gz files, "
    "or go online so Keras can download them."
)


def fix_hint() -> str:
    """FIX_HINT in the current language, with the setting's name filled in."""
    return _(FIX_HINT).format(variable=settings.MNIST_DIR.name)


@dataclass(frozen=True)
class IdxFile:
    """One of the four published files: its name, what it holds and its content checksum."""

    file_name: str
    dimensions: int
    full_count: int
    content_sha256: str


# SHA-256 of the decompressed IDX bytes, the same for Zalando's files, Keras' mirror and Debian's.
TRAIN_IMAGES = IdxFile(
    "train-images-idx3-ubyte.gz", 3, 60000,
    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
)
TRAIN_LABELS = IdxFile(
    "train-labels-idx1-ubyte.gz", 1, 60000,
    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
)
TEST_IMAGES = IdxFile(
    "t10k-images-idx3-ubyte.gz", 3, 10000,
    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
)
TEST_LABELS = IdxFile(
    "t10k-labels-idx1-ubyte.gz", 1, 10000,
    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
)
ALL_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

UNSIGNED_BYTE_TYPE = 0x08


@dataclass(frozen=True)
class Dataset:
    """Training and test images (N, 28, 28) and labels (N,), all read-only uint8."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str

    @property
    def is_full(self) -> bool:
        """True when this is the whole published set (60,000 + 10,000)."""
        return len(self.train_labels) == TRAIN_LABELS.full_count and len(
            self.test_labels
        ) == TEST_LABELS.full_count


def parse_idx(raw: bytes, expected: IdxFile, path: Path) -> np.ndarray:
    """Parse decompressed IDX bytes into a read-only uint8 array, checking header and size."""
    if len(raw) < 4:
        raise DatasetError(
            _("{path}: the file is truncated (no IDX header). {hint}").format(path=path, hint=fix_hint())
        )
    zero_one, zero_two, data_type, dimensions = raw[0], raw[1], raw[2], raw[3]
    if zero_one != 0 or zero_two != 0 or data_type != UNSIGNED_BYTE_TYPE:
        raise DatasetError(
            _("{path}: not an IDX file of unsigned bytes (bad magic number). {hint}").format(
                path=path, hint=fix_hint()
            )
        )
    if dimensions != expected.dimensions:
        raise DatasetError(
            _(
                "{path}: expected {expected_dimensions} dimension(s), the header says {found_dimensions}. "
                "{hint}"
            ).format(
                path=path,
                expected_dimensions=expected.dimensions,
                found_dimensions=dimensions,
                hint=fix_hint(),
            )
        )
    header_size = 4 + 4 * dimensions
    if len(raw) < header_size:
        raise DatasetError(
            _("{path}: the file is truncated inside its header. {hint}").format(path=path, hint=fix_hint())
        )
    shape = tuple(
        int.from_bytes(raw[4 + 4 * axis : 8 + 4 * axis], "big") for axis in range(dimensions)
    )
    if dimensions == 3 and shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DatasetError(
            _("{path}: images are {height}x{width}, expected 28x28. {hint}").format(
                path=path, height=shape[1], width=shape[2], hint=fix_hint()
            )
        )
    if shape[0] == 0:
        raise DatasetError(_("{path}: the file holds no items. {hint}").format(path=path, hint=fix_hint()))
    expected_size = header_size + int(np.prod(shape))
    if len(raw) < expected_size:
        raise DatasetError(
            _(
                "{path}: the file is truncated: {size:,} bytes, the header promises {expected_size:,}. {hint}"
            ).format(path=path, size=len(raw), expected_size=expected_size, hint=fix_hint())
        )
    if len(raw) > expected_size:
        raise DatasetError(
            _("{path}: {extra:,} unexpected bytes after the data. {hint}").format(
                path=path, extra=len(raw) - expected_size, hint=fix_hint()
            )
        )
    if shape[0] == expected.full_count:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != expected.content_sha256:
            raise DatasetError(
                _(
                    "{path}: the content does not match the published Fashion-MNIST checksum "
                    "(corrupt or altered file). {hint}"
                ).format(path=path, hint=fix_hint())
            )
    array = np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)
    array.flags.writeable = False
    return array


def read_idx_file(path: Path, expected: IdxFile) -> np.ndarray:
    """Read one gzip-compressed (or plain) IDX file into a read-only uint8 array."""
    try:
        compressed = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(
            _("{path}: the file is missing. {hint}").format(path=path, hint=fix_hint())
        ) from None
    except OSError as error:
        raise DatasetError(
            _("{path}: cannot be read ({reason}). {hint}").format(
                path=path, reason=error.strerror, hint=fix_hint()
            )
        ) from None
    if compressed[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(compressed)
        except (EOFError, OSError, zlib.error):
            raise DatasetError(
                _("{path}: the gzip stream is truncated or corrupt. {hint}").format(
                    path=path, hint=fix_hint()
                )
            ) from None
    else:
        raw = compressed
    return parse_idx(raw, expected, path)


def candidate_directories() -> list[Path]:
    """The folders searched for the files, in order."""
    directories = []
    configured = settings.MNIST_DIR.path()
    if configured:
        directories.append(configured)
    directories += [KERAS_CACHE_DIR, DEBIAN_DIR]
    return directories


def has_any_file(directory: Path) -> bool:
    """True when the folder holds at least one of the four files."""
    return any((directory / idx_file.file_name).exists() for idx_file in ALL_FILES)


def load_from_directory(directory: Path) -> Dataset:
    """Load and check all four files from one folder, through the decoded-array cache when it can."""
    cached = read_decoded_cache(directory)
    if cached is not None:
        return cached
    dataset = parse_directory(directory)
    write_decoded_cache(directory, dataset)
    return dataset


def parse_directory(directory: Path) -> Dataset:
    """Parse and check all four IDX files of one folder."""
    train_images = read_idx_file(directory / TRAIN_IMAGES.file_name, TRAIN_IMAGES)
    train_labels = read_idx_file(directory / TRAIN_LABELS.file_name, TRAIN_LABELS)
    test_images = read_idx_file(directory / TEST_IMAGES.file_name, TEST_IMAGES)
    test_labels = read_idx_file(directory / TEST_LABELS.file_name, TEST_LABELS)
    for images, labels, kind in (
        (train_images, train_labels, N_("training")),
        (test_images, test_labels, N_("test")),
    ):
        if len(images) != len(labels):
            raise DatasetError(
                _("{directory}: {image_count:,} {kind} images but {label_count:,} labels. {hint}").format(
                    directory=directory,
                    image_count=len(images),
                    kind=_(kind),
                    label_count=len(labels),
                    hint=fix_hint(),
                )
            )
        if labels.max() >= NUM_CLASSES:
            raise DatasetError(
                _("{directory}: a {kind} label is {label}, labels must be 0-9. {hint}").format(
                    directory=directory, kind=_(kind), label=int(labels.max()), hint=fix_hint()
                )
            )
    return Dataset(train_images, train_labels, test_images, test_labels, str(directory))


# Decoding the gzip files and checking their checksums is the slow part of a load (BENCHMARKS.md,
# "Loading the data set"); the checked arrays are kept as .npy files, memory-mapped read-only on
# later loads, keyed by the files' paths, sizes and times.
ARRAY_NAMES = ("train_images", "train_labels", "test_images", "test_labels")


def cache_directory() -> Path:
    """Where decoded arrays are cached: FASHION_CACHE_DIR, else ~/.cache/fashion-mnist-studio."""
    return settings.CACHE_DIR.path() or Path.home() / ".cache" / "fashion-mnist-studio"


def dataset_fingerprint(directory: Path) -> str | None:
    """A hash of the four files' resolved paths, sizes and modification times; None if one is missing."""
    parts = []
    for idx_file in ALL_FILES:
        try:
            path = (directory / idx_file.file_name).resolve()
            status = path.stat()
        except OSError:
            return None
        parts.append(f"{path}|{status.st_size}|{status.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def read_decoded_cache(directory: Path) -> Dataset | None:
    """The cached arrays of this folder's files, or None when there is no valid cache entry."""
    fingerprint = dataset_fingerprint(directory)
    if fingerprint is None:
        return None
    entry = cache_directory() / fingerprint
    if not entry.is_dir():
        return None
    try:
        arrays = [np.load(entry / f"{name}.npy", mmap_mode="r") for name in ARRAY_NAMES]
        valid = all(array.dtype == np.uint8 for array in arrays) and len(arrays[0]) == len(arrays[1])
    except (OSError, ValueError):
        valid = False
    if not valid:
        shutil.rmtree(entry, ignore_errors=True)  # Damaged: parse the files and write it anew.
        return None
    train_images, train_labels, test_images, test_labels = (np.asarray(array) for array in arrays)
    return Dataset(train_images, train_labels, test_images, test_labels, source=str(directory))


def write_decoded_cache(directory: Path, dataset: Dataset) -> None:
    """Keep the checked arrays for the next load; a cache that cannot be written is skipped."""
    fingerprint = dataset_fingerprint(directory)
    if fingerprint is None:
        return
    root = cache_directory()
    try:
        root.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=".incomplete-", dir=root))
    except OSError:
        return
    try:
        for name in ARRAY_NAMES:
            np.save(temporary / f"{name}.npy", getattr(dataset, name))
        os.rename(temporary, root / fingerprint)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)


def download_with_keras() -> Path:
    """Let Keras download the files into its cache folder and return that folder."""
    try:
        # deferred: Keras (TensorFlow) takes seconds to import
        import keras

        keras.datasets.fashion_mnist.load_data()
    except Exception as error:  # noqa: BLE001 - any download failure means the same to the user
        raise DatasetError(
            _(
                "Fashion-MNIST was not found in {folders} and the download failed ({error_type}). {hint}"
            ).format(
                folders=", ".join(map(str, candidate_directories())),
                error_type=type(error).__name__,
                hint=fix_hint(),
            )
        ) from None
    return KERAS_CACHE_DIR


def load_dataset(allow_download: bool = True) -> Dataset:
    """Load Fashion-MNIST from the first folder that has it, downloading only as a last resort."""
    configured = settings.MNIST_DIR.text()
    if configured:
        directory = Path(configured).expanduser()
        if not directory.is_dir():
            raise DatasetError(
                _("{name}={configured} is not a folder. {hint}").format(
                    name=settings.MNIST_DIR.name, configured=configured, hint=fix_hint()
                )
            )
        return load_from_directory(directory)
    for directory in candidate_directories():
        if has_any_file(directory):
            return load_from_directory(directory)
    if not allow_download:
        raise DatasetError(
            _("Fashion-MNIST was not found in {folders}. {hint}").format(
                folders=", ".join(map(str, candidate_directories())), hint=fix_hint()
            )
        )
    return load_from_directory(download_with_keras())


def scale_images(images: np.ndarray) -> np.ndarray:
    """Scale 0-255 pixels (uint8 or float) to float32 in [0, 1], as the tutorial does before training."""
    return np.asarray(images, dtype=np.float32) / np.float32(PIXEL_MAX)


def unscale_images(images: np.ndarray) -> np.ndarray:
    """Float pixels in [0, 1] back to uint8 in 0-255 (rounded, clipped), for display."""
    pixels = np.rint(np.asarray(images, dtype=np.float32) * np.float32(PIXEL_MAX))
    return np.clip(pixels, 0, PIXEL_MAX).astype(np.uint8)


def class_counts(labels: np.ndarray) -> np.ndarray:
    """How many items of each class the labels hold."""
    return np.bincount(labels, minlength=NUM_CLASSES)


def mean_images(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The mean image of each class, shape (10, 28, 28), in 0-255; a class with no items is zeros."""
    means = np.zeros((NUM_CLASSES, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    for label in range(NUM_CLASSES):
        members = images[labels == label]
        if len(members):
            means[label] = members.mean(axis=0, dtype=np.float64)
    return means


def write_idx_file(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as a gzip-compressed IDX file (used to make small data sets)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, UNSIGNED_BYTE_TYPE, array.ndim])
    header += b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes(), compresslevel=1))


def write_dataset(directory: Path, dataset: Dataset) -> None:
    """Write a data set as the four IDX files into a folder."""
    directory.mkdir(parents=True, exist_ok=True)
    write_idx_file(directory / TRAIN_IMAGES.file_name, dataset.train_images)
    write_idx_file(directory / TRAIN_LABELS.file_name, dataset.train_labels)
    write_idx_file(directory / TEST_IMAGES.file_name, dataset.test_images)
    write_idx_file(directory / TEST_LABELS.file_name, dataset.test_labels)


def subset(dataset: Dataset, train_count: int, test_count: int, seed: int = 0) -> Dataset:
    """A class-balanced random subset of a data set (for small, quick data sets)."""
    generator = np.random.default_rng(seed)

    def pick(labels: np.ndarray, count: int) -> np.ndarray:
        order = generator.permutation(len(labels))
        per_class = [order[labels[order] == label] for label in range(NUM_CLASSES)]
        chosen = np.concatenate([members[: -(-count // NUM_CLASSES)] for members in per_class])
        return np.sort(generator.permutation(chosen)[:count])

    train_indices = pick(dataset.train_labels, train_count)
    test_indices = pick(dataset.test_labels, test_count)
    return Dataset(
        dataset.train_images[train_indices],
        dataset.train_labels[train_indices],
        dataset.test_images[test_indices],
        dataset.test_labels[test_indices],
        f"{dataset.source} (subset)",
    )


def sample_indices(
    labels: np.ndarray, count: int, seed: int, classes: list[int] | None = None
) -> np.ndarray:
    """Up to count random indices (sorted) of items whose label is in classes (all when empty)."""
    candidates = np.arange(len(labels))
    if classes:
        candidates = candidates[np.isin(labels, classes)]
    generator = np.random.default_rng(seed)
    chosen = generator.choice(candidates, size=min(count, len(candidates)), replace=False)
    return np.sort(chosen)


def dataset_summary(dataset: Dataset) -> list[dict]:
    """One row per array (name, shape, type, value range), as the tutorial prints them."""
    arrays = {
        "train_images": dataset.train_images,
        "train_labels": dataset.train_labels,
        "test_images": dataset.test_images,
        "test_labels": dataset.test_labels,
    }
    return [
        {
            N_("array"): name,
            N_("shape"): str(array.shape),
            N_("type"): str(array.dtype),
            N_("value range"): f"{int(array.min())}–{int(array.max())}",
        }
        for name, array in arrays.items()
    ]
