"""The jobs: the queue's order, limits, cancel and estimates, stops, faults and restarts, each with the job
records in SQLite (the default) and in PostgreSQL (a throwaway server, tests/postgres_server.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from quick_training import QUICK_HYPER_PARAMETERS as QUICK
from waiting import job_when

from fashion.errors import ConfigurationError, JobLimitError, JobStateError
from fashion.jobs import open_job_database
from fashion.jobs.job_queue import Jobs, describe_wait
from fashion.jobs.local_backend import LocalJobs
from fashion.jobs.records import JobRecords
from fashion.store import model_store as store
from fashion.training.models import with_overrides

REPOSITORY = Path(__file__).resolve().parent.parent
# A job that runs until it is stopped: 200 epochs of batches of 8
LONG = with_overrides(QUICK, epochs=200, batch_size=8, steps_per_execution=1)
ONE_EPOCH = with_overrides(QUICK, epochs=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> JobRecords:
    """An empty job database of its own: a SQLite file, or a database on the session's PostgreSQL server."""
    if request.param == "postgresql":
        return open_job_database(request.getfixturevalue("postgres_url"))
    return open_job_database(str(tmp_path / "jobs.sqlite3"))


@pytest.fixture
def open_jobs(database):
    """Make LocalJobs over the test's database; their dispatchers stop and their jobs are stopped after."""
    made = []

    def make(**limits) -> LocalJobs:
        made.append(LocalJobs(database, **limits))
        return made[-1]

    yield make
    stop_and_close(made)


def stop_and_close(made: list) -> None:
    """Cancel or stop every job of each LocalJobs, wait until none is active, then close its dispatcher."""
    for jobs in made:
        for snapshot in jobs.list():
            jobs.cancel(snapshot.job_id) or jobs.stop(snapshot.job_id)
        for snapshot in jobs.list():
            job_when(jobs, snapshot.job_id, lambda job: not job.active, "ended", seconds=120)
        jobs.close()


def test_jobs_wait_in_line_start_in_order_and_can_be_cancelled(small_dataset, models_dir, open_jobs):
    jobs = open_jobs(max_jobs=1, max_queued=5)
    first = jobs.start("tutorial", LONG, small_dataset, "first", owner="anna")
    second = jobs.start("tutorial", ONE_EPOCH, small_dataset, "second", owner="ben")
    third = jobs.start("tutorial", ONE_EPOCH, small_dataset, "third", owner="carl")
    assert first.state in ("starting", "running")
    assert (second.state, second.position, third.position) == ("queued", 1, 2)
    assert 0 < second.starts_in_seconds < third.starts_in_seconds
    assert describe_wait(third).startswith("queued, 2nd in line, starts in about ")
    # One job per browser session, queued or running
    with pytest.raises(JobLimitError, match="You already have a training job waiting in line"):
        jobs.start("tutorial", ONE_EPOCH, small_dataset, owner="ben")
    # The second leaves the line: the third moves up
    assert jobs.cancel(second.job_id) and not jobs.cancel(second.job_id)
    assert jobs.get(second.job_id).state == "cancelled"
    assert jobs.get(third.job_id).position == 1
    job_when(jobs, first.job_id, lambda job: len(job.history) >= 1, "past its first epoch")
    jobs.stop(first.job_id)
    finished = job_when(jobs, third.job_id, lambda job: job.state == "finished", "finished")
    stopped = jobs.get(first.job_id)
    assert stopped.state == "finished" and stopped.stop_requested and stopped.model_name == "first"
    assert finished.started_at >= stopped.finished_at - 1
    assert sorted(path.name for path in store.list_entries(models_dir)) == ["first", "third"]


def test_the_queue_has_a_cap_with_a_clear_message(small_dataset, models_dir, open_jobs):
    jobs = open_jobs(max_jobs=1, max_queued=1)
    jobs.start("tutorial", LONG, small_dataset, owner="anna")
    jobs.start("tutorial", ONE_EPOCH, small_dataset, owner="ben")
    with pytest.raises(JobLimitError, match=r"The training queue is full \(1 jobs waiting\)"):
        jobs.start("tutorial", ONE_EPOCH, small_dataset, owner="carl")
    with pytest.raises(JobLimitError, match="You already have a training job running"):
        jobs.start("tutorial", ONE_EPOCH, small_dataset, owner="anna")


def test_a_job_stopped_before_its_worker_starts_saves_nothing(small_dataset, models_dir, open_jobs):
    jobs = open_jobs(max_jobs=1)
    blocker = jobs.start("tutorial", LONG, small_dataset)
    waiting = jobs.start("tutorial", ONE_EPOCH, small_dataset)
    jobs.stop(waiting.job_id)  # stopped while queued: it starts with the stop already asked for
    jobs.stop(blocker.job_id)
    snapshot = job_when(
        jobs, waiting.job_id, lambda job: job.state not in ("queued", "starting", "running"), "ended"
    )
    assert snapshot.state == "stopped" and snapshot.history == [] and snapshot.model_name is None


def test_a_data_error_is_a_failed_job_that_retry_starts_again(small_dataset, models_dir, open_jobs, tmp_path):
    broken = replace(small_dataset, source=str(tmp_path))  # an empty folder: no IDX files
    jobs = open_jobs()
    failed = jobs.start("tutorial", QUICK, broken, "retried", owner="anna")
    snapshot = job_when(jobs, failed.job_id, lambda job: not job.active, "ended")
    assert snapshot.state == "failed" and "is missing" in snapshot.error
    assert snapshot.finished_at is not None and snapshot.model_name is None
    # Retry queues the same settings as a new job, here with the data fixed
    retried = jobs.retry(failed.job_id, small_dataset, owner="anna")
    assert retried.job_id != failed.job_id and retried.hyper_parameters == QUICK
    finished = job_when(jobs, retried.job_id, lambda job: job.state == "finished", "finished")
    assert finished.model_name == "retried" and jobs.get(failed.job_id).state == "failed"
    with pytest.raises(JobStateError, match="Only a failed or interrupted job .* this one is finished"):
        jobs.retry(retried.job_id, small_dataset)


class OneGpuCluster(Jobs):
    """A backend whose cluster has one GPU; it starts nothing (the jobs stay queued)."""

    def gpus_available(self) -> int:
        return 1

    def job_queued(self, job_id: str) -> None:
        pass


def test_a_gpu_is_asked_for_only_where_the_cluster_has_one(small_dataset, models_dir, database):
    from fashion.jobs.ray_backend import task_resources

    # Worker processes on this machine have no GPU to offer: a clear message, no job recorded
    local = LocalJobs(database, max_jobs=1)
    local.close()  # its dispatcher must not train the queued jobs below
    with pytest.raises(ConfigurationError, match="asks for 1 GPU"):
        local.start("tutorial", QUICK, small_dataset, gpus=1)
    assert database.recent() == []
    # On a cluster with a GPU the job keeps its choice, its Ray task asks for the GPU, and a retry keeps it
    jobs = OneGpuCluster(database, max_jobs=1)
    on_gpu = jobs.start("tutorial", QUICK, small_dataset, owner="anna", gpus=1)
    on_cpu = jobs.start("tutorial", QUICK, small_dataset, owner="ben")
    assert (on_gpu.gpus, on_cpu.gpus) == (1, 0)
    assert task_resources(database.get(on_gpu.job_id), 2) == {"num_cpus": 2, "num_gpus": 1}
    assert task_resources(database.get(on_cpu.job_id), 1) == {"num_cpus": 1}
    with pytest.raises(JobStateError, match="this one is queued"):
        jobs.retry(on_gpu.job_id, small_dataset)
    database.update(on_gpu.job_id, state="failed")
    assert jobs.retry(on_gpu.job_id, small_dataset, owner="carl").gpus == 1


def test_a_killed_worker_is_a_failed_job_and_frees_the_place(small_dataset, models_dir, open_jobs):
    jobs = open_jobs(max_jobs=1)
    job = jobs.start("tutorial", LONG, small_dataset)
    waiting = jobs.start("tutorial", ONE_EPOCH, small_dataset, "after-the-kill")
    running = job_when(jobs, job.job_id, lambda job: job.state == "running", "running")
    os.kill(running.worker_pid, signal.SIGKILL)
    snapshot = job_when(jobs, job.job_id, lambda job: not job.active, "ended")
    assert snapshot.state == "failed" and "ended unexpectedly" in snapshot.error
    finished = job_when(jobs, waiting.job_id, lambda job: job.state == "finished", "finished")
    assert finished.model_name == "after-the-kill"
    assert [entry.name for entry in store.list_entries(models_dir)] == ["after-the-kill"]


def test_stop_while_saving_lets_the_save_complete_in_the_worker(
    small_dataset, models_dir, open_jobs, monkeypatch
):
    jobs = open_jobs()
    real_apply_event = LocalJobs.apply_event

    def stop_when_saving(self, job_id, event, report):
        real_apply_event(self, job_id, event, report)
        if event == "saving":
            self.stop(job_id)  # reaches the worker while it evaluates and saves

    monkeypatch.setattr(LocalJobs, "apply_event", stop_when_saving)
    hyper_parameters = with_overrides(QUICK, epochs=2)
    job = jobs.start("tutorial", hyper_parameters, small_dataset, "stopped-while-saving")
    snapshot = job_when(jobs, job.job_id, lambda job: not job.active, "ended")
    assert snapshot.state == "finished" and snapshot.stop_requested
    assert len(snapshot.history) == 2
    entry = store.get_entry("stopped-while-saving", models_dir)
    assert entry.record["epochs_run"] == 2 and not entry.record["stopped_early"]
    store.load_model(entry.name, models_dir)


