"""The model store: one folder per model (the .keras file and a JSON record), written atomically.

Over 300 lines: the store's layout, its atomic writes and its recovery from crashes belong together.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from fashion import settings
from fashion.errors import ModelNotFoundError, ModelStoreError
from fashion.i18n import _
from fashion.training.models import PRESET_NAME_PARTS
from fashion.training.tensorflow_setup import configure_tensorflow

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "models"
MODEL_FILE = "model.keras"
RECORD_FILE = "record.json"
TEMPORARY_PREFIX = ".incomplete-"
MAX_NAME_LENGTH = 64
STALE_SECONDS = 3600  # a temporary folder this old belongs to no save still running

_opened_directories: set[Path] = set()


def store_directory() -> Path:
    """The folder holding saved models: FASHION_MODELS_DIR, else models/ beside the app."""
    return settings.MODELS_DIR.path() or DEFAULT_DIR


def _opened(directory: Path | None) -> Path:
    """The store's folder; the first time this process opens it, crashed saves' leftovers go."""
    directory = directory or store_directory()
    if directory not in _opened_directories:
        _opened_directories.add(directory)
        clean_incomplete(directory, STALE_SECONDS)
    return directory


def sanitize_name(name: str) -> str:
    """A safe folder name from any text: letters, digits, '.', '_' and '-', never '..' or hidden."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip())
    cleaned = re.sub(r"\.{2,}", ".", cleaned).strip(".-_")[:MAX_NAME_LENGTH].strip(".-_")
    if not cleaned:
        raise ModelStoreError(
            _("{name!r} is not a usable model name; use letters, digits, '.', '_' or '-'.").format(name=name)
        )
    return cleaned


@dataclass(frozen=True)
class StoreEntry:
    """One folder of the store: its record, or the reason it cannot be read."""

    name: str
    path: Path
    record: dict | None
    error: str | None = None

    @property
    def readable(self) -> bool:
        """True when the record was read and the model file exists."""
        return self.error is None

    @property
    def saved_record(self) -> dict:
        """The record of a readable entry (as get_entry returns); ModelStoreError when it was unreadable."""
        if self.record is None:
            raise ModelStoreError(
                _("the saved model {name!r} is unreadable: {error}.").format(name=self.name, error=self.error)
            )
        return self.record

    @property
    def model_path(self) -> Path:
        """Where the .keras file of this entry lives."""
        return self.path / MODEL_FILE


def _entry_path(name: str, directory: Path | None) -> Path:
    directory = directory or store_directory()
    safe_name = sanitize_name(name)
    if safe_name != name:
        raise ModelNotFoundError(_("no saved model is called {name!r}.").format(name=name))
    return directory / safe_name


def read_entry(path: Path) -> StoreEntry:
    """Read one folder of the store; problems are reported in the entry, never raised."""
    record_path = path / RECORD_FILE
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError("the record is not a JSON object")
    except FileNotFoundError:
        return StoreEntry(path.name, path, None, "its record.json is missing")
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return StoreEntry(path.name, path, None, f"its record.json is unreadable ({error})")
    if not (path / MODEL_FILE).is_file():
        return StoreEntry(path.name, path, record, "its model.keras file is missing")
    problem = _archive_problem(path / MODEL_FILE)
    if problem:
        return StoreEntry(path.name, path, record, f"its model.keras file is corrupt ({problem})")
    return StoreEntry(path.name, path, record)


def _archive_problem(model_path: Path) -> str | None:
    """Why a .keras file is not a whole Keras archive, from its zip directory; None if it looks whole."""
    try:
        with zipfile.ZipFile(model_path) as archive:
            members = set(archive.namelist())
    except (OSError, zipfile.BadZipFile, ValueError) as error:
        return f"not a Keras archive: {error}"
    missing = sorted({"config.json", "model.weights.h5"} - members)
    if missing:
        return f"the archive lacks {', '.join(missing)}"
    return None


def list_entries(directory: Path | None = None) -> list[StoreEntry]:
    """Every entry of the store, newest first; unreadable entries are included and marked."""
    directory = _opened(directory)
    if not directory.is_dir():
        return []
    entries = [
        read_entry(path)
        for path in directory.iterdir()
        if path.is_dir() and not path.name.startswith(".")
    ]

    def created(entry: StoreEntry) -> str:
        if entry.record and isinstance(entry.record.get("created"), str):
            return entry.record["created"]
        return datetime.fromtimestamp(entry.path.stat().st_mtime, timezone.utc).isoformat()

    return sorted(entries, key=created, reverse=True)


def list_models(directory: Path | None = None) -> list[StoreEntry]:
    """The readable entries of the store, newest first."""
    return [entry for entry in list_entries(directory) if entry.readable]


def newest_model_name(directory: Path | None = None) -> str:
    """The name of the newest readable model, or ModelNotFoundError if there is none."""
    models = list_models(directory)
    if not models:
        raise ModelNotFoundError(
            _("no model has been trained yet; train one with `python -m fashion train` or on the Train page.")
        )
    return models[0].name


def get_entry(name: str, directory: Path | None = None) -> StoreEntry:
    """The entry called name; ModelNotFoundError if absent, ModelStoreError if unreadable."""
    path = _entry_path(name, directory)
    if not path.is_dir():
        raise ModelNotFoundError(_("no saved model is called {name!r}.").format(name=name))
    entry = read_entry(path)
    if not entry.readable:
        raise ModelStoreError(
            _("the saved model {name!r} is unreadable: {error}.").format(name=name, error=entry.error)
        )
    return entry


