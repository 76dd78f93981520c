"""The jobs on one machine: worker processes started in queue order, FASHION_MAX_JOBS at a time.

Every app process on the machine runs a small dispatcher thread over the shared job database: it
starts queued jobs while places are free, carries stop requests to its own workers, and marks the
jobs of an app process that died as interrupted (and its own jobs whose progress could not be
written while the job database was unreachable).
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import traceback
from pathlib import Path

from fashion import settings
from fashion.errors import JobDatabaseError
from fashion.jobs.job_queue import Jobs
from fashion.jobs.records import ACTIVE_STATES, JobEvent, JobRecords, JobState

WORKER_MODULE = "fashion.jobs.worker"
DISPATCH_INTERVAL_SECONDS = 0.5
INTERRUPTED_MESSAGE = "The server stopped while this job was training; the epochs shown were completed."
UNRECORDED_MESSAGE = (
    "The job database could not be reached for too long while this job was training, so it was "
    "stopped; the epochs shown were completed. Retry starts it again with the same settings."
)
INSTANCE_NUMBERS = itertools.count(1)
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def process_start_ticks(pid: int) -> str | None:
    """When a process started (from /proc), so a reused process id is not taken for the old one."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def runner_alive(runner: str) -> bool:
    """True when the app process named host:pid:start[:instance] runs on another host or still runs here."""
    host, pid, start = runner.split(":", 3)[:3]
    if host != socket.gethostname():
        return True  # Another machine's process: it answers for its own jobs.
    current_start = process_start_ticks(int(pid))
    if current_start is None:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return start == "None"
    return current_start == start


