"""Real labelled clothing photos (CC0 clothing-dataset), checked, rendered once by the photo pipeline, cached.

Over 300 lines: finding, checking, rendering, caching and downloading the photos are one loader.

The photos live in a folder in the `real-photos` layout (`images/<id>.jpg`), found in FASHION_PHOTOS_DIR,
else the folder `python -m fashion photos download` fills (in the cache folder), else `../shared/real-photos`
next to the project. Which photo is which class comes from the project's own label file,
fashion/data/resources/real_photos_labels.csv (file, class, source_sha256, source_bytes, reason).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import multiprocessing
import os
import tempfile
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashion import settings
from fashion.data.fashion_mnist import CLASS_NAMES, IMAGE_SIZE, cache_directory, unscale_images
from fashion.errors import FashionError, PhotoDatasetError
from fashion.i18n import N_, _, format_number
from fashion.photos.pipeline import prepare_photo, switches_with

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = PROJECT_ROOT.parent / "shared" / "real-photos"
LABELS_PATH = Path(__file__).resolve().parent / "resources" / "real_photos_labels.csv"
LABEL_COLUMNS = ("file", "class", "source_sha256", "source_bytes", "reason")
NONE_CLASS = "none"  # "none of the ten": hats, shorts, skirts
NONE_LABEL = -1

SOURCE_REPOSITORY = "alexeygrigorev/clothing-dataset"
SOURCE_COMMIT = "7ed86a9cc56763b6acb35e41cb35184e43a5d218"
SOURCE_LICENSE = "CC0-1.0"
SOURCE_URL = f"https://raw.githubusercontent.com/{SOURCE_REPOSITORY}/{SOURCE_COMMIT}/"
DOWNLOAD_COMMAND = "python -m fashion photos download"
# Translators: {command} is a command, {repository} a GitHub repository, {variable} an environment variable
FIX_HINT = N_(
    "Run `{command}` (about 4,200 CC0 photos from {repository}), "
    "or set {variable} to a folder holding images/<id>.jpg."
)


def fix_hint() -> str:
    """FIX_HINT in the current language, with the command, source and setting filled in."""
    return _(FIX_HINT).format(
        command=DOWNLOAD_COMMAND, repository=SOURCE_REPOSITORY, variable=settings.PHOTOS_DIR.name
    )
# One photo in this many (by a hash of its file name) is held out: never trained on, it validates
# the Photo model and calibrates its "none of the ten" threshold.
HELD_OUT_ONE_IN = 5


@dataclass(frozen=True)
class LabelRow:
    """One row of the label file: the photo's path, its class index (-1: none of the ten), its checksum."""

    file: str
    label: int
    source_sha256: str
    source_bytes: int


@dataclass(frozen=True)
class RealPhotos:
    """Rendered 28x28 photos (uint8, light item on black), labels (0-9, -1 none), which are held out."""

    images: np.ndarray
    labels: np.ndarray
    files: tuple[str, ...]
    held_out: np.ndarray  # bool per photo
    skipped: tuple[tuple[str, str], ...]  # (file, why) of each photo that could not be used
    missing_count: int  # labelled photos not in the folder (a partial download)
    source: str

    def part(self, held_out: bool) -> tuple[np.ndarray, np.ndarray]:
        """(images, labels) of the training part (held_out False) or the held-out part."""
        chosen = self.held_out == held_out
        return self.images[chosen], self.labels[chosen]

    def summary(self) -> str:
        """One line: how many photos of each kind, for the Train page and the model record."""
        counts = np.bincount(self.labels[self.labels >= 0], minlength=len(CLASS_NAMES))
        classes = ", ".join(f"{CLASS_NAMES[label]} {count}" for label, count in enumerate(counts) if count)
        none_count = int((self.labels == NONE_LABEL).sum())
        return f"{len(self.labels):,} real photos ({classes}, none of the ten {none_count})"


def is_held_out(file: str) -> bool:
    """The fixed validation split: decided by the file's name alone, the same on every machine."""
    digest = hashlib.sha256(Path(file).stem.encode()).digest()
    return int.from_bytes(digest[:4], "big") % HELD_OUT_ONE_IN == 0


