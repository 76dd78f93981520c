"""A server-side registry of background training jobs that pages poll and can stop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fashion.data import Dataset
from fashion.errors import FashionError, JobLimitError
from fashion.models import HyperParameters
from fashion.training import BatchReport, EpochReport, TrainingListener
from fashion.workflow import FinishedRun, train_evaluate_save

MAX_JOBS_VARIABLE = "FASHION_MAX_JOBS"
WORKER_MODULE = "fashion.worker"
ACTIVE_STATES = ("starting", "running", "saving")


@dataclass
class JobSnapshot:
    """A consistent copy of a job's state for drawing."""

    job_id: str
    architecture: str
    hyper_parameters: HyperParameters
    state: str
    history: list[dict]
    batch: BatchReport | None
    epochs: int
    started_at: float
    finished_at: float | None
    model_name: str | None
    test_accuracy: float | None
    test_loss: float | None
    parameter_count: int | None
    error: str | None
    stop_requested: bool

    @property
    def active(self) -> bool:
        """True while the job trains or saves."""
        return self.state in ACTIVE_STATES

    @property
    def seconds_left(self) -> float | None:
        """Estimated seconds until training ends, when known."""
        return self.batch.total_seconds_left if self.batch and self.active else None


@dataclass
class TrainingJob(TrainingListener):
    """One training run (in a worker process) and its state, history and progress as the pages see them."""

    architecture: str
    hyper_parameters: HyperParameters
    model_name: str | None = None
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "starting"
    history: list[dict] = field(default_factory=list)
    batch: BatchReport | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    error: str | None = None
    saved_model_name: str | None = None
    test_accuracy: float | None = None
    test_loss: float | None = None
    parameter_count: int | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    process: subprocess.Popen | None = None

    def on_start(self, epochs: int, steps_per_epoch: int, train_count: int) -> None:
        self._apply_event("start", {})

    def on_batch(self, report: BatchReport) -> None:
        with self.lock:
            self.batch = report

    def on_epoch(self, report: EpochReport) -> None:
        self._apply_event("epoch", report.to_dict())

    def mark_saving(self) -> None:
        """Called when training is over and the model is being evaluated and saved."""
        self._apply_event("saving", {})

    def stop(self) -> None:
        """Ask the job to stop after the current batch; the model trained so far is kept."""
        self.stop_event.set()
        process = self.process
        if process is not None and process.stdin is not None:
            try:
                process.stdin.write(b"stop\n")
                process.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass  # The worker has already ended.

    def snapshot(self) -> JobSnapshot:
        """A consistent copy of the job's state."""
        with self.lock:
            return JobSnapshot(
                job_id=self.job_id,
                architecture=self.architecture,
                hyper_parameters=self.hyper_parameters,
                state=self.state,
                history=list(self.history),
                batch=self.batch,
                epochs=self.hyper_parameters.epochs,
                started_at=self.started_at,
                finished_at=self.finished_at,
                model_name=self.saved_model_name,
                test_accuracy=self.test_accuracy,
                test_loss=self.test_loss,
                parameter_count=self.parameter_count,
                error=self.error,
                stop_requested=self.stop_event.is_set(),
            )

    def run(self, dataset: Dataset, runner=train_evaluate_save) -> None:
        """Train, evaluate and save in this thread; the outcome is kept in the job's state."""
        try:
            finished = runner(
                self.architecture,
                self.hyper_parameters,
                dataset,
                name=self.model_name,
                listener=self,
                stop_event=self.stop_event,
                on_saving=self.mark_saving,
            )
            self._record_finished(finished)
        except FashionError as error:
            self._apply_event("failed", {"error": str(error)})
        except Exception as error:  # noqa: BLE001 - a background thread must never die silently
            traceback.print_exc()
            self._apply_event(
                "failed", {"error": f"training failed unexpectedly: {type(error).__name__}: {error}"}
            )

    def _record_finished(self, finished: FinishedRun) -> None:
        if finished.entry is None:
            self._apply_event("stopped", {})
            return
        self._apply_event(
            "finished",
            {
                "model_name": finished.entry.name,
                "test_accuracy": finished.evaluation.accuracy,
                "test_loss": finished.evaluation.loss,
                "parameter_count": int(finished.result.model.count_params()),
            },
        )

    def run_in_process(self, data_directory: str | None) -> None:
        """Train in a worker process and follow its reports until it ends."""
        environment = dict(os.environ)
        if data_directory:
            environment["FASHION_MNIST_DIR"] = data_directory
        job = {
            "architecture": self.architecture,
            "hyper_parameters": self.hyper_parameters.to_dict(),
            "model_name": self.model_name,
        }
        package_parent = str(Path(__file__).resolve().parent.parent)
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [package_parent, environment.get("PYTHONPATH")])
        )
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, json.dumps(job)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=environment,
            )
            if self.stop_event.is_set():
                self.stop()
            for line in self.process.stdout:
                self._handle_report(line)
            exit_code = self.process.wait()
        except OSError as error:
            self._apply_event("failed", {"error": f"the training process could not start: {error}"})
            return
        with self.lock:
            ended_without_outcome = self.state in ACTIVE_STATES
        if ended_without_outcome:
            self._apply_event(
                "failed",
                {
                    "error": f"the training process ended unexpectedly (exit status {exit_code}); "
                    "see the server log."
                },
            )

    def _handle_report(self, line: bytes) -> None:
        try:
            report = json.loads(line)
            event = report.pop("event")
        except (ValueError, KeyError, AttributeError):
            return  # Not one of ours; the worker's own output goes to the log.
        self._apply_event(event, report)

    def _apply_event(self, event: str, report: dict) -> None:
        """Move the job's state on by one event, from the worker's reports or from a thread run."""
        with self.lock:
            if event == "start":
                self.state = "running"
            elif event == "batch":
                self.batch = BatchReport(**report)
            elif event == "epoch":
                self.history.append(report)
            elif event == "saving":
                self.state = "saving"
            elif event == "finished":
                self.state = "finished"
                self.saved_model_name = report["model_name"]
                self.test_accuracy = report["test_accuracy"]
                self.test_loss = report["test_loss"]
                self.parameter_count = report["parameter_count"]
            elif event == "stopped":
                self.state = "stopped"
            elif event == "failed":
                self.state, self.error = "failed", report["error"]
            if self.state not in ACTIVE_STATES and self.finished_at is None:
                self.finished_at = time.time()


