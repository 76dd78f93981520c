"""A training job in its own process: reads a job on argv, reports JSON lines, stops on "stop" or EOF.

The server runs training here rather than in a thread so that training never holds the server's
GIL or TensorFlow thread pool while other users' pages draw. Run as `python -m fashion.jobs.worker JSON`.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback

from fashion.data.fashion_mnist import load_dataset
from fashion.errors import FashionError
from fashion.jobs.records import JobEvent
from fashion.training.models import HyperParameters
from fashion.training.run import BatchReport, EpochReport, TrainingListener
from fashion.training.workflow import train_evaluate_save

BATCH_REPORT_INTERVAL_SECONDS = 0.25
WORKER_NICENESS = 10  # training yields the CPU to the server whenever a page is being drawn


class EventReporter(TrainingListener):
    """Turns training progress into events, batch reports at most four times a second; send() carries them."""

    last_batch_report = 0.0

    def send(self, event: str, **fields) -> None:
        """Carry one event to whoever follows the job."""
        raise NotImplementedError

    def on_start(self, epochs: int, steps_per_epoch: int, train_count: int) -> None:
        self.send(JobEvent.START, epochs=epochs, steps_per_epoch=steps_per_epoch, train_count=train_count)

    def on_batch(self, report: BatchReport) -> None:
        now = time.monotonic()
        if report.step < report.steps and now - self.last_batch_report < BATCH_REPORT_INTERVAL_SECONDS:
            return
        self.last_batch_report = now
        self.send(JobEvent.BATCH, **report.__dict__)

    def on_epoch(self, report: EpochReport) -> None:
        self.send(JobEvent.EPOCH, **report.to_dict())

    def on_learning(self, probes: dict, snapshot: dict) -> None:
        self.send(JobEvent.LEARNING, probes=probes, snapshot=snapshot)


class LineReporter(EventReporter):
    """Writes each event as one JSON object per line."""

    def __init__(self, output):
        self.output = output
        self.lock = threading.Lock()

    def send(self, event: str, **fields) -> None:
        """Write one event line and flush it."""
        with self.lock:
            try:
                self.output.write(json.dumps({"event": event, **fields}, allow_nan=True) + "\n")
                self.output.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass  # The server is gone; end of input stops the training.


def watch_for_stop(stop_event: threading.Event) -> None:
    """Set the stop event when the parent writes "stop" or goes away (end of input)."""
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stop_event.set()


def main(argv: list[str]) -> int:
    """Run one job described by the JSON in argv[0]; the outcome is the last line written."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # Anything else printed goes to the server's log, not into the protocol.
    reporter = LineReporter(protocol)
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass  # Not allowed here: train at the server's priority.
    stop_event = threading.Event()
    threading.Thread(target=watch_for_stop, args=(stop_event,), daemon=True).start()
    return run_job(json.loads(argv[0]), reporter, stop_event)


def run_job(job: dict, reporter: EventReporter, stop_event: threading.Event) -> int:
    """Train, evaluate and save one job (architecture, settings, name); the last event is the outcome."""
    try:
        dataset = load_dataset()
        finished = train_evaluate_save(
            job["architecture"],
            HyperParameters.from_dict(job["hyper_parameters"]),
            dataset,
            name=job.get("model_name"),
            parent=job.get("parent"),
            listener=reporter,
            stop_event=stop_event,
            on_saving=lambda: reporter.send(JobEvent.SAVING),
        )
    except FashionError as error:
        reporter.send(JobEvent.FAILED, error=str(error))
        return 0
    except Exception as error:  # noqa: BLE001 - reported to the page, with the traceback in the log

        traceback.print_exc()
        reporter.send(JobEvent.FAILED, error=f"training failed unexpectedly: {type(error).__name__}: {error}")
        return 1
    if finished.entry is None or finished.evaluation is None:
        reporter.send(JobEvent.STOPPED, stopped=True)
        return 0
    reporter.send(
        JobEvent.FINISHED,
        model_name=finished.entry.name,
        test_accuracy=finished.evaluation.accuracy,
        test_loss=finished.evaluation.loss,
        parameter_count=int(finished.result.model.count_params()),
        stopped=finished.result.stopped,
        train_seconds=finished.result.train_seconds,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
