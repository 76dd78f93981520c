"""Where the job records are kept, chosen from the environment: the SQLite file or PostgreSQL.

A factory above the records' interface (`records`) and its two backends, so that neither backend nor the
interface imports the other; the Ray backend opens the records on its nodes through it.
"""

from __future__ import annotations

from pathlib import Path

from fashion import settings
from fashion.errors import ConfigurationError
from fashion.i18n import _
from fashion.jobs.records import JobRecords
from fashion.jobs.sqlite_records import JobDatabase, database_path

POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")


def job_database_location() -> str:
    """Where the job records are: FASHION_JOBS_DATABASE_URL (postgresql://...), else the SQLite file."""
    url = settings.JOBS_DATABASE_URL.text()
    if not url:
        return str(database_path())
    if not url.startswith(POSTGRESQL_SCHEMES):
        raise ConfigurationError(
            _(
                "{variable} must be a postgresql:// address (such as "
                "postgresql://fashion@db.school/fashion_jobs); unset it to keep the job records in SQLite."
            ).format(variable=settings.JOBS_DATABASE_URL.name)
        )
    return url


def open_job_database(location: str) -> JobRecords:
    """The job records at location: PostgreSQL for a postgresql:// address, else the SQLite file there."""
    if location.startswith(POSTGRESQL_SCHEMES):
        # deferred: psycopg loads only when PostgreSQL is asked for
        from fashion.jobs.postgres_records import PostgresJobDatabase

        return PostgresJobDatabase(location)
    return JobDatabase(Path(location))
