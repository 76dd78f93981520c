"""The job records' two backends: the schema's migration and the claims raced by replicas, PostgreSQL
only when asked for, and the database's failures (restarted, unreachable, an app replica killed).

The PostgreSQL server is a throwaway one per test session (tests/postgres_server.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

import pytest
from app_pages import open_page
from quick_training import QUICK_HYPER_PARAMETERS as QUICK
from test_jobs import APP_PROCESS, APP_PROCESS_PATH, LONG, REPOSITORY, stop_and_close
from waiting import job_when, wait_for

from fashion.errors import ConfigurationError, JobDatabaseError, JobLimitError
from fashion.jobs import job_database_location, open_job_database
from fashion.jobs.job_queue import Jobs
from fashion.jobs.local_backend import LocalJobs
from fashion.jobs.records import JobState
from fashion.store import model_store as store
from fashion.training.models import with_overrides

REPLICAS = 8
# Long enough that the database's restart falls inside the training: 6 epochs of batches of 8
SEVERAL_EPOCHS = with_overrides(QUICK, epochs=6, batch_size=8, steps_per_execution=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path) -> str:
    """Where an empty job database will be: a SQLite file's path, or a database on the PostgreSQL server."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    return str(tmp_path / "jobs.sqlite3")


def at_once(count: int, action) -> list:
    """action(index) in count threads released together; what each returned (or the exception it raised)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = action(index)
        except Exception as error:  # noqa: BLE001 - returned for the test to check
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def queued_record(number: int, **fields) -> dict:
    """A job record waiting in line (the fields a record needs)."""
    return {
        "job_id": f"job{number:03d}", "owner": f"student-{number}", "architecture": "tutorial",
        "hyper_parameters": QUICK.to_dict(), "train_images": 400, "store_directory": "/nowhere",
        "state": JobState.QUEUED, "queued_at": float(number), **fields,
    }  # fmt: skip


def test_without_a_database_url_nothing_about_postgresql_is_imported(tmp_path, postgres_url):
    probe = (
        "import sys\n"
        "from fashion.jobs import default_jobs\n"
        "jobs = default_jobs()\n"
        "jobs.list()\n"
        "print(type(jobs.database).__name__, sorted(name for name in sys.modules"
        " if 'psycopg' in name or 'postgres' in name))\n"
    )
    environment = {
        key: value for key, value in os.environ.items() if key != "FASHION_JOBS_DATABASE_URL"
    } | {"FASHION_MODELS_DIR": str(tmp_path / "models"), "PYTHONPATH": str(REPOSITORY)}
    unset = subprocess.run(
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, timeout=120
    )
    assert unset.stdout.strip() == "JobDatabase []", unset.stderr
    # The same probe with the variable set does import them: the check above can see them
    environment["FASHION_JOBS_DATABASE_URL"] = postgres_url
    set_ = subprocess.run(
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, timeout=120
    )
    assert set_.stdout.startswith("PostgresJobDatabase ['fashion.jobs.postgres_records', "), set_.stderr
    assert "'psycopg'" in set_.stdout


def test_a_database_url_that_is_not_postgresql_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("FASHION_JOBS_DATABASE_URL", "mysql://db.school/jobs")
    with pytest.raises(ConfigurationError, match="must be a postgresql:// address"):
        job_database_location()


def test_replicas_migrating_an_empty_database_at_once_make_one_schema(location):
    opened = at_once(REPLICAS, lambda index: open_job_database(location))
    errors = [result for result in opened if isinstance(result, Exception)]
    assert errors == []
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location) as connection:
            versions = connection.execute("SELECT version FROM job_schema_versions").fetchall()
            tables = connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                " ORDER BY table_name"
            ).fetchall()
        assert versions == [(1,)]
        assert [row[0] for row in tables] == ["job_learning", "job_schema_versions", "jobs"]
    else:
        import sqlite3

        connection = sqlite3.connect(location)
        assert connection.execute("PRAGMA user_version").fetchone() == (1,)
        connection.close()
    # Every replica's database works on the one schema
    opened[0].insert(queued_record(1))
    assert [record["job_id"] for record in opened[-1].unfinished()] == ["job001"]


def test_claims_raced_by_replicas_are_decided_by_the_database(location):
    open_job_database(location)
    databases = [open_job_database(location) for _ in range(REPLICAS)]
    for number in range(1, 6):
        databases[0].insert(queued_record(number))
    # Two free places, eight replicas claiming at once: the first two jobs in line, once each
    claims = at_once(REPLICAS, lambda index: databases[index].claim_next(f"replica-{index}", max_jobs=2))
    claimed = sorted(claim["job_id"] for claim in claims if claim is not None)
    assert claimed == ["job001", "job002"], claims
    assert {claim["state"] for claim in claims if claim is not None} == {"starting"}
    assert [record["job_id"] for record in databases[0].unfinished() if record["state"] == "queued"] == [
        "job003", "job004", "job005",
    ]  # fmt: skip
    # One queued job claimed by eight Ray tasks at once: one of them has it
    wins = at_once(REPLICAS, lambda index: databases[index].claim("job003", f"ray:node-{index}"))
    assert wins.count(True) == 1 and wins.count(False) == REPLICAS - 1, wins
    assert databases[0].get("job003")["runner"] == f"ray:node-{wins.index(True)}"
    # A cancel racing claims: exactly one of them takes the job
    outcomes = at_once(
        REPLICAS,
        lambda index: databases[index].cancel("job004")
        if index == 0
        else databases[index].claim("job004", f"ray:node-{index}"),
    )
    assert outcomes.count(True) == 1, outcomes
    state = databases[0].get("job004")["state"]
    assert state == ("cancelled" if outcomes[0] is True else "starting")


class QueueOnly(Jobs):
    """A replica's jobs that start nothing (the jobs stay in line)."""

    def job_queued(self, job_id: str) -> None:
        pass


