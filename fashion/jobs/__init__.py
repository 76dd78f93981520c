"""The jobs, chosen once from the environment: the factory above the interface and its backends.

`job_queue` is the interface (start, get, stop, cancel, list; limits and wait estimates); `local_backend`
and `ray_backend` implement it; `records` is the job records' interface, `sqlite_records` and
`postgres_records` hold them; `worker` trains one job in its own process.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from fashion.errors import ConfigurationError
from fashion.jobs.job_queue import DATABASE_URL_VARIABLE, POSTGRESQL_SCHEMES, RAY_ADDRESS_VARIABLE, Jobs
from fashion.jobs.records import JobRecords
from fashion.jobs.sqlite_records import JobDatabase, database_path


def job_database_location() -> str:
    """Where the job records are: FASHION_JOBS_DATABASE_URL (postgresql://...), else the SQLite file."""
    url = os.environ.get(DATABASE_URL_VARIABLE, "").strip()
    if not url:
        return str(database_path())
    if not url.startswith(POSTGRESQL_SCHEMES):
        raise ConfigurationError(
            f"{DATABASE_URL_VARIABLE} must be a postgresql:// address (such as "
            "postgresql://fashion@db.school/fashion_jobs); unset it to keep the job records in SQLite."
        )
    return url


def open_job_database(location: str) -> JobRecords:
    """The job records at location: PostgreSQL for a postgresql:// address, else the SQLite file there."""
    if location.startswith(POSTGRESQL_SCHEMES):
        from fashion.jobs.postgres_records import PostgresJobDatabase  # psycopg only when asked for

        return PostgresJobDatabase(location)
    return JobDatabase(Path(location))


_default_jobs: dict[tuple, Jobs] = {}
_default_lock = threading.Lock()


def default_jobs() -> Jobs:
    """This process's jobs, chosen once from the environment: Ray with FASHION_RAY_ADDRESS, else local;
    their records in PostgreSQL with FASHION_JOBS_DATABASE_URL, else in SQLite."""
    ray_address = os.environ.get(RAY_ADDRESS_VARIABLE)
    location = job_database_location()
    key = (location, ray_address)
    with _default_lock:
        if key not in _default_jobs:
            database = open_job_database(location)
            if ray_address:
                from fashion.jobs.ray_backend import RayJobs

                _default_jobs[key] = RayJobs(database, ray_address)
            else:
                from fashion.jobs.local_backend import LocalJobs

                _default_jobs[key] = LocalJobs(database)
        return _default_jobs[key]


def opened_jobs() -> list[Jobs]:
    """Every Jobs this process has opened through default_jobs."""
    with _default_lock:
        return list(_default_jobs.values())