def read_label_file(path: Path | None = None) -> list[LabelRow]:
    """The rows of a label file (the project's own by default); PhotoDatasetError naming what is wrong."""
    path = path or LABELS_PATH
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in LABEL_COLUMNS if column not in (reader.fieldnames or [])]
            if missing:
                raise PhotoDatasetError(
                    _("{path}: the label file has no column {first!r}.").format(path=path, first=missing[0])
                )
            raw_rows = list(reader)
    except FileNotFoundError:
        raise PhotoDatasetError(
            _("{path}: the label file is missing; restore it from the project's repository.").format(
                path=path
            )
        ) from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise PhotoDatasetError(
            _("{path}: the label file cannot be read ({error}).").format(path=path, error=error)
        ) from None
    rows = []
    for line, row in enumerate(raw_rows, start=2):
        name = row["class"]
        if name == NONE_CLASS:
            label = NONE_LABEL
        elif name in CLASS_NAMES:
            label = CLASS_NAMES.index(name)
        else:
            raise PhotoDatasetError(
                _(
                    "{path}, line {line}: {name!r} is not a class; use one of {choices} or {none_class!r}."
                ).format(
                    path=path, line=line, name=name, choices=", ".join(CLASS_NAMES), none_class=NONE_CLASS
                )
            )
        file = row["file"]
        if not file or Path(file).is_absolute() or ".." in Path(file).parts:
            raise PhotoDatasetError(
                _("{path}, line {line}: {file!r} is not a path inside the photo folder.").format(
                    path=path, line=line, file=file
                )
            )
        try:
            size = int(row["source_bytes"])
        except (TypeError, ValueError):
            raise PhotoDatasetError(
                _("{path}, line {line}: source_bytes {expected_size!r} is not a number.").format(
                    path=path, line=line, expected_size=row["source_bytes"]
                )
            ) from None
        rows.append(LabelRow(file, label, row["source_sha256"].lower(), size))
    if not rows:
        raise PhotoDatasetError(_("{path}: the label file holds no photos.").format(path=path))
    return rows


def download_directory() -> Path:
    """Where `photos download` puts the originals: real-photos in the cache folder."""
    return cache_directory() / "real-photos"


def download_destination() -> Path:
    """Where a download goes: FASHION_PHOTOS_DIR when set, else the download folder."""
    return settings.PHOTOS_DIR.path() or download_directory()


def find_photos_directory() -> Path | None:
    """FASHION_PHOTOS_DIR, else the download folder, else ../shared/real-photos; None when none has photos."""
    configured = settings.PHOTOS_DIR.path()
    if configured:
        return configured
    for directory in (download_directory(), SHARED_DIR):
        if (directory / "images").is_dir():
            return directory
    return None


# The rendering is keyed by the source of the modules that turn a photo into 28x28, so any change to the
# pipeline re-renders; PIPELINE_VERSION is bumped when what is kept from it changes.
PIPELINE_VERSION = 1
PIPELINE_MODULES = ("photos/image_file.py", "photos/pipeline.py")  # under fashion/


def pipeline_fingerprint() -> str:
    """A hash of the photo pipeline's source and the rendering settings."""
    digest = hashlib.sha256(f"v{PIPELINE_VERSION}".encode())
    for module in PIPELINE_MODULES:
        digest.update((Path(__file__).resolve().parents[1] / module).read_bytes())
    return digest.hexdigest()[:16]


def files_fingerprint(directory: Path, rows: list[LabelRow], labels_path: Path) -> str:
    """A hash of the label file and each photo's path, size and modification time."""
    digest = hashlib.sha256(labels_path.read_bytes())
    digest.update(str(directory.resolve()).encode())
    for row in rows:
        try:
            status = (directory / row.file).stat()
            digest.update(f"{row.file}|{status.st_size}|{status.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{row.file}|missing\n".encode())
    return digest.hexdigest()[:24]


def render_photo_bytes(data: bytes) -> tuple[np.ndarray | None, str]:
    """A photo's bytes through the app's pipeline (segmentation, sharpening, negation; no TTA) to uint8
    28x28, or None and why not."""
    try:
        prepared = prepare_photo(data, switches_with(tta=False))
    except FashionError as error:
        return None, str(error)
    except Exception as error:  # noqa: BLE001 - one broken photo must not stop the other 4,000
        return None, f"cannot be rendered ({type(error).__name__})"
    return unscale_images(prepared.image), ""


def render_file(path: str) -> tuple[np.ndarray | None, str]:
    """One photo file through the app's pipeline, as render_photo_bytes."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return None, f"cannot be read ({error.strerror})"
    return render_photo_bytes(data)


def render_workers() -> int:
    """Processes to render with: this machine's cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