def test_a_full_queue_raced_by_replicas_admits_only_up_to_its_cap(location, small_dataset, models_dir):
    open_job_database(location).insert(queued_record(0, state=JobState.RUNNING))  # the one place is taken
    replicas = [QueueOnly(open_job_database(location), max_jobs=1, max_queued=3) for _ in range(REPLICAS)]
    started = at_once(
        REPLICAS, lambda index: replicas[index].start("tutorial", QUICK, small_dataset, owner=f"s{index}")
    )
    refused = [result for result in started if isinstance(result, JobLimitError)]
    assert len(refused) == REPLICAS - 3, started
    assert all("The training queue is full (3 jobs waiting)" in str(error) for error in refused)
    assert len([job for job in replicas[0].list() if job.queued]) == 3


@pytest.fixture
def replicas_on_postgres(postgres_url):
    """LocalJobs over the test's PostgreSQL database; their jobs are stopped, dispatchers closed after."""
    made = []

    def make(**options) -> LocalJobs:
        from fashion.jobs.postgres_records import PostgresJobDatabase

        patience = options.pop("patience_seconds", 60.0)
        made.append(LocalJobs(PostgresJobDatabase(postgres_url, patience_seconds=patience), **options))
        return made[-1]

    yield make
    stop_and_close(made)


def test_the_database_restarted_while_a_job_trains_loses_nothing_of_its_record(
    postgres_server, replicas_on_postgres, small_dataset, models_dir
):
    jobs = replicas_on_postgres(max_jobs=1)
    job = jobs.start("tutorial", SEVERAL_EPOCHS, small_dataset, "survived-a-restart")
    job_when(jobs, job.job_id, lambda job: len(job.history) >= 1, "past its first epoch")
    postgres_server.stop()
    assert jobs.worker_process(job.job_id).poll() is None, "the job ended before the database went down"
    time.sleep(3)  # the outage: the worker trains on, its reports wait for the database
    postgres_server.start()
    finished = job_when(jobs, job.job_id, lambda job: not job.active, "ended")
    assert finished.state == "finished", finished.error
    assert [row["epoch"] for row in finished.history] == [1, 2, 3, 4, 5, 6]
    assert finished.model_name == "survived-a-restart" and finished.test_accuracy is not None
    assert [snapshot["epoch"] for snapshot in jobs.learning(job.job_id)["snapshots"]] == [1, 2, 3, 4, 5, 6]
    assert store.get_entry("survived-a-restart", models_dir).record["epochs_run"] == 6


