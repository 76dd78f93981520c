"""The jobs: one small interface (start, get, stop, cancel, list) over training jobs that queue.

Over 300 lines: the interface and its limits and wait estimates read as one queue.

Two backends implement it: worker processes on this machine (`fashion.jobs.local_backend`, the default) and
a Ray cluster (`fashion.jobs.ray_backend`, when FASHION_RAY_ADDRESS is set). Both keep their records in the
job records (`fashion.jobs.records`): the SQLite file beside the model store by default, or PostgreSQL
with FASHION_JOBS_DATABASE_URL, so a `?job=` link outlives the server process.
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fashion import settings
from fashion.data.fashion_mnist import TRAIN_IMAGES, Dataset
from fashion.errors import ConfigurationError, JobDatabaseError, JobLimitError, JobStateError
from fashion.i18n import ENGLISH, _, current_language
from fashion.jobs.records import ACTIVE_STATES, QUEUED_STATE, JobRecords, JobState, now
from fashion.store import model_store as store
from fashion.training.models import HyperParameters
from fashion.training.run import BatchReport

DEFAULT_MAX_QUEUED = 40
RETRYABLE_STATES = (JobState.FAILED, JobState.INTERRUPTED)
# Until this machine has finished a job of an architecture, rough defaults: training images per
# second, and the seconds around the training (starting TensorFlow, loading the data, the save).
DEFAULT_IMAGES_PER_SECOND = {"tutorial": 60000.0, "cnn": 4000.0}
JOB_OVERHEAD_SECONDS = 8.0


@dataclass
class JobSnapshot:
    """A consistent copy of a job's record, with its place in the queue while it waits."""

    job_id: str
    owner: str | None
    architecture: str
    hyper_parameters: HyperParameters
    state: str
    history: list[dict]
    batch: BatchReport | None
    epochs: int
    queued_at: float
    started_at: float | None
    finished_at: float | None
    model_name: str | None
    test_accuracy: float | None
    test_loss: float | None
    parameter_count: int | None
    error: str | None
    stop_requested: bool
    worker_pid: int | None = None
    position: int | None = None
    starts_in_seconds: float | None = None
    expected_seconds: float = field(default=0.0, repr=False)
    parent: str | None = None  # the saved model a continued job trains on
    parent_epochs: int = 0  # how many of the history's epochs are the parent's
    gpus: int = 0  # GPUs the job asked for (Ray only)

    @property
    def active(self) -> bool:
        """True while the job trains or saves."""
        return self.state in ACTIVE_STATES

    @property
    def queued(self) -> bool:
        """True while the job waits for a free place."""
        return self.state == QUEUED_STATE

    @property
    def seconds_left(self) -> float | None:
        """Estimated seconds until training ends, when known."""
        return self.batch.total_seconds_left if self.batch and self.active else None


def snapshot_from_record(record: dict) -> JobSnapshot:
    """A snapshot of one database record."""
    hyper_parameters = HyperParameters.from_dict(record["hyper_parameters"])
    return JobSnapshot(
        job_id=record["job_id"],
        owner=record["owner"],
        architecture=record["architecture"],
        hyper_parameters=hyper_parameters,
        state=record["state"],
        history=record["history"],
        batch=BatchReport(**record["batch"]) if record.get("batch") else None,
        epochs=hyper_parameters.epochs,
        queued_at=record["queued_at"],
        started_at=record["started_at"],
        finished_at=record["finished_at"],
        model_name=record["model_name"],
        test_accuracy=record["test_accuracy"],
        test_loss=record["test_loss"],
        parameter_count=record["parameter_count"],
        error=record["error"],
        stop_requested=record["stop_requested"],
        worker_pid=record.get("worker_pid"),
        parent=record.get("parent"),
        parent_epochs=record.get("parent_epochs") or 0,
        gpus=record.get("gpus") or 0,
    )


def max_jobs_from_environment() -> int:
    """Jobs trained at once on this machine, from FASHION_MAX_JOBS (default 1)."""
    return settings.MAX_JOBS.integer(1, 1)