POOL_MINIMUM = 50  # fewer photos than this render faster here than processes start


def render_in_pool(render, items: list, workers: int | None = None) -> list:
    """render(item) for each item (a module-level function), in a pool of processes when there are many."""
    workers = workers or render_workers()
    if workers == 1 or len(items) < POOL_MINIMUM:
        return [render(item) for item in items]
    # Spawned, not forked: the caller may be a process where TensorFlow's threads already run.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(render, items, chunksize=32))


def render_photos(paths: list[str], workers: int | None = None) -> list[tuple[np.ndarray | None, str]]:
    """Render photos, in a pool of processes when there are many."""
    return render_in_pool(render_file, paths, workers)


def _cache_path(directory: Path, rows: list[LabelRow], labels_path: Path) -> Path:
    key = f"{files_fingerprint(directory, rows, labels_path)}-{pipeline_fingerprint()}"
    return cache_directory() / f"real-photos-{key}.npz"


def read_render_cache(path: Path, count: int) -> dict | None:
    """The rendered arrays (images, usable, reasons) of count photos cached at path, or None."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in ("images", "usable", "reasons")}
    except (OSError, ValueError, KeyError):
        return None
    if arrays["images"].shape != (count, IMAGE_SIZE, IMAGE_SIZE) or len(arrays["usable"]) != count:
        return None
    return arrays


def rendered_arrays(count: int, indices: list[int], rendered: list[tuple[np.ndarray | None, str]]) -> dict:
    """The render cache's arrays for count photos, of which those at indices were rendered as given."""
    images = np.zeros((count, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    usable = np.zeros(count, bool)
    reasons = np.array([""] * count, dtype=object)
    for index, (image, reason) in zip(indices, rendered, strict=True):
        if image is None:
            reasons[index] = reason
        else:
            images[index], usable[index] = image, True
    return {"images": images, "usable": usable, "reasons": reasons.astype(str)}


def write_render_cache(path: Path, arrays: dict) -> None:
    """Write the rendered arrays to a temporary file, then rename it; skipped if it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".incomplete-", suffix=".npz", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as output:
            np.savez(output, **arrays)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def load_real_photos(
    directory: Path | None = None, labels_path: Path | None = None, workers: int | None = None
) -> RealPhotos:
    """The labelled photos of a folder, rendered (from the cache while files and pipeline are unchanged)."""
    labels_path = labels_path or LABELS_PATH
    rows = read_label_file(labels_path)
    directory = directory or find_photos_directory()
    if directory is None:
        raise PhotoDatasetError(_("No real photos found. {hint}").format(hint=fix_hint()))
    if not directory.is_dir():
        raise PhotoDatasetError(
            _("{directory} is not a folder. {hint}").format(directory=directory, hint=fix_hint())
        )
    present = [(directory / row.file).is_file() for row in rows]
    if not any(present):
        raise PhotoDatasetError(
            _("{directory} holds none of the labelled photos (images/<id>.jpg). {hint}").format(
                directory=directory, hint=fix_hint()
            )
        )
    cache_path = _cache_path(directory, rows, labels_path)
    arrays = read_render_cache(cache_path, len(rows))
    if arrays is None:
        wanted = [index for index, here in enumerate(present) if here]
        rendered = render_photos([str(directory / rows[index].file) for index in wanted], workers)
        arrays = rendered_arrays(len(rows), wanted, rendered)
        write_render_cache(cache_path, arrays)
    usable = arrays["usable"]
    skipped = tuple(
        (rows[index].file, str(arrays["reasons"][index]))
        for index in range(len(rows))
        if present[index] and not usable[index]
    )
    if not usable.any():
        raise PhotoDatasetError(
            _("{directory}: none of the photos could be read. {hint}").format(
                directory=directory, hint=fix_hint()
            )
        )
    kept = np.flatnonzero(usable)
    images = arrays["images"][kept]
    images.flags.writeable = False
    return RealPhotos(
        images=images,
        labels=np.array([rows[index].label for index in kept], np.int32),
        files=tuple(rows[index].file for index in kept),
        held_out=np.array([is_held_out(rows[index].file) for index in kept]),
        skipped=skipped,
        missing_count=present.count(False),
        source=str(directory),
    )


def available_count() -> int:
    """How many labelled photos the photo folder holds now (no rendering: cheap enough for a page)."""
    directory = find_photos_directory()
    if directory is None:
        return 0
    try:
        folder_time = (directory / "images").stat().st_mtime_ns
        labels_time = LABELS_PATH.stat().st_mtime_ns
    except OSError:
        return 0
    return _counted(directory, LABELS_PATH, folder_time, labels_time)


@functools.lru_cache(maxsize=8)
def _counted(directory: Path, labels_path: Path, folder_time: int, labels_time: int) -> int:
    """available_count's count, kept while the images folder and the label file are unchanged."""
    try:
        return sum((directory / row.file).is_file() for row in read_label_file(labels_path))
    except PhotoDatasetError:
        return 0


def trained_on_sentence(trained_on: dict | None) -> str:
    """What a model learnt from, as its record says: "Fashion-MNIST (54,000 images) and 3,359 real photos"."""
    if not trained_on:
        return "Fashion-MNIST"
    images = format_number(trained_on.get("fashion_mnist", 0))
    parts = [_("Fashion-MNIST ({count} images)").format(count=images)]
    if "real_photos" in trained_on:
        parts.append(_("{count} real photos").format(count=format_number(trained_on["real_photos"])))
    if trained_on.get("generated_negatives"):
        count = format_number(trained_on["generated_negatives"])
        parts.append(_("{count} generated non-clothing photos").format(count=count))
    if "own_photos" in trained_on:
        parts.append(_("{count} of your own photos").format(count=format_number(trained_on["own_photos"])))
    if len(parts) == 1:
        return parts[0]
    return _("{first} and {last}").format(first=_(", ").join(parts[:-1]), last=parts[-1])


# Each class of the training part is repeated up to this many times to reach OVERSAMPLE_TARGET photos,
# so the scarce footwear is seen often enough without drowning Fashion-MNIST.
OVERSAMPLE_TARGET = 400
OVERSAMPLE_MAXIMUM = 8


def oversampled_training_part(photos: RealPhotos, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training part's images and labels, each scarce class repeated towards OVERSAMPLE_TARGET."""
    images, labels = photos.part(held_out=False)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        repeats = int(np.clip(round(OVERSAMPLE_TARGET / len(members)), 1, OVERSAMPLE_MAXIMUM))
        chosen.append(np.tile(members, repeats))
    order = np.random.default_rng(seed).permutation(np.concatenate(chosen))
    return images[order], labels[order].astype(np.int32)


def fetch_url(url: str, timeout: float = 30.0) -> bytes:
    """The bytes at a URL; OSError (urllib's errors included) when it cannot be fetched."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - a fixed https source
        return response.read()


def write_whole(target: Path, data: bytes) -> None:
    """Write bytes to a temporary file beside the target, then rename it: never a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".incomplete-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(data)
        os.replace(temporary, target)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise


def download_photos(
    destination: Path | None = None,
    labels_path: Path | None = None,
    base_url: str | None = None,
    fetch=fetch_url,
    progress=None,
) -> int:
    """Download the labelled originals at the pinned commit, each checked by SHA-256 and written whole.

    Photos already there with the right checksum are kept, so a broken download can be run again.
    Returns how many photos were fetched; PhotoDatasetError on the first that fails.
    """
    rows = read_label_file(labels_path)
    destination = destination or download_destination()
    base_url = base_url or settings.PHOTOS_URL.text() or SOURCE_URL
    fetched = 0
    for number, row in enumerate(rows, start=1):
        target = destination / row.file
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == row.source_sha256:
            continue
        url = base_url + row.file
        try:
            data = fetch(url)
        except (OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            status = getattr(error, "code", None)  # an HTTPError's status
            if status:
                reason = f"HTTP {status} {reason}"
            raise PhotoDatasetError(
                _(
                    "downloading {url} failed ({reason}); {fetched} photos were fetched and are kept: "
                    "run the download again."
                ).format(url=url, reason=reason, fetched=fetched)
            ) from None
        if hashlib.sha256(data).hexdigest() != row.source_sha256:
            raise PhotoDatasetError(
                _(
                    "{url}: the download does not match its SHA-256 in the label file (corrupt or changed "
                    "at the source); it was not kept."
                ).format(url=url)
            )
        try:
            write_whole(target, data)
        except OSError as error:
            raise PhotoDatasetError(
                _("{target}: cannot be written ({reason}).").format(target=target, reason=error.strerror)
            ) from None
        fetched += 1
        if progress is not None:
            progress(number, len(rows))
    return fetched

