"""The job records' interface: one set of operations over a job database, whatever holds it.

Over 300 lines: the job SQL both backends share, in one module on purpose.

Two backends implement it: SQLite beside the model store (`fashion.jobs.sqlite_records`, the default on one
machine) and PostgreSQL (`fashion.jobs.postgres_records`, with FASHION_JOBS_DATABASE_URL, for
replicas and Ray nodes on several machines). The statements below are written once, with `?` for
parameters; a backend supplies its connections, its schema and the few statements its dialect
words differently. Every operation is one short transaction; the ones that replicas or nodes race
for (admitting a job, claiming the next one, cancelling) are decided inside the database.
"""

from __future__ import annotations

import enum
import json
import time
from contextlib import contextmanager

from fashion.i18n import N_


class JobState(str, enum.Enum):
    """Where a job is in its life; stored as its value (a str, as enum.StrEnum makes from Python 3.11)."""

    QUEUED = N_("queued")
    STARTING = N_("starting")
    RUNNING = N_("running")
    SAVING = N_("saving")
    FINISHED = N_("finished")
    STOPPED = N_("stopped")
    FAILED = N_("failed")
    INTERRUPTED = N_("interrupted")
    CANCELLED = N_("cancelled")


class JobEvent(str, enum.Enum):
    """What a training job reports on its way (the worker's JSON lines, the Ray board's reports).

    An event that moves the job into a state carries that state's name.
    """

    START = "start"
    BATCH = "batch"
    EPOCH = "epoch"
    LEARNING = "learning"
    SAVING = JobState.SAVING.value
    FINISHED = JobState.FINISHED.value
    STOPPED = JobState.STOPPED.value
    FAILED = JobState.FAILED.value

    def __str__(self) -> str:
        return self.value


ACTIVE_STATES = (JobState.STARTING, JobState.RUNNING, JobState.SAVING)
QUEUED_STATE = JobState.QUEUED
UNFINISHED_STATES = (*ACTIVE_STATES, QUEUED_STATE)
JSON_COLUMNS = ("hyper_parameters", "history", "batch")
# Every column of the jobs table, in the schema's order: (name, kind, constraint). Each backend builds its
# CREATE TABLE from this with its own SQL type for each kind (create_jobs_table).
COLUMN_DEFINITIONS = (
    ("sequence", "sequence", ""),
    ("job_id", "text", "UNIQUE NOT NULL"),
    ("owner", "text", ""),
    ("architecture", "text", "NOT NULL"),
    ("hyper_parameters", "text", "NOT NULL"),
    ("requested_name", "text", ""),
    ("train_images", "integer", "NOT NULL"),
    ("data_directory", "text", ""),
    ("store_directory", "text", "NOT NULL"),
    ("state", "text", "NOT NULL"),
    ("history", "text", "NOT NULL DEFAULT '[]'"),
    ("batch", "text", ""),
    ("queued_at", "real", "NOT NULL"),
    ("started_at", "real", ""),
    ("finished_at", "real", ""),
    ("model_name", "text", ""),
    ("test_accuracy", "real", ""),
    ("test_loss", "real", ""),
    ("parameter_count", "big_integer", ""),
    ("error", "text", ""),
    ("stop_requested", "integer", "NOT NULL DEFAULT 0"),
    ("runner", "text", ""),
    ("worker_pid", "integer", ""),
    ("parent", "text", ""),
    ("parent_epochs", "integer", "NOT NULL DEFAULT 0"),
    ("gpus", "integer", "NOT NULL DEFAULT 0"),
)
COLUMNS = tuple(name for name, _, _ in COLUMN_DEFINITIONS)


def column_definitions(types: dict[str, str]) -> dict[str, str]:
    """Each column's SQL definition, with a backend's SQL type for each kind of column."""
    return {
        name: " ".join(part for part in (types[kind], constraint) if part)
        for name, kind, constraint in COLUMN_DEFINITIONS
    }


def create_jobs_table(types: dict[str, str]) -> str:
    """The CREATE TABLE statement of the jobs table, with a backend's SQL type for each kind of column."""
    body = ",\n    ".join(f"{name} {definition}" for name, definition in column_definitions(types).items())
    return f"CREATE TABLE IF NOT EXISTS jobs (\n    {body}\n)"