def unique_name(base: str, directory: Path | None = None) -> str:
    """base, or base-2, base-3, ... whichever is not taken yet."""
    directory = directory or store_directory()
    base = sanitize_name(base)
    candidate, number = base, 2
    while (directory / candidate).exists():
        suffix = f"-{number}"
        candidate = base[: MAX_NAME_LENGTH - len(suffix)] + suffix
        number += 1
    return candidate


def default_name(architecture: str, preset: str | None = None) -> str:
    """A readable default name: the preset's word (if any), the architecture and the local time."""
    part = PRESET_NAME_PARTS.get(preset) if preset is not None else None
    return f"{part + '-' if part else ''}{architecture}-{time.strftime('%Y%m%d-%H%M%S')}"


def save_model(model, record: dict, name: str | None = None, directory: Path | None = None) -> StoreEntry:
    """Save a Keras model with its record; the entry appears whole or not at all."""
    directory = _opened(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelStoreError(
            _("cannot create the model store {directory}: {reason}.").format(
                directory=directory, reason=error.strerror
            )
        ) from None
    final_name = unique_name(name or default_name(record.get("architecture", "model")), directory)
    record = {**record, "name": final_name}
    record.setdefault("created", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    temporary = Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX, dir=directory))
    try:
        model.save(temporary / MODEL_FILE)
        record_text = json.dumps(record, indent=2, allow_nan=False, default=_json_default)
        (temporary / RECORD_FILE).write_text(record_text, encoding="utf-8")
        for file_name in (MODEL_FILE, RECORD_FILE):
            with open(temporary / file_name, "rb") as handle:
                os.fsync(handle.fileno())
        final_path = directory / final_name
        try:
            os.rename(temporary, final_path)
        except OSError:
            # Another save took the name meanwhile: pick the next free one.
            final_name = unique_name(final_name, directory)
            record["name"] = final_name
            (temporary / RECORD_FILE).write_text(
                json.dumps(record, indent=2, allow_nan=False, default=_json_default),
                encoding="utf-8",
            )
            final_path = directory / final_name
            os.rename(temporary, final_path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return read_entry(final_path)


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a model record")


def load_model(name: str, directory: Path | None = None):
    """Load a saved Keras model in safe mode; ModelStoreError if it is unreadable."""
    entry = get_entry(name, directory)
    configure_tensorflow()
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    try:
        return keras.saving.load_model(entry.model_path, safe_mode=True, compile=False)
    except Exception as error:  # noqa: BLE001 - any failure to load means an unreadable model
        raise ModelStoreError(
            _("the saved model {name!r} is unreadable ({error_type}); delete it and train again.").format(
                name=name, error_type=type(error).__name__
            )
        ) from None


def delete_model(name: str, directory: Path | None = None) -> None:
    """Delete a saved model (readable or not): it leaves the store in one rename, then is removed."""
    path = _entry_path(name, directory)
    if not path.is_dir():
        raise ModelNotFoundError(_("no saved model is called {name!r}.").format(name=name))
    try:
        # An entry linked in from elsewhere: remove the link, never the folder it points to.
        if path.is_symlink():
            path.unlink()
            return
        # Out of sight first, so nobody lists a model whose files are half removed.
        doomed = Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX, dir=path.parent)) / "deleted"
        os.rename(path, doomed)
    except FileNotFoundError:
        raise ModelNotFoundError(_("no saved model is called {name!r}.").format(name=name)) from None
    except OSError as error:
        raise ModelStoreError(
            _("cannot delete the saved model {name!r}: {reason}.").format(name=name, reason=error.strerror)
        ) from None
    shutil.rmtree(doomed.parent, ignore_errors=True)


def rename_model(name: str, new_name: str, directory: Path | None = None) -> StoreEntry:
    """Rename a saved model in one atomic folder rename; its record and its children's follow."""
    directory = directory or store_directory()
    path = _entry_path(name, directory)
    if not path.is_dir():
        raise ModelNotFoundError(_("no saved model is called {name!r}.").format(name=name))
    clean_name = sanitize_name(new_name)
    if clean_name == name:
        return read_entry(path)
    target = directory / clean_name
    if target.exists():
        raise ModelStoreError(
            _("a saved model is already called {clean_name!r}; choose another name.").format(
                clean_name=clean_name
            )
        )
    try:
        os.rename(path, target)
    except FileNotFoundError:
        raise ModelNotFoundError(_("no saved model is called {name!r}.").format(name=name)) from None
    except OSError as error:
        raise ModelStoreError(
            _("cannot rename {name!r} to {clean_name!r}: {reason}.").format(
                name=name, clean_name=clean_name, reason=error.strerror
            )
        ) from None
    _update_record(target, {"name": clean_name})
    for entry in list_entries(directory):
        if entry.record and entry.record.get("parent") == name:
            _update_record(entry.path, {"parent": clean_name})
    return read_entry(target)


def _update_record(path: Path, changes: dict) -> None:
    """Rewrite a record.json with some values changed, atomically (write a copy, then replace)."""
    try:
        record = json.loads((path / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # An unreadable record stays as it is; the folder's name is what names the model.
    temporary = path / f".{RECORD_FILE}.incomplete"
    temporary.write_text(
        json.dumps({**record, **changes}, indent=2, allow_nan=False, default=_json_default),
        encoding="utf-8",
    )
    os.replace(temporary, path / RECORD_FILE)


def clean_incomplete(directory: Path | None = None, older_than_seconds: float = STALE_SECONDS) -> int:
    """Remove leftovers of saves that crashed; returns how many were removed."""
    directory = directory or store_directory()
    if not directory.is_dir():
        return 0
    removed = 0
    now = time.time()
    for path in directory.glob(TEMPORARY_PREFIX + "*"):
        try:
            stale = now - path.stat().st_mtime >= older_than_seconds
        except FileNotFoundError:
            continue  # Another process finished or removed it meanwhile.
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed
