"""The jobs on a Ray cluster (FASHION_RAY_ADDRESS): each job is a Ray task asking for the CPUs it needs
(and a GPU, when the user picks one and the cluster has one).

Ray's scheduler places the tasks on nodes and holds them until a node is free. A detached, named
actor (the job board, on the head node) carries the tasks' progress into the job database (the
SQLite file in the shared model store, or PostgreSQL), which every app replica reads, so a reload
that lands on another replica finds the same job, live; Stop is a flag in that database that the
task reads. Only this module imports ray: the embedded default never starts or needs it.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time

import ray

from fashion import settings
from fashion.errors import JobDatabaseError
from fashion.i18n import _
from fashion.jobs.databases import open_job_database
from fashion.jobs.job_queue import Jobs
from fashion.jobs.records import ACTIVE_STATES, JobRecords, JobState
from fashion.jobs.worker import EventReporter, run_job

RAY_NAMESPACE = "fashion-studio"
STOP_POLL_SECONDS = 0.5
WATCH_INTERVAL_SECONDS = 0.5
NODE_CHECK_SECONDS = 5.0
PLACES_CHECK_SECONDS = 10.0
HEAD_NODE_RESOURCE = "node:__internal_head__"


@ray.remote(num_cpus=0, max_restarts=-1)
class JobBoard:
    """Writes the progress reports of every training task into one job database, one at a time."""

    def __init__(self, database_location: str):
        self.database = open_job_database(database_location)

    def report(self, job_id: str, event: str, fields: dict) -> None:
        """Record one event of a training task."""
        self.database.record_event(job_id, event, fields)


def claim(database: JobRecords, job_id: str, node_id: str) -> bool:
    """Mark a queued job as starting on a node; False when it was cancelled meanwhile."""
    return database.claim(job_id, f"ray:{node_id}")


def train_on_the_cluster(record: dict, database_location: str, board) -> str:
    """One job as a Ray task: train, evaluate and save, reporting progress through the job board.

    The task never waits on another Ray call while it trains: Ray lends a blocked task's CPU to the
    next queued task, which would run two jobs on a one-CPU node. So the claim and the stop request
    are read from the job database itself.
    """
    if not record.get("gpus") and "tensorflow" not in sys.modules:
        # A CPU job on a GPU node leaves the GPU to the GPU jobs. Ray gives each GPU task a fresh
        # worker process (max_calls=1), so a CPU task's worker first imports TensorFlow here.
        os.environ["CUDA_VISIBLE_DEVICES"] = ""

    class BoardReporter(EventReporter):
        last_report = None

        def send(self, event: str, **fields) -> None:
            self.last_report = board.report.remote(record["job_id"], event, fields)

    os.environ[settings.MODELS_DIR.name] = record["store_directory"]
    if record["data_directory"]:
        os.environ[settings.MNIST_DIR.name] = record["data_directory"]
    job_id, database = record["job_id"], open_job_database(database_location)
    if not claim(database, job_id, ray.get_runtime_context().get_node_id()):
        return JobState.CANCELLED.value
    stop_event, done = threading.Event(), threading.Event()

    def watch_for_stop() -> None:
        while not done.wait(STOP_POLL_SECONDS):
            try:
                record = database.get(job_id)
                stop_requested = record is not None and record["stop_requested"]
            except JobDatabaseError:
                continue  # read again once the database is back
            if stop_requested:
                stop_event.set()
                return

    threading.Thread(target=watch_for_stop, daemon=True).start()
    reporter = BoardReporter()
    job = {
        "architecture": record["architecture"],
        "hyper_parameters": record["hyper_parameters"],
        "model_name": record["requested_name"],
        "parent": record.get("parent"),
    }
    try:
        run_job(job, reporter, stop_event)
    finally:
        done.set()
    if reporter.last_report is not None:
        ray.get(reporter.last_report)  # the outcome is recorded before the task ends
    return "ended"


# Two remote functions over the same task: one asking for a GPU (Ray ends its worker after each
# task, so TensorFlow in the next one sees only that task's GPU), one for CPUs only.
train_on_cpus = ray.remote(max_retries=0)(train_on_the_cluster)
train_on_a_gpu = ray.remote(num_gpus=1, max_retries=0)(train_on_the_cluster)


def task_resources(record: dict, cpus_per_job: int) -> dict:
    """The Ray options of a job's task: the CPUs it asks for, and its GPUs when the user picked one."""
    resources = {"num_cpus": cpus_per_job}
    if record.get("gpus"):
        resources["num_gpus"] = int(record["gpus"])
    return resources