# An app process that starts a long job and queues two more, then is killed
APP_PROCESS = textwrap.dedent(
    """
    import sys, time
    from waiting import job_when
    from fashion.data.fashion_mnist import load_dataset
    from fashion.jobs import open_job_database
    from fashion.jobs.local_backend import LocalJobs
    from fashion.training.models import HyperParameters

    quick = HyperParameters(epochs=1, batch_size=64, learning_rate=0.003, seed=7, validation_fraction=0.1)
    long = HyperParameters(epochs=200, batch_size=8, learning_rate=0.003, seed=7, validation_fraction=0.1)
    dataset = load_dataset(allow_download=False)
    jobs = LocalJobs(open_job_database(sys.argv[1]), max_jobs=1)
    running = jobs.start("tutorial", long, dataset, "interrupted", owner="anna")
    jobs.start("tutorial", quick, dataset, "queued-first", owner="ben")
    jobs.start("tutorial", quick, dataset, "queued-second", owner="carl")
    job_when(jobs, running.job_id, lambda job: len(job.history) >= 1, "past its first epoch", seconds=300)
    print(running.job_id, flush=True)
    time.sleep(600)  # until the test kills this process
    """
)
# The app process imports the project and the tests' waiting helper
APP_PROCESS_PATH = os.pathsep.join([str(REPOSITORY), str(REPOSITORY / "tests")])


def test_after_a_restart_links_work_the_running_job_is_interrupted_and_the_queue_resumes(
    small_dataset, small_data_dir, models_dir, database, open_jobs
):
    environment = dict(os.environ, FASHION_MNIST_DIR=str(small_data_dir), PYTHONPATH=APP_PROCESS_PATH)
    app = subprocess.Popen(
        [sys.executable, "-c", APP_PROCESS, database.location],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        running_id = app.stdout.readline().strip()
    finally:
        app.kill()
        app.wait()
    assert running_id, "the app process did not start its job"
    # A new app process over the same database
    jobs = open_jobs(max_jobs=1)
    interrupted = job_when(
        jobs, running_id, lambda job: job.state == "interrupted", "interrupted", seconds=10
    )
    assert len(interrupted.history) >= 1 and "server stopped" in interrupted.error
    queued = [record for record in database.recent() if record["requested_name"].startswith("queued")]
    first, second = sorted(queued, key=lambda record: record["sequence"])
    first = job_when(jobs, first["job_id"], lambda job: job.state == "finished", "finished")
    second = job_when(jobs, second["job_id"], lambda job: job.state == "finished", "finished")
    assert first.started_at < second.started_at
    assert {"queued-first", "queued-second"} <= {entry.name for entry in store.list_entries(models_dir)}


def test_the_wait_estimate_adds_the_time_left_and_the_durations_ahead(database):
    from fashion.jobs.job_queue import estimate_queue, snapshot_from_record
    from fashion.training.run import BatchReport

    settings = with_overrides(QUICK, epochs=2, train_limit=1000, validation_fraction=0.1)

    def record(job_id: str, state: str, **fields) -> dict:
        return {
            "job_id": job_id, "owner": job_id, "architecture": "tutorial", "train_images": 1000,
            "hyper_parameters": settings.to_dict(), "store_directory": "/nowhere", "state": state,
            "queued_at": 0.0, **fields,
        }  # fmt: skip

    # A finished job: 2 epochs of 900 images in 1 s each, 12 s from start to save: 900 img/s, 10 s around
    epochs = [{"epoch": number, "seconds": 1.0} for number in (1, 2)]
    database.insert(record("done", "finished", history=epochs, started_at=100.0, finished_at=112.0))
    database.insert(record("running", "running", started_at=time.time()))
    database.insert(record("next", "queued"))
    database.insert(record("after", "queued"))
    snapshots = [snapshot_from_record(row) for row in database.unfinished()]
    snapshots[0].batch = BatchReport(1, 2, 5, 10, 900.0, 3.0, 6.0, 0.5, 0.8)  # 6 s of training left
    running, following, last = estimate_queue(snapshots, 1, database)
    assert following.expected_seconds == pytest.approx(10 + 2 * 900 / 900)
    assert following.position == 1 and following.starts_in_seconds == pytest.approx(6 + 10 / 3)
    assert last.position == 2 and last.starts_in_seconds == pytest.approx(6 + 10 / 3 + 12)
    assert describe_wait(last) == "queued, 2nd in line, starts in about 20 s"