def test_the_database_down_past_the_patience_interrupts_the_job_with_retry(
    postgres_server, replicas_on_postgres, small_dataset, models_dir
):
    jobs = replicas_on_postgres(max_jobs=1, patience_seconds=1.0)
    job = jobs.start("tutorial", LONG, small_dataset, "outlasted", owner="anna")
    job_when(jobs, job.job_id, lambda job: len(job.history) >= 1, "past its first epoch")
    postgres_server.stop()
    # Its next report waits a second for the database, then the worker, whose progress is lost, is ended
    wait_for(lambda: jobs.worker_process(job.job_id) is None, "the worker to end in the outage", seconds=60)
    postgres_server.start()
    interrupted = job_when(
        jobs, job.job_id, lambda job: job.state == "interrupted", "interrupted", seconds=30
    )
    assert "job database could not be reached" in interrupted.error and "Retry" in interrupted.error
    assert len(interrupted.history) >= 1
    assert store.list_entries(models_dir) == []
    # Retry queues the same settings again (on a replica that starts nothing: the test ends here)
    jobs.close()
    queue_only = QueueOnly(jobs.database, max_jobs=1)
    retried = queue_only.retry(job.job_id, small_dataset, owner="anna")
    assert retried.job_id != job.job_id and retried.hyper_parameters == LONG and retried.queued
    assert queue_only.cancel(retried.job_id)


def test_the_database_unreachable_when_start_is_pressed_is_a_message_and_no_job(
    postgres_server, postgres_url, use_small_data, small_dataset, models_dir, monkeypatch
):
    monkeypatch.setenv("FASHION_JOBS_DATABASE_URL", postgres_url)
    app = open_page("pages/train.py")
    app.checkbox(key="train_use_subset").check().run()
    app.number_input(key="train_subset_size").set_value(400)
    postgres_server.stop()
    try:
        app.button(key="train_start").click().run()
        assert not app.exception
        assert app.error[0].value.startswith("The job database (PostgreSQL database jobs_")
        assert "cannot be reached" in app.error[0].value and "Nothing was changed" in app.error[0].value
        assert "job" not in app.query_params
        # The core says the same with its own exception type
        from fashion.jobs import default_jobs

        with pytest.raises(JobDatabaseError, match="cannot be reached"):
            default_jobs().start("tutorial", QUICK, small_dataset, owner="anna")
    finally:
        postgres_server.start()
    assert open_job_database(postgres_url).recent() == []


def test_an_app_replica_killed_mid_job_leaves_the_job_and_its_curves_to_another(
    postgres_url, small_data_dir, use_small_data, models_dir, monkeypatch
):
    environment = dict(os.environ, FASHION_MNIST_DIR=str(small_data_dir), PYTHONPATH=APP_PROCESS_PATH)
    replica = subprocess.Popen(
        [sys.executable, "-c", APP_PROCESS, postgres_url], stdout=subprocess.PIPE, text=True, env=environment
    )
    try:
        running_id = replica.stdout.readline().strip()
    finally:
        replica.kill()
        replica.wait()
    assert running_id, "the first replica did not start its job"
    # The other replica's Train page, opened from the job's link
    monkeypatch.setenv("FASHION_JOBS_DATABASE_URL", postgres_url)
    app = open_page("pages/train.py", {"job": running_id})
    from fashion.jobs import default_jobs

    jobs = default_jobs()
    job_when(jobs, running_id, lambda job: job.state == "interrupted", "interrupted", seconds=30)
    app.run()
    assert not app.exception
    assert app.warning[0].value.startswith("The server stopped while this job was training")
    assert app.button(key="training_retry").label == "Retry with the same settings"
    plotted_caption = re.compile(r"[\d,]+ epochs? plotted\.")
    plotted = [caption.value for caption in app.caption if plotted_caption.fullmatch(caption.value)]
    assert plotted and int(plotted[0].split()[0]) >= 1
    assert any(image.proto.imgs[0].caption == "Loss and accuracy per epoch" for image in app.get("image"))
    # The queued jobs the killed replica had taken in go on here
    for record in jobs.database.unfinished():
        jobs.cancel(record["job_id"]) or jobs.stop(record["job_id"])
    for record in jobs.database.unfinished():
        job_when(jobs, record["job_id"], lambda job: not job.active, "ended")


def test_a_role_that_may_not_create_the_tables_is_a_clear_error(postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("CREATE ROLE student LOGIN")
        connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    with pytest.raises(JobDatabaseError, match="could not be prepared: permission denied for schema public"):
        open_job_database(postgres_url.replace("postgres@", "student@"))