class JobRecords:
    """Reads and writes job records; a backend provides transaction(), read() and its dialect's words."""

    location: str  # what names the database: a file path or a postgresql:// address
    # The statement that keeps one epoch's learning record, replacing an earlier one of that epoch
    UPSERT_LEARNING = ""
    # What a backend adds to a SELECT to lock the rows it reads until the transaction ends
    LOCK_ROW = ""

    # What a backend provides
    @contextmanager
    def transaction(self):
        """A connection inside one writing transaction; committed at the end, rolled back on an error."""
        raise NotImplementedError

    @contextmanager
    def read(self):
        """A connection for reading."""
        raise NotImplementedError

    def serialize_queue(self, connection) -> None:
        """Inside a transaction: wait until no other transaction admits or claims jobs."""
        raise NotImplementedError

    def patiently(self, write):
        """write(), waiting for a database that is briefly unreachable where the backend can (PostgreSQL)."""
        return write()

    def run(self, operation, write: bool = True):
        """operation(connection) inside a transaction (write) or a read; a backend may retry it."""
        if write:
            with self.transaction() as connection:
                return operation(connection)
        with self.read() as connection:
            return operation(connection)

    # The operations
    def insert(self, record: dict) -> None:
        """Add a new job record as it is (no limits checked): for tests and imports."""
        self.run(lambda connection: insert_row(connection, record))

    def add_job(self, record: dict, admit) -> None:
        """Add a new job record once admit(waiting, active, own_states) has not raised, in one transaction."""

        def add(connection) -> None:
            self.serialize_queue(connection)
            counts = {
                row["state"]: row["count"]
                for row in connection.execute(
                    "SELECT state, COUNT(*) AS count FROM jobs"
                    f" WHERE state IN {marks(UNFINISHED_STATES)} GROUP BY state",
                    plain(UNFINISHED_STATES),
                ).fetchall()
            }
            own_states = []
            if record.get("owner") is not None:
                own_states = [
                    row["state"]
                    for row in connection.execute(
                        "SELECT state FROM jobs WHERE owner = ?"
                        f" AND state IN {marks(UNFINISHED_STATES)} ORDER BY sequence",
                        (record["owner"], *plain(UNFINISHED_STATES)),
                    ).fetchall()
                ]
            waiting = counts.get(QUEUED_STATE.value, 0)
            active = sum(counts.get(state.value, 0) for state in ACTIVE_STATES)
            admit(waiting, active, own_states)
            insert_row(connection, record)

        self.run(add)

    def claim_next(self, runner: str, max_jobs: int) -> dict | None:
        """The first queued job, marked starting for runner, while under max_jobs are active; else None."""

        def claim(connection) -> dict | None:
            self.serialize_queue(connection)
            active = connection.execute(
                f"SELECT COUNT(*) AS count FROM jobs WHERE state IN {marks(ACTIVE_STATES)}",
                plain(ACTIVE_STATES),
            ).fetchone()["count"]
            if active >= max_jobs:
                return None
            row = connection.execute(
                "SELECT job_id FROM jobs WHERE state = ? ORDER BY sequence LIMIT 1" + self.LOCK_ROW,
                (QUEUED_STATE.value,),
            ).fetchone()
            if row is None:
                return None
            job_id = row["job_id"]
            update_row(connection, job_id, state=JobState.STARTING, started_at=now(), runner=runner)
            claimed = connection.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            return decode(dict(claimed))

        return self.run(claim)

    def claim(self, job_id: str, runner: str) -> bool:
        """Mark one queued job as starting for runner; False when it was cancelled or claimed meanwhile."""
        return self.move_if(job_id, (QUEUED_STATE,), state=JobState.STARTING, started_at=now(), runner=runner)

    def cancel(self, job_id: str) -> bool:
        """Take a queued job out of the line; True when it was still waiting."""
        return self.move_if(job_id, (QUEUED_STATE,), state=JobState.CANCELLED, finished_at=now())

    def end_if_unfinished(self, job_id: str, state: JobState, error: str) -> bool:
        """Mark a queued or active job failed or interrupted with a message; False when it had ended."""
        return self.move_if(job_id, UNFINISHED_STATES, state=state, finished_at=now(), error=error)

    def move_if(self, job_id: str, states: tuple, **fields) -> bool:
        """Change fields of one job only while it is in one of states, in one statement; True when it was."""
        fields = encode(fields)
        assignments = ", ".join(f"{column} = ?" for column in fields)
        statement = f"UPDATE jobs SET {assignments} WHERE job_id = ? AND state IN {marks(states)}"
        parameters = [*plain(fields.values()), job_id, *plain(states)]
        return self.run(lambda connection: connection.execute(statement, parameters).rowcount == 1)

    def update(self, job_id: str, **fields) -> None:
        """Change some fields of one job."""
        self.run(lambda connection: update_row(connection, job_id, **fields))

    def append_epoch(self, job_id: str, epoch: dict) -> None:
        """Add one epoch's metrics to a job's history (once: the same epoch written again is kept once)."""

        def append(connection) -> None:
            row = connection.execute(
                "SELECT history FROM jobs WHERE job_id = ?" + self.LOCK_ROW, (job_id,)
            ).fetchone()
            if row is not None:
                history = json.loads(row["history"])
                if history and history[-1] == json.loads(json.dumps(epoch)):
                    return  # a retried write whose first try had reached the database
                connection.execute(
                    "UPDATE jobs SET history = ? WHERE job_id = ?", (json.dumps(history + [epoch]), job_id)
                )

        self.run(append)

    def record_event(self, job_id: str, event: str, report: dict) -> None:
        """Move a job on by one event of its training's report (start, batch, epoch, saving, the end).

        Written patiently: a training job's progress waits out a database restart rather than being lost.
        """
        self.patiently(lambda: self.record_event_once(job_id, event, report))

    def record_event_once(self, job_id: str, event: str, report: dict) -> None:
        """One try at recording one event (each event is safe to write twice)."""
        if event == JobEvent.EPOCH:
            self.append_epoch(job_id, report)
        elif event == JobEvent.LEARNING:
            self.append_learning(job_id, report["probes"], report["snapshot"])
        elif event == JobEvent.BATCH:
            self.update(job_id, batch=report)
        elif event in (JobEvent.START, JobEvent.SAVING):
            self.update(job_id, state=JobState.RUNNING if event == JobEvent.START else JobState.SAVING)
        elif event == JobEvent.FINISHED:
            self.update(
                job_id,
                state=JobState.FINISHED,
                finished_at=now(),
                model_name=report["model_name"],
                test_accuracy=report["test_accuracy"],
                test_loss=report["test_loss"],
                parameter_count=report["parameter_count"],
            )
        elif event == JobEvent.STOPPED:
            self.update(job_id, state=JobState.STOPPED, finished_at=now())
        elif event == JobEvent.FAILED:
            self.update(job_id, state=JobState.FAILED, finished_at=now(), error=report["error"])

    def append_learning(self, job_id: str, probes: dict, snapshot: dict) -> None:
        """Keep one epoch's probe predictions and first layer (fashion.training.learning) of a job."""
        parameters = (job_id, int(snapshot["epoch"]), json.dumps(probes), json.dumps(snapshot))
        self.run(lambda connection: connection.execute(self.UPSERT_LEARNING, parameters))

    def learning(self, job_id: str) -> dict:
        """A job's probes and per-epoch snapshots so far ({} before its first epoch ends)."""

        def read(connection) -> list:
            return connection.execute(
                "SELECT probes, snapshot FROM job_learning WHERE job_id = ? ORDER BY epoch", (job_id,)
            ).fetchall()

        rows = self.run(read, write=False)
        if not rows:
            return {}
        return {
            "probes": json.loads(rows[-1]["probes"]),
            "snapshots": [json.loads(row["snapshot"]) for row in rows],
        }

    def get(self, job_id: str) -> dict | None:
        """One job's record, or None."""
        rows = self.select("SELECT * FROM jobs WHERE job_id = ?", (job_id,))
        return rows[0] if rows else None

    def select(self, query: str, parameters=()) -> list[dict]:
        """Records read with one query, decoded."""
        return self.run(
            lambda connection: [
                decode(dict(row)) for row in connection.execute(query, plain(parameters)).fetchall()
            ],
            write=False,
        )

    def unfinished(self) -> list[dict]:
        """Active and queued jobs, in the order they were asked for."""
        return self.select(
            f"SELECT * FROM jobs WHERE state IN {marks(UNFINISHED_STATES)} ORDER BY sequence",
            UNFINISHED_STATES,
        )

    def recent(self, limit: int = 50) -> list[dict]:
        """The latest jobs, newest first."""
        return self.select("SELECT * FROM jobs ORDER BY sequence DESC LIMIT ?", (limit,))

    def finished_rates(self, architecture: str, limit: int = 20) -> list[dict]:
        """Recent ended jobs of one architecture with their history, to estimate training speed."""
        return self.select(
            "SELECT * FROM jobs WHERE architecture = ? AND history != '[]' ORDER BY sequence DESC LIMIT ?",
            (architecture, limit),
        )


def insert_row(connection, record: dict) -> None:
    """Add a new job record (inside a transaction)."""
    record = encode(record)
    columns = ", ".join(record)
    placeholders = ", ".join("?" for _ in record)
    connection.execute(f"INSERT INTO jobs ({columns}) VALUES ({placeholders})", plain(record.values()))


def update_row(connection, job_id: str, **fields) -> None:
    """Change some fields of one job (inside a transaction)."""
    fields = encode(fields)
    assignments = ", ".join(f"{column} = ?" for column in fields)
    connection.execute(f"UPDATE jobs SET {assignments} WHERE job_id = ?", [*plain(fields.values()), job_id])


def marks(values) -> str:
    """The SQL placeholders for an IN over values: "(?, ?, ?)" for three."""
    return "(" + ", ".join("?" for _ in values) + ")"


def plain(values) -> list:
    """Parameters as the drivers take them: a job state as its text."""
    return [value.value if isinstance(value, enum.Enum) else value for value in values]


def encode(record: dict) -> dict:
    """JSON columns as text."""
    for column in record:
        if column not in COLUMNS:
            raise ValueError(f"not a column of a job record: {column}")
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
