"""The user's own photos, kept with a class to teach the Photo model: private to the browser that kept them.

Each browser (the owner the job queue uses: "browser-<16 hex>" or "session-<16 hex>") has a folder
.own-photos/<owner>/ in the model store, holding <id>.photo (the uploaded bytes) and <id>.json (its
class and when it was kept). Every function takes the owner and only ever reads or changes that
owner's folder.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from fashion.data.fashion_mnist import CLASS_NAMES, IMAGE_SIZE, NUM_CLASSES
from fashion.data.real_photos import render_file, write_whole
from fashion.errors import OwnPhotoError
from fashion.i18n import _
from fashion.photos.image_file import open_image
from fashion.store.model_store import store_directory
from fashion.training.models import OWNER_PATTERN

FOLDER_NAME = ".own-photos"  # hidden, so the model store does not list it as a model
MAX_PHOTOS = 100  # per browser
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_ID_PATTERN = re.compile(r"[0-9a-f]{16}")
# Each own photo is repeated this many times per epoch: a handful among 60,000 images must still count.
# Five a class then weigh 400 images an epoch, like the scarce real-photo classes (OVERSAMPLE_TARGET);
# BENCHMARKS.md, "Own photos", measured 20, 80 and 200.
OWN_PHOTO_REPEATS = 80


@dataclass(frozen=True)
class OwnPhoto:
    """One kept photo: its id, class, when it was kept and the file holding it."""

    photo_id: str
    label: int
    created: str
    path: Path

    @property
    def class_name(self) -> str:
        """The class's name."""
        return CLASS_NAMES[self.label]


def owner_directory(owner: str) -> Path:
    """The folder of one owner's photos; OwnPhotoError for anything that is not an owner id."""
    if not isinstance(owner, str) or not OWNER_PATTERN.fullmatch(owner):
        raise OwnPhotoError(_("this browser has no identity the app can keep photos for; reload the page."))
    return store_directory() / FOLDER_NAME / owner


def _write_whole(target: Path, data: bytes) -> None:
    try:
        write_whole(target, data)
    except OSError as error:
        raise OwnPhotoError(_("the photo cannot be kept: {reason}.").format(reason=error.strerror)) from None


def list_photos(owner: str) -> list[OwnPhoto]:
    """This owner's kept photos, oldest first (a photo whose record is unreadable is left out)."""
    directory = owner_directory(owner)
    if not directory.is_dir():
        return []
    photos = []
    for record_path in directory.glob("*.json"):
        photo_path = record_path.with_suffix(".photo")
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            label = int(record["label"])
            created = str(record["created"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if 0 <= label < NUM_CLASSES and photo_path.is_file():
            photos.append(OwnPhoto(record_path.stem, label, created, photo_path))
    return sorted(photos, key=lambda photo: (photo.created, photo.photo_id))


def class_counts(owner: str) -> np.ndarray:
    """How many photos of each class this owner kept, shape (10,)."""
    labels = [photo.label for photo in list_photos(owner)]
    return np.bincount(np.array(labels, dtype=int), minlength=NUM_CLASSES)


def keep_photo(owner: str, data: bytes, label: int) -> OwnPhoto:
    """Keep an uploaded photo with its class; OwnPhotoError (or ImageError) saying why when it cannot be."""
    if not isinstance(label, (int, np.integer)) or not 0 <= int(label) < NUM_CLASSES:
        raise OwnPhotoError(_("the class must be one of the ten (0-9), not {label!r}.").format(label=label))
    if len(data) > MAX_PHOTO_BYTES:
        raise OwnPhotoError(
            _("the photo is {megabytes:.1f} MB; photos to keep may be at most {limit:.0f} MB.").format(
                megabytes=len(data) / 1e6, limit=MAX_PHOTO_BYTES / 1e6
            )
        )
    open_image(data)  # ImageError when it is not an image the app can read
    if len(list_photos(owner)) >= MAX_PHOTOS:
        raise OwnPhotoError(
            _(
                "you already keep {max_photos} photos, the most one browser may; "
                "delete some in My photos first."
            ).format(max_photos=MAX_PHOTOS)
        )
    directory = owner_directory(owner)
    photo_id = uuid.uuid4().hex[:16]
    created = datetime.now(timezone.utc).isoformat()
    _write_whole(directory / f"{photo_id}.photo", data)
    # The record is written last: a photo without one is never listed.
    record = json.dumps({"label": int(label), "class_name": CLASS_NAMES[int(label)], "created": created})
    _write_whole(directory / f"{photo_id}.json", record.encode("utf-8"))
    return OwnPhoto(photo_id, int(label), created, directory / f"{photo_id}.photo")


def delete_photo(owner: str, photo_id: str) -> None:
    """Delete one of this owner's photos; OwnPhotoError when this owner has no photo with that id."""
    directory = owner_directory(owner)
    if not isinstance(photo_id, str) or not PHOTO_ID_PATTERN.fullmatch(photo_id):
        raise OwnPhotoError(_("there is no such photo among yours."))
    record_path = directory / f"{photo_id}.json"
    if not record_path.is_file():
        raise OwnPhotoError(_("there is no such photo among yours."))
    record_path.unlink()  # Unlisted from now on, even if removing the photo itself fails.
    (directory / f"{photo_id}.photo").unlink(missing_ok=True)


def rendered_photos(owner: str) -> tuple[np.ndarray, np.ndarray]:
    """This owner's photos through the app's photo pipeline: uint8 (N, 28, 28) images and labels."""
    images, labels = [], []
    for photo in list_photos(owner):
        image, _ = render_file(str(photo.path))
        if image is not None:
            images.append(image)
            labels.append(photo.label)
    if not images:
        return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8), np.zeros(0, np.int32)
    return np.stack(images), np.array(labels, np.int32)