class Jobs:
    """Start, get, stop, cancel and list training jobs; the backends decide where jobs run."""

    def __init__(
        self,
        database: JobRecords,
        max_jobs: int | None = None,
        max_queued: int | None = None,
        jobs_per_session: int | None = None,
    ):
        self.database = database
        self.max_jobs = max_jobs if max_jobs is not None else max_jobs_from_environment()
        self.max_queued = (
            max_queued
            if max_queued is not None
            else settings.MAX_QUEUED.integer(DEFAULT_MAX_QUEUED, 0)
        )
        self.jobs_per_session = (
            jobs_per_session
            if jobs_per_session is not None
            else settings.JOBS_PER_SESSION.integer(1, 1)
        )

    def start(
        self,
        architecture: str,
        hyper_parameters: HyperParameters,
        dataset: Dataset,
        model_name: str | None = None,
        owner: str | None = None,
        parent: str | None = None,
        gpus: int = 0,
    ) -> JobSnapshot:
        """Queue a job (continuing parent, if named; asking for gpus GPUs); JobLimitError past the limits."""
        hyper_parameters = hyper_parameters.validated()
        if gpus > self.gpus_available():
            raise ConfigurationError(
                _(
                    "This job asks for {gpus} GPU(s) but the cluster has {available} now; "
                    "start it without a GPU, or again once a GPU node has joined."
                ).format(gpus=gpus, available=self.gpus_available())
            )
        # A continued job's history starts as its parent's, so its chart joins the old epochs and the new
        parent_history = list(store.get_entry(parent).saved_record.get("history", [])) if parent else []
        train_images = len(dataset.train_labels)
        if hyper_parameters.train_limit:
            train_images = min(train_images, hyper_parameters.train_limit)
        job_id = uuid.uuid4().hex[:12]
        record = {
            "job_id": job_id,
            "owner": owner,
            "architecture": architecture,
            "hyper_parameters": hyper_parameters.to_dict(),
            "requested_name": model_name,
            "train_images": train_images,
            "data_directory": dataset.source if Path(dataset.source).is_dir() else None,
            "store_directory": str(store.store_directory()),
            "state": QUEUED_STATE,
            "queued_at": now(),
            "parent": parent,
            "parent_epochs": len(parent_history),
            "history": parent_history,
            "gpus": gpus,
        }

        def admit(waiting: int, active: int, own_states: list[str]) -> None:
            if len(own_states) >= self.jobs_per_session:
                if own_states[0] == QUEUED_STATE:
                    raise JobLimitError(
                        _(
                            "You already have a training job waiting in line; "
                            "stop or cancel it before starting another."
                        )
                    )
                raise JobLimitError(
                    _("You already have a training job running; stop or cancel it before starting another.")
                )
            if waiting >= self.max_queued and active >= self.max_jobs:
                raise JobLimitError(
                    _(
                        "The training queue is full ({waiting} jobs waiting). "
                        "Please try again when some of them have started."
                    ).format(waiting=waiting)
                )

        self.database.add_job(record, admit)
        self.job_queued(job_id)
        started = self.get(job_id)
        if started is None:
            raise JobDatabaseError(
                _("the job database lost job {job_id} as it was added; start it again.").format(job_id=job_id)
            )
        return started

    def retry(self, job_id: str, dataset: Dataset, owner: str | None = None) -> JobSnapshot:
        """Queue a failed or interrupted job again as a new job with the same settings; its snapshot."""
        record = self.database.get(job_id)
        if record is None or record["state"] not in RETRYABLE_STATES:
            state = record["state"] if record else "unknown"
            raise JobStateError(
                _("Only a failed or interrupted job can be retried; this one is {state}.").format(state=state)
            )
        return self.start(
            record["architecture"],
            HyperParameters.from_dict(record["hyper_parameters"]),
            dataset,
            record["requested_name"],
            owner=owner,
            parent=record.get("parent"),
            gpus=record.get("gpus") or 0,
        )

    def get(self, job_id: str | None) -> JobSnapshot | None:
        """The job with this id (with its queue place and estimated start while it waits), or None."""
        if not job_id:
            return None
        record = self.database.get(job_id)
        if record is None:
            return None
        if record["state"] in (QUEUED_STATE, *ACTIVE_STATES):
            return next((job for job in self.list() if job.job_id == job_id), snapshot_from_record(record))
        return snapshot_from_record(record)

    def list(self) -> list[JobSnapshot]:
        """The active and queued jobs in order, queued ones with their place and estimated start."""
        snapshots = [snapshot_from_record(record) for record in self.database.unfinished()]
        return estimate_queue(snapshots, self.max_jobs, self.database)

    # builtins.list: inside the class, "list" names the method above
    def active_jobs(self) -> builtins.list[JobSnapshot]:
        """Jobs that are training or saving now."""
        return [job for job in self.list() if job.active]

    def job_of(self, owner: str | None) -> JobSnapshot | None:
        """This owner's active or queued job, or None."""
        return next((job for job in self.list() if owner is not None and job.owner == owner), None)

    def stop(self, job_id: str) -> None:
        """Ask a running job to stop after the current batch; the model trained so far is kept."""
        self.database.update(job_id, stop_requested=1)
        self.deliver_stop(job_id)

    def cancel(self, job_id: str) -> bool:
        """Take a queued job out of the line; True when it was still waiting."""
        return self.database.cancel(job_id)

    def learning(self, job_id: str) -> dict:
        """A job's probe predictions and first layer per completed epoch so far (training.learning)."""
        return self.database.learning(job_id)

    def gpus_available(self) -> int:
        """GPUs a job may ask for: none with worker processes here (a Ray backend counts its cluster's)."""
        return 0

    # What a backend provides
    def job_queued(self, job_id: str) -> None:
        """A job was added to the line: start what can start."""
        raise NotImplementedError

    def deliver_stop(self, job_id: str) -> None:
        """Carry a stop request to wherever the job runs."""
        raise NotImplementedError


