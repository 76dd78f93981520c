"""Training job records in SQLite beside the model store, shared by every app process of the machine.

The default backend of the job records (fashion.jobs.records): one file, no service to run. Every
write is one BEGIN IMMEDIATE transaction, so one writer at a time across processes decides each
claim. Its schema is versioned with SQLite's user_version and brought up to date on open.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from fashion import settings
from fashion.jobs.records import JobRecords, column_definitions, create_jobs_table
from fashion.store import model_store as store

DATABASE_FILE = ".jobs.sqlite3"  # hidden, so the store never lists it as a model
BUSY_TIMEOUT_SECONDS = 30
WAL_SWITCH_PAUSE_SECONDS = 0.02

SQL_TYPES = {
    "sequence": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "text": "TEXT",
    "integer": "INTEGER",
    "big_integer": "INTEGER",
    "real": "REAL",
}
SCHEMA = create_jobs_table(SQL_TYPES) + """;
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, sequence);
CREATE TABLE IF NOT EXISTS job_learning (
    job_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    probes TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (job_id, epoch)
);
"""


def database_path() -> Path:
    """FASHION_JOBS_DATABASE, else .jobs.sqlite3 inside the model store folder."""
    return settings.JOBS_DATABASE.path() or store.store_directory() / DATABASE_FILE


# Columns added after the first release: added to an older database on open.
ADDED_COLUMNS = {
    name: definition
    for name, definition in column_definitions(SQL_TYPES).items()
    if name in ("parent", "parent_epochs", "gpus")
}


def add_missing_columns(connection) -> None:
    """Bring a database made by an older version up to the schema (new columns only)."""
    present = {row[1] for row in connection.execute("PRAGMA table_info(jobs)")}
    for column, definition in ADDED_COLUMNS.items():
        if column not in present:
            connection.execute(f"ALTER TABLE jobs ADD COLUMN {column} {definition}")


def create_or_complete(connection) -> None:
    """Version 1: the tables (a database from before the versions gains the columns added since)."""
    # One statement at a time: executescript would commit the migration's transaction first
    for statement in SCHEMA.split(";"):
        if statement.strip():
            connection.execute(statement)
    add_missing_columns(connection)


# The schema's versions in order: MIGRATIONS[n - 1] brings version n - 1 to n.
MIGRATIONS = (create_or_complete,)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(connection) -> None:
    """Run the migrations this database has not had, each once (BEGIN IMMEDIATE: one process at a time)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        for number in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[number - 1](connection)
            connection.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def use_write_ahead_log(connection) -> None:
    """Put the file in WAL mode (readers never wait for the writer), waiting up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            # Processes switching a new file at once can deadlock on its locks; SQLite then answers
            # "database is locked" at once rather than calling the busy handler, and the switch may be
            # tried again once the other has finished
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_SWITCH_PAUSE_SECONDS)


class JobDatabase(JobRecords):
    """The job records in one SQLite file; every write is one short transaction."""

    UPSERT_LEARNING = (
        "INSERT OR REPLACE INTO job_learning (job_id, epoch, probes, snapshot) VALUES (?, ?, ?, ?)"
    )

    def __init__(self, path: Path):
        self.path = Path(path)
        self.location = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            use_write_ahead_log(connection)
            migrate(connection)
        finally:
            connection.close()

    @contextmanager
    def transaction(self):
        """A connection inside BEGIN IMMEDIATE ... COMMIT: one writer at a time across processes."""
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        connection.row_factory = sqlite3.Row
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    @contextmanager
    def read(self):
        """A connection outside any transaction: in WAL mode a reader never waits for the writer."""
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
        connection.row_factory = sqlite3.Row
        try:
            yield connection
        finally:
            connection.close()

    def serialize_queue(self, connection) -> None:
        """Nothing to add: BEGIN IMMEDIATE already lets one transaction write at a time."""