class LocalJobs(Jobs):
    """Jobs trained by worker processes of this app process, sharing the queue with its siblings."""

    def __init__(self, database: JobRecords, **limits):
        super().__init__(database, **limits)
        # host:pid:start of this process, and which LocalJobs of the process (each follows its own workers)
        self.runner = (
            f"{socket.gethostname()}:{os.getpid()}:{process_start_ticks(os.getpid())}:{next(INSTANCE_NUMBERS)}"
        )
        self._processes: dict[str, subprocess.Popen] = {}
        self._stops_delivered: set[str] = set()
        self._given_up: set[str] = set()  # jobs whose worker was ended when their progress could not be kept
        self._lock = threading.Lock()
        # One dispatch at a time: a job claimed is launched before the next dispatch looks at it
        self._dispatching = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._database_unreachable = False
        self.dispatch()
        self._dispatcher = threading.Thread(target=self._dispatch_forever, name="job-dispatcher", daemon=True)
        self._dispatcher.start()

    def job_queued(self, job_id: str) -> None:
        self.dispatch()

    def deliver_stop(self, job_id: str) -> None:
        with self._lock:
            process = self._processes.get(job_id)
            if process is None or job_id in self._stops_delivered:
                return
            self._stops_delivered.add(job_id)
        if process.stdin is None:
            return  # Started without a pipe to its input: nothing can carry the stop.
        try:
            process.stdin.write(b"stop\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # The worker has already ended.

    def close(self) -> None:
        """Stop dispatching, once the dispatch under way has ended (running workers go on and report)."""
        self._closed = True
        self._wake.set()
        if self._dispatcher is not threading.current_thread():
            self._dispatcher.join(timeout=DISPATCH_INTERVAL_SECONDS + 30)

    def _dispatch_forever(self) -> None:
        while not self._closed:
            self._wake.wait(DISPATCH_INTERVAL_SECONDS)
            self._wake.clear()
            if self._closed:
                return
            try:
                self.dispatch()
                self._database_unreachable = False
            except JobDatabaseError as error:
                if not self._database_unreachable:  # once per outage, not twice a second
                    print(f"job dispatcher: {error}", file=sys.stderr, flush=True)
                self._database_unreachable = True
            except Exception:  # noqa: BLE001 - the dispatcher must outlive a locked or missing database

                traceback.print_exc()

    def dispatch(self) -> None:
        """Mark dead processes' jobs interrupted, carry stops to our workers, start what can start."""
        with self._dispatching:
            for record in self.database.unfinished():
                job_id, runner = record["job_id"], record["runner"]
                active = record["state"] in ACTIVE_STATES
                if active and runner and runner != self.runner:
                    if not runner_alive(runner):
                        self.database.end_if_unfinished(job_id, JobState.INTERRUPTED, INTERRUPTED_MESSAGE)
                elif active and runner == self.runner and self.given_up(job_id):
                    self.database.end_if_unfinished(job_id, JobState.INTERRUPTED, UNRECORDED_MESSAGE)
                    with self._lock:
                        self._given_up.discard(job_id)
                elif record["stop_requested"] and runner == self.runner:
                    self.deliver_stop(job_id)
            while (claimed := self.database.claim_next(self.runner, self.max_jobs)) is not None:
                self.launch(claimed)

    def given_up(self, job_id: str) -> bool:
        """True when this process ended the job's worker because its progress could not be recorded."""
        with self._lock:
            return job_id in self._given_up and job_id not in self._processes

    def launch(self, record: dict) -> None:
        """Start the worker process of a claimed job and a thread that follows its reports."""
        environment = {**os.environ, settings.MODELS_DIR.name: record["store_directory"]}
        if record["data_directory"]:
            environment[settings.MNIST_DIR.name] = record["data_directory"]
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [PACKAGE_PARENT, environment.get("PYTHONPATH")])
        )
        job = {
            "architecture": record["architecture"],
            "hyper_parameters": record["hyper_parameters"],
            "model_name": record["requested_name"],
            "parent": record.get("parent"),
        }
        job_id = record["job_id"]
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, json.dumps(job)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=environment,
            )
        except OSError as error:
            failure = {"error": f"the training process could not start: {error}"}
            self.apply_event(job_id, JobEvent.FAILED, failure)
            return
        with self._lock:
            self._processes[job_id] = process
        self.database.update(job_id, worker_pid=process.pid)
        # A stop pressed while the process started: the claimed record did not have it yet
        latest = self.database.get(job_id)
        if latest is not None and latest["stop_requested"]:
            self.deliver_stop(job_id)
        threading.Thread(
            target=self._follow, args=(job_id, process), name=f"training-{job_id}", daemon=True
        ).start()

    def _follow(self, job_id: str, process: subprocess.Popen) -> None:
        recorded = True
        reports = process.stdout if process.stdout is not None else ()  # launch gives it a pipe
        try:
            for line in reports:
                try:
                    report = json.loads(line)
                    event = report.pop("event")
                except (ValueError, KeyError, AttributeError):
                    continue  # Not one of ours; the worker's own output goes to the log.
                self.apply_event(job_id, event, report)
        except JobDatabaseError as error:
            # The database stayed away past the backend's patience: end the worker, whose progress
            # could not be kept; the dispatcher marks the job interrupted once the database is back
            print(f"job {job_id}: {error}; its worker is ended", file=sys.stderr, flush=True)
            recorded = False
            process.kill()
        exit_code = process.wait()
        if recorded:
            try:
                record = self.database.get(job_id)
                if record is not None and record["state"] in ACTIVE_STATES:
                    self.apply_event(
                        job_id,
                        JobEvent.FAILED,
                        {
                            "error": f"the training process ended unexpectedly (exit status {exit_code}); "
                            "see the log."
                        },
                    )
            except JobDatabaseError:
                recorded = False
        with self._lock:
            self._processes.pop(job_id, None)
            self._stops_delivered.discard(job_id)
            if not recorded:
                self._given_up.add(job_id)
        self._wake.set()

    def apply_event(self, job_id: str, event: str, report: dict) -> None:
        """Record one event of a worker's report in the job database."""
        self.database.record_event(job_id, event, report)

    def worker_process(self, job_id: str) -> subprocess.Popen | None:
        """The worker process of one of this process's running jobs."""
        with self._lock:
            return self._processes.get(job_id)