def expected_seconds(snapshot: JobSnapshot, speed: tuple[float, float]) -> float:
    """How long a job should take from start to saved model, at (images per second, overhead seconds)."""
    images_per_second, overhead_seconds = speed
    hyper_parameters = snapshot.hyper_parameters
    train_images = hyper_parameters.train_limit or TRAIN_IMAGES.full_count
    images = train_images * (1 - hyper_parameters.validation_fraction)
    return overhead_seconds + hyper_parameters.epochs * images / images_per_second


def measured_speed(database: JobRecords, architecture: str) -> tuple[float, float]:
    """Training images per second and the seconds around the training (start-up, evaluation, save),
    from recent jobs of this architecture on this machine, else defaults."""
    images, seconds, overheads = 0.0, 0.0, []
    for record in database.finished_rates(architecture):
        hyper_parameters = record["hyper_parameters"]
        per_epoch = record["train_images"] * (1 - hyper_parameters.get("validation_fraction", 0.1))
        training_seconds = sum(row.get("seconds", 0) for row in record["history"])
        images += per_epoch * len(record["history"])
        seconds += training_seconds
        if record["state"] == JobState.FINISHED and record["started_at"] and record["finished_at"]:
            overheads.append(record["finished_at"] - record["started_at"] - training_seconds)
    images_per_second = (
        images / seconds if seconds > 0 else DEFAULT_IMAGES_PER_SECOND.get(architecture, 10000.0)
    )
    overhead = sorted(overheads)[len(overheads) // 2] if overheads else JOB_OVERHEAD_SECONDS
    return images_per_second, max(0.0, overhead)


def estimate_queue(snapshots: list[JobSnapshot], places: int, database: JobRecords) -> list[JobSnapshot]:
    """Give each queued job its place in line and when it should start, from the running jobs' time left."""
    speeds = {}
    for snapshot in snapshots:
        if snapshot.architecture not in speeds:
            speeds[snapshot.architecture] = measured_speed(database, snapshot.architecture)
        snapshot.expected_seconds = expected_seconds(snapshot, speeds[snapshot.architecture])
    # When each place frees up, in seconds from now
    free_at = []
    for snapshot in snapshots:
        if snapshot.active:
            elapsed = now() - (snapshot.started_at or now())
            if snapshot.seconds_left is not None:
                # Training time left, plus the evaluation and save: about a third of the overhead
                left = snapshot.seconds_left + speeds[snapshot.architecture][1] / 3
            else:
                left = snapshot.expected_seconds - elapsed
            free_at.append(max(0.0, left))
    free_at = sorted(free_at)[:places] + [0.0] * max(0, places - len(free_at))
    position = 0
    for snapshot in snapshots:
        if snapshot.queued:
            position += 1
            free_at.sort()
            start = free_at.pop(0)
            snapshot.position, snapshot.starts_in_seconds = position, start
            free_at.append(start + snapshot.expected_seconds)
    return snapshots


def describe_wait(snapshot: JobSnapshot) -> str:
    """'queued, 3rd in line, starts in about 2 min'."""
    position = snapshot.position or 1
    suffix = "th" if 10 <= position % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(position % 10, "th")
    seconds = snapshot.starts_in_seconds or 0
    when = (
        _("about {minutes} min").format(minutes=max(1, round(seconds / 60)))
        if seconds >= 90
        else _("about {seconds} s").format(seconds=max(5, round(seconds / 5) * 5))
    )
    place = f"{position}{suffix}" if current_language() == ENGLISH else str(position)
    return _("queued, {place} in line, starts in {when}").format(place=place, when=when)
