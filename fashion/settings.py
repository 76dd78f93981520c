"""Every FASHION_* environment variable, read here and nowhere else: its name, its meaning, its default.

Each variable is a `Setting` whose `meaning` and `default` are the documentation (the README's
"Environment variables" table is checked against them by tests/test_settings.py). Values are read
when asked for, never cached, so a test or a worker process that sets a variable is seen at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One FASHION_* environment variable."""

    name: str
    meaning: str
    default: str

    def text(self) -> str | None:
        """The variable's value with surrounding spaces removed; None when unset or empty."""
        value = os.environ.get(self.name, "").strip()
        return value or None

    def path(self) -> Path | None:
        """The variable's value as a path (~ expanded); None when unset or empty."""
        value = self.text()
        return Path(value).expanduser() if value else None

    def integer(self, default: int, minimum: int) -> int:
        """A whole-number value, at least minimum; unset or not a number gives the default."""
        try:
            return max(minimum, int(self.text() or default))
        except ValueError:
            return default


MNIST_DIR = Setting(
    "FASHION_MNIST_DIR", "folder holding the four `.gz` IDX files", "search as above"
)
"""Where Fashion-MNIST's IDX files are; when set, nothing else is searched."""

CACHE_DIR = Setting(
    "FASHION_CACHE_DIR",
    "where decoded arrays and rendered real photos are cached",
    "`~/.cache/fashion-mnist-studio`",
)
"""The cache of checked .npy arrays and of the real photos rendered at 28x28."""

PHOTOS_DIR = Setting(
    "FASHION_PHOTOS_DIR",
    "folder of the real photos (`images/<id>.jpg`)",
    "download folder, then `../shared/real-photos`",
)
"""The real photos' folder, and where `python -m fashion photos download` puts them."""

PHOTOS_URL = Setting(
    "FASHION_PHOTOS_URL",
    "a mirror of the real photos' source repository, laid out as it is",
    "the source on GitHub",
)
"""Where `photos download` fetches from, for a machine that cannot reach GitHub."""

MODELS_DIR = Setting("FASHION_MODELS_DIR", "the model store", "`models/` next to `streamlit_app.py`")
"""The model store's folder (one folder per model)."""

MAX_JOBS = Setting(
    "FASHION_MAX_JOBS",
    "training jobs trained at once on this machine (all app processes together)",
    "`1`",
)
"""Local worker processes training at once; the others wait in line."""

MAX_QUEUED = Setting(
    "FASHION_MAX_QUEUED", "jobs that may wait in line; past it, Start says the queue is full", "`40`"
)
"""The queue's length before Start is refused."""

JOBS_PER_SESSION = Setting(
    "FASHION_JOBS_PER_SESSION", "queued or running jobs one browser may have", "`1`"
)
"""One browser's share of the queue."""

JOBS_DATABASE = Setting(
    "FASHION_JOBS_DATABASE", "the SQLite file of job records", "`.jobs.sqlite3` in the model store"
)
"""The SQLite job records' file, when the records are not in PostgreSQL."""

JOBS_DATABASE_URL = Setting(
    "FASHION_JOBS_DATABASE_URL",
    "keep the job records in PostgreSQL (`postgresql://user@host/db`), for several machines",
    "unset: the SQLite file",
)
"""A postgresql:// address: the job records of several app replicas and Ray nodes in one database."""

RAY_ADDRESS = Setting(
    "FASHION_RAY_ADDRESS",
    "train on a Ray cluster (`auto`, `ray://head:10001`)",
    "unset: worker processes here",
)
"""A Ray cluster's address: jobs become Ray tasks instead of local worker processes."""

RAY_CPUS_PER_JOB = Setting("FASHION_RAY_CPUS_PER_JOB", "CPUs one job asks the Ray cluster for", "`1`")
"""The CPUs a Ray task of one job reserves."""

SETTINGS = (
    MNIST_DIR,
    CACHE_DIR,
    PHOTOS_DIR,
    PHOTOS_URL,
    MODELS_DIR,
    MAX_JOBS,
    MAX_QUEUED,
    JOBS_PER_SESSION,
    JOBS_DATABASE,
    JOBS_DATABASE_URL,
    RAY_ADDRESS,
    RAY_CPUS_PER_JOB,
)
