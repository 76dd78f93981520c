"""Training job records in PostgreSQL (FASHION_JOBS_DATABASE_URL): one database for app replicas and Ray
nodes on several machines, where a SQLite file on shared storage would be written from several hosts.

Imported only when that variable is set, so the embedded default never needs psycopg. Each operation
takes an idle connection kept from an earlier one, or opens one; after a server restart the kept
connections are broken, so an operation that fails on one is tried once more on a new connection.
Admitting and claiming jobs
first take a transaction-level advisory lock, so two replicas never both take the last free place;
the claim of one queued job by a Ray task is one conditional UPDATE. The schema's versions are
rows of job_schema_versions, applied at start under another advisory lock: replicas that start
together against an empty database run each migration once.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from fashion.errors import JobDatabaseError
from fashion.i18n import _
from fashion.jobs.records import JobRecords, create_jobs_table, now

CONNECT_TIMEOUT_SECONDS = 5
# The progress of a job in training waits this long for a restarted server before its job is given up
PATIENCE_SECONDS = 60.0
RETRY_INTERVAL_SECONDS = 0.5
IDLE_CONNECTIONS_KEPT = 4
# Keys of pg_advisory_xact_lock: one for the schema's migrations, one for admitting and claiming jobs
MIGRATION_LOCK = 7_404_251_001
QUEUE_LOCK = 7_404_251_002

SQL_TYPES = {
    "sequence": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    "text": "TEXT",
    "integer": "INTEGER",
    "big_integer": "BIGINT",
    "real": "DOUBLE PRECISION",
}
SCHEMA_VERSION_1 = (
    create_jobs_table(SQL_TYPES),
    "CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, sequence)",
    """
    CREATE TABLE IF NOT EXISTS job_learning (
        job_id TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        probes TEXT NOT NULL,
        snapshot TEXT NOT NULL,
        PRIMARY KEY (job_id, epoch)
    )
    """,
)
# The schema's versions in order: MIGRATIONS[n - 1] holds the statements that bring version n - 1 to n.
MIGRATIONS = (SCHEMA_VERSION_1,)
SCHEMA_VERSION = len(MIGRATIONS)


class QuestionMarks:
    """A psycopg connection that takes the job records' `?` parameters (psycopg's are `%s`)."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, statement: str, parameters=()):
        """Run one statement; its cursor."""
        return self.connection.execute(statement.replace("?", "%s"), list(parameters))


def first_line(error: Exception) -> str:
    """The first non-empty line of an error's message (libpq adds hints on later lines)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def describe_server(url: str) -> str:
    """'PostgreSQL database fashion on db.school:5432', without the password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "PostgreSQL (an address that could not be read)"
    host = parts.get("host") or "the local socket"
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"PostgreSQL database {parts.get('dbname', '?')} on {host}{port}"


class PostgresJobDatabase(JobRecords):
    """The job records in a PostgreSQL database; every operation is one transaction (or one read)."""

    UPSERT_LEARNING = (
        "INSERT INTO job_learning (job_id, epoch, probes, snapshot) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (job_id, epoch) DO UPDATE SET probes = EXCLUDED.probes, snapshot = EXCLUDED.snapshot"
    )
    LOCK_ROW = " FOR UPDATE"

    def __init__(self, url: str, patience_seconds: float = PATIENCE_SECONDS):
        self.location = url
        self.patience_seconds = patience_seconds
        self.server = describe_server(url)
        self._idle: list = []
        self._idle_lock = threading.Lock()
        try:
            self.run(migrate)
        except psycopg.Error as error:  # a role that may not create tables, say: said once, clearly
            raise JobDatabaseError(
                _(
                    "The job database ({server}) could not be prepared: {error}. "
                    "The role in FASHION_JOBS_DATABASE_URL needs to be allowed to create tables there."
                ).format(server=self.server, error=first_line(error))
            ) from error

    def run(self, operation, write: bool = True):
        """operation(connection) once; again on a new connection when a kept one had gone stale."""
        try:
            return super().run(operation, write)
        except JobDatabaseError:
            with self._idle_lock:
                stale, self._idle = self._idle, []
            for connection in stale:
                connection.close()
            return super().run(operation, write)

    def connect(self):
        """A kept idle connection, else a new one (rows as dicts); JobDatabaseError when none can be had."""
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        try:
            return psycopg.connect(
                self.location, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_SECONDS, autocommit=True
            )
        except psycopg.OperationalError as error:
            raise self.unavailable(error) from error

    def release(self, connection) -> None:
        """Keep a connection that is idle and sound for the next operation, else close it."""
        idle = connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        sound = not connection.closed and idle
        with self._idle_lock:
            if sound and len(self._idle) < IDLE_CONNECTIONS_KEPT:
                self._idle.append(connection)
                return
        connection.close()

    def unavailable(self, error: Exception) -> JobDatabaseError:
        """The clear message for a server that is down or went away."""
        reason = first_line(error)
        return JobDatabaseError(
            _(
                "The job database ({server}) cannot be reached: {reason}. Nothing was changed; "
                "try again in a moment, and if it persists ask whoever runs the server to check PostgreSQL."
            ).format(server=self.server, reason=reason)
        )

    @contextmanager
    def transaction(self):
        """A connection inside BEGIN ... COMMIT, rolled back on an error."""
        connection = self.connect()
        try:
            with connection.transaction():
                yield QuestionMarks(connection)
        except psycopg.OperationalError as error:
            connection.close()
            raise self.unavailable(error) from error
        finally:
            self.release(connection)

    @contextmanager
    def read(self):
        """A connection for reading (in autocommit: each statement its own transaction)."""
        connection = self.connect()
        try:
            yield QuestionMarks(connection)
        except psycopg.OperationalError as error:
            connection.close()
            raise self.unavailable(error) from error
        finally:
            self.release(connection)

    def serialize_queue(self, connection) -> None:
        """Wait for the queue's advisory lock, held until this transaction ends."""
        connection.execute("SELECT pg_advisory_xact_lock(?)", (QUEUE_LOCK,))

    def patiently(self, write):
        """write() again, every half second, while the server is unreachable, for up to patience_seconds."""
        deadline = time.monotonic() + self.patience_seconds
        while True:
            try:
                return write()
            except JobDatabaseError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(RETRY_INTERVAL_SECONDS)


def migrate(connection) -> None:
    """Apply the schema's versions this database lacks, each once, one replica at a time."""
    connection.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
    connection.execute(
        "CREATE TABLE IF NOT EXISTS job_schema_versions"
        " (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
    )
    current = connection.execute(
        "SELECT COALESCE(MAX(version), 0) AS version FROM job_schema_versions"
    ).fetchone()["version"]
    for number in range(current + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[number - 1]:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO job_schema_versions (version, applied_at) VALUES (?, ?)", (number, now())
        )