def connect(address: str) -> None:
    """Join the cluster at address (once per process)."""
    if not ray.is_initialized():
        ray.init(address=address, namespace=RAY_NAMESPACE, log_to_driver=False, configure_logging=False)


class RayJobs(Jobs):
    """Jobs that run as Ray tasks; this replica watches the tasks it submitted and marks lost ones."""

    def __init__(self, database: JobRecords, address: str, **limits):
        connect(address)
        self.cpus_per_job = settings.RAY_CPUS_PER_JOB.integer(1, 1)
        super().__init__(database, **{"max_jobs": self.cluster_places(), **limits})
        self._places_checked = time.monotonic()
        self._gpus = int(ray.cluster_resources().get("GPU", 0))
        board_name = "fashion-job-board-" + hashlib.sha256(database.location.encode()).hexdigest()[:12]
        # ray.remote made JobBoard an actor class; its annotations still describe the plain class
        self.board = JobBoard.options(  # type: ignore[attr-defined]
            name=board_name, lifetime="detached", get_if_exists=True, resources={HEAD_NODE_RESOURCE: 0.001}
        ).remote(database.location)
        self._tasks: dict[str, ray.ObjectRef] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._watch_forever, name="ray-job-watcher", daemon=True).start()

    def cluster_places(self) -> int:
        """How many jobs the cluster's live nodes run at once (their CPUs over the CPUs a job asks for)."""
        return max(1, int(ray.cluster_resources().get("CPU", 1)) // self.cpus_per_job)

    def list(self):
        """The active and queued jobs; the estimate counts the cluster's places (checked every 10 s)."""
        if time.monotonic() - self._places_checked > PLACES_CHECK_SECONDS:
            self._places_checked = time.monotonic()
            self.max_jobs = self.cluster_places()
            self._gpus = int(ray.cluster_resources().get("GPU", 0))
        return super().list()

    def gpus_available(self) -> int:
        """The GPUs of the cluster's live nodes (counted every 10 s): a job may ask for one."""
        return self._gpus

    def job_queued(self, job_id: str) -> None:
        record = self.database.get(job_id)
        if record is None:
            raise JobDatabaseError(
                _("the job database has no job {job_id} to send to the cluster.").format(job_id=job_id)
            )
        remote_function = train_on_a_gpu if record.get("gpus") else train_on_cpus
        task = remote_function.options(**task_resources(record, self.cpus_per_job)).remote(
            record, self.database.location, self.board
        )
        with self._lock:
            self._tasks[job_id] = task

    def deliver_stop(self, job_id: str) -> None:
        pass  # The task reads the stop request from the job database twice a second.

    def cancel(self, job_id: str) -> bool:
        cancelled = super().cancel(job_id)
        with self._lock:
            task = self._tasks.get(job_id)
        if cancelled and task is not None:
            ray.cancel(task)  # frees its place in Ray's queue; the task would end at its claim anyway
        return cancelled

    def _watch_forever(self) -> None:
        last_node_check = 0.0
        while True:
            with self._lock:
                tasks = dict(self._tasks)
            if tasks:
                ready, _ = ray.wait(
                    list(tasks.values()), num_returns=len(tasks), timeout=WATCH_INTERVAL_SECONDS
                )
                for job_id, task in tasks.items():
                    if task in ready:
                        self._task_ended(job_id, task)
            else:
                time.sleep(WATCH_INTERVAL_SECONDS)
            if time.monotonic() - last_node_check > NODE_CHECK_SECONDS:
                last_node_check = time.monotonic()
                self._fail_jobs_of_lost_nodes()

    def _task_ended(self, job_id: str, task) -> None:
        with self._lock:
            self._tasks.pop(job_id, None)
        try:
            ray.get(task)
        except ray.exceptions.TaskCancelledError:
            return
        except ray.exceptions.RayError as error:
            self.fail_if_unfinished(
                job_id, f"the Ray node or worker training it was lost ({type(error).__name__})"
            )

    def _fail_jobs_of_lost_nodes(self) -> None:
        alive = {node["NodeID"] for node in ray.nodes() if node["Alive"]}
        for record in self.database.unfinished():
            runner = record["runner"] or ""
            if record["state"] in ACTIVE_STATES and runner.startswith("ray:") and runner[4:] not in alive:
                self.fail_if_unfinished(record["job_id"], "the Ray node training it was lost")

    def fail_if_unfinished(self, job_id: str, reason: str) -> None:
        """Mark a job failed, unless it has ended already; its model was never written."""
        self.database.end_if_unfinished(
            job_id,
            JobState.FAILED,
            f"Training failed: {reason}; nothing was saved. Retry starts it again with the same settings.",
        )
