"""The jobs, chosen once from the environment: the factory above the interface and its backends.

`job_queue` is the interface (start, get, stop, cancel, list; limits and wait estimates); `local_backend`
and `ray_backend` implement it; `records` is the job records' interface, `sqlite_records` and
`postgres_records` hold them, `databases` picks one; `worker` trains one job in its own process.
"""

from __future__ import annotations

import threading

from fashion import settings
from fashion.jobs.databases import job_database_location, open_job_database
from fashion.jobs.job_queue import Jobs
from fashion.jobs.local_backend import LocalJobs

__all__ = ["default_jobs", "job_database_location", "open_job_database", "opened_jobs"]


_default_jobs: dict[tuple, Jobs] = {}
_default_lock = threading.Lock()


def default_jobs() -> Jobs:
    """This process's jobs, chosen once from the environment: Ray with FASHION_RAY_ADDRESS, else local;
    their records in PostgreSQL with FASHION_JOBS_DATABASE_URL, else in SQLite."""
    ray_address = settings.RAY_ADDRESS.text()
    location = job_database_location()
    key = (location, ray_address)
    with _default_lock:
        if key not in _default_jobs:
            database = open_job_database(location)
            if ray_address:
                from fashion.jobs.ray_backend import RayJobs  # deferred: imports Ray, only when asked for

                _default_jobs[key] = RayJobs(database, ray_address)
            else:
                _default_jobs[key] = LocalJobs(database)
        return _default_jobs[key]


def opened_jobs() -> list[Jobs]:
    """Every Jobs this process has opened through default_jobs."""
    with _default_lock:
        return list(_default_jobs.values())