def max_jobs_from_environment() -> int:
    """The job limit from FASHION_MAX_JOBS (default 1)."""
    try:
        return max(1, int(os.environ.get(MAX_JOBS_VARIABLE, "1")))
    except ValueError:
        return 1


class JobRegistry:
    """Every training job of this server process, with a limit on how many run at once."""

    def __init__(self, max_jobs: int | None = None, runner=None):
        """runner None trains in worker processes; a runner function trains in threads instead."""
        self.max_jobs = max_jobs if max_jobs is not None else max_jobs_from_environment()
        self.runner = runner
        self._jobs: dict[str, TrainingJob] = {}
        self._lock = threading.Lock()

    def active_jobs(self) -> list[TrainingJob]:
        """Jobs that are training or saving now."""
        with self._lock:
            jobs = list(self._jobs.values())
        return [job for job in jobs if job.snapshot().active]

    def start(
        self,
        architecture: str,
        hyper_parameters: HyperParameters,
        dataset: Dataset,
        model_name: str | None = None,
    ) -> TrainingJob:
        """Start a job in a background thread, or raise JobLimitError saying what runs."""
        hyper_parameters = hyper_parameters.validated()
        with self._lock:
            running = [job for job in self._jobs.values() if job.snapshot().active]
            if len(running) >= self.max_jobs:
                raise JobLimitError(describe_busy(running[0].snapshot()))
            job = TrainingJob(architecture, hyper_parameters, model_name)
            self._jobs[job.job_id] = job
        if self.runner is None:
            data_directory = dataset.source if Path(dataset.source).is_dir() else None
            target, arguments = job.run_in_process, (data_directory,)
        else:
            target, arguments = job.run, (dataset, self.runner)
        thread = threading.Thread(
            target=target, args=arguments, name=f"training-{job.job_id}", daemon=True
        )
        thread.start()
        return job

    def get(self, job_id: str | None) -> TrainingJob | None:
        """The job with this id, or None."""
        if not job_id:
            return None
        with self._lock:
            return self._jobs.get(job_id)


def describe_busy(snapshot: JobSnapshot) -> str:
    """A sentence telling another user what is running and when it should end."""
    epoch = len(snapshot.history)
    message = (
        f"The server is busy training a {snapshot.architecture} model "
        f"(epoch {epoch} of {snapshot.epochs} done)"
    )
    if snapshot.seconds_left is not None:
        message += f"; it should end in about {max(1, round(snapshot.seconds_left))} s"
    return message + ". Please try again when it has finished."


_default_registry: JobRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> JobRegistry:
    """The one registry of this process."""
    global _default_registry
    with _default_lock:
        if _default_registry is None:
            _default_registry = JobRegistry()
        return _default_registry
