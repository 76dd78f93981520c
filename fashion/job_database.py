"""Training job records in SQLite beside the model store, shared by every app process of the machine."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from fashion import store

DATABASE_VARIABLE = "FASHION_JOBS_DATABASE"
DATABASE_FILE = ".jobs.sqlite3"  # hidden, so the store never lists it as a model
BUSY_TIMEOUT_SECONDS = 30
ACTIVE_STATES = ("starting", "running", "saving")
QUEUED_STATE = "queued"
JSON_COLUMNS = ("hyper_parameters", "history", "batch")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT UNIQUE NOT NULL,
    owner TEXT,
    architecture TEXT NOT NULL,
    hyper_parameters TEXT NOT NULL,
    requested_name TEXT,
    train_images INTEGER NOT NULL,
    data_directory TEXT,
    store_directory TEXT NOT NULL,
    state TEXT NOT NULL,
    history TEXT NOT NULL DEFAULT '[]',
    batch TEXT,
    queued_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    model_name TEXT,
    test_accuracy REAL,
    test_loss REAL,
    parameter_count INTEGER,
    error TEXT,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    runner TEXT,
    worker_pid INTEGER,
    parent TEXT,
    parent_epochs INTEGER NOT NULL DEFAULT 0,
    gpus INTEGER NOT NULL DEFAULT 0
);
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
    configured = os.environ.get(DATABASE_VARIABLE)
    return Path(configured).expanduser() if configured else store.store_directory() / DATABASE_FILE


# Columns added after the first release, with their definitions: added to an older database on open.
ADDED_COLUMNS = {
    "parent": "TEXT",
    "parent_epochs": "INTEGER NOT NULL DEFAULT 0",
    "gpus": "INTEGER NOT NULL DEFAULT 0",
}


def add_missing_columns(connection) -> None:
    """Bring a database made by an older version up to the schema (new columns only)."""
    present = {row[1] for row in connection.execute("PRAGMA table_info(jobs)")}
    for column, definition in ADDED_COLUMNS.items():
        if column not in present:
            connection.execute(f"ALTER TABLE jobs ADD COLUMN {column} {definition}")


class JobDatabase:
    """Reads and writes job records; every write is one short transaction."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            connection.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            connection.executescript(SCHEMA)
            add_missing_columns(connection)
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

    def insert(self, connection, record: dict) -> None:
        """Add a new job record (inside a transaction)."""
        record = encode(record)
        columns = ", ".join(record)
        placeholders = ", ".join("?" for _ in record)
        connection.execute(f"INSERT INTO jobs ({columns}) VALUES ({placeholders})", list(record.values()))

    def update(self, job_id: str, connection=None, **fields) -> None:
        """Change some fields of one job."""
        if connection is None:
            with self.transaction() as own_connection:
                return self.update(job_id, own_connection, **fields)
        fields = encode(fields)
        assignments = ", ".join(f"{column} = ?" for column in fields)
        connection.execute(f"UPDATE jobs SET {assignments} WHERE job_id = ?", [*fields.values(), job_id])

    def append_epoch(self, job_id: str, epoch: dict) -> None:
        """Add one epoch's metrics to a job's history."""
        with self.transaction() as connection:
            row = connection.execute("SELECT history FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is not None:
                history = json.loads(row["history"]) + [epoch]
                connection.execute(
                    "UPDATE jobs SET history = ? WHERE job_id = ?", (json.dumps(history), job_id)
                )

    def record_event(self, job_id: str, event: str, report: dict) -> None:
        """Move a job on by one event of its training's report (start, batch, epoch, saving, the end)."""
        if event == "epoch":
            self.append_epoch(job_id, report)
        elif event == "learning":
            self.append_learning(job_id, report["probes"], report["snapshot"])
        elif event == "batch":
            self.update(job_id, batch=report)
        elif event in ("start", "saving"):
            self.update(job_id, state="running" if event == "start" else "saving")
        elif event == "finished":
            self.update(
                job_id,
                state="finished",
                finished_at=now(),
                model_name=report["model_name"],
                test_accuracy=report["test_accuracy"],
                test_loss=report["test_loss"],
                parameter_count=report["parameter_count"],
            )
        elif event == "stopped":
            self.update(job_id, state="stopped", finished_at=now())
        elif event == "failed":
            self.update(job_id, state="failed", finished_at=now(), error=report["error"])

    def append_learning(self, job_id: str, probes: dict, snapshot: dict) -> None:
        """Keep one epoch's probe predictions and first layer (fashion.learning) of a job."""
        with self.transaction() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO job_learning (job_id, epoch, probes, snapshot) VALUES (?, ?, ?, ?)",
                (job_id, int(snapshot["epoch"]), json.dumps(probes), json.dumps(snapshot)),
            )

    def learning(self, job_id: str) -> dict:
        """A job's probes and per-epoch snapshots so far ({} before its first epoch ends)."""
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            rows = connection.execute(
                "SELECT probes, snapshot FROM job_learning WHERE job_id = ? ORDER BY epoch", (job_id,)
            ).fetchall()
        finally:
            connection.close()
        if not rows:
            return {}
        return {"probes": json.loads(rows[-1][0]), "snapshots": [json.loads(row[1]) for row in rows]}

    def get(self, job_id: str) -> dict | None:
        """One job's record, or None."""
        rows = self.select("SELECT * FROM jobs WHERE job_id = ?", (job_id,))
        return rows[0] if rows else None

    def select(self, query: str, parameters=()) -> list[dict]:
        """Records read with one query, decoded."""
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
        connection.row_factory = sqlite3.Row
        try:
            return [decode(dict(row)) for row in connection.execute(query, parameters).fetchall()]
        finally:
            connection.close()

    def unfinished(self) -> list[dict]:
        """Active and queued jobs, in the order they were asked for."""
        states = (*ACTIVE_STATES, QUEUED_STATE)
        placeholders = ", ".join("?" for _ in states)
        return self.select(f"SELECT * FROM jobs WHERE state IN ({placeholders}) ORDER BY sequence", states)

    def recent(self, limit: int = 50) -> list[dict]:
        """The latest jobs, newest first."""
        return self.select("SELECT * FROM jobs ORDER BY sequence DESC LIMIT ?", (limit,))

    def finished_rates(self, architecture: str, limit: int = 20) -> list[dict]:
        """Recent ended jobs of one architecture with their history, to estimate training speed."""
        return self.select(
            "SELECT * FROM jobs WHERE architecture = ? AND history != '[]' ORDER BY sequence DESC LIMIT ?",
            (architecture, limit),
        )


def encode(record: dict) -> dict:
    """JSON columns as text."""
    return {
        key: json.dumps(value) if key in JSON_COLUMNS and value is not None else value
        for key, value in record.items()
    }


def decode(row: dict) -> dict:
    """JSON columns back into Python values."""
    for key in JSON_COLUMNS:
        if row.get(key) is not None:
            row[key] = json.loads(row[key])
    row["stop_requested"] = bool(row.get("stop_requested"))
    return row


def now() -> float:
    """The time stamps of job records: seconds since the epoch."""
    return time.time()
