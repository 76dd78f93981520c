"""Tests wait for a condition with a deadline, then check once: one helper for every wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

Value = TypeVar("Value")


class WaitTimeout(AssertionError):
    """A condition a test waited for did not hold by its deadline."""


def wait_for(condition: Callable[[], Value], what: str, seconds: float, interval: float = 0.1) -> Value:
    """condition()'s first truthy value, asked every interval seconds; fails naming `what` past the deadline.

    The condition may raise to give up early (a process that ended cannot start any more).
    """
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"waited {seconds:g} s for {what}; last seen: {value!r}")
        time.sleep(interval)


def job_when(jobs, job_id: str, condition: Callable, what: str, seconds: float = 120):
    """The job's snapshot once condition(snapshot) holds (e.g. `lambda job: not job.active`)."""
    snapshot = jobs.get(job_id)

    def holds() -> bool:
        nonlocal snapshot
        snapshot = jobs.get(job_id)
        return condition(snapshot)

    try:
        wait_for(holds, f"job {job_id} to be {what}", seconds, interval=0.2)
    except WaitTimeout as timeout:
        raise WaitTimeout(f"{timeout}; the job is {snapshot.state} (error: {snapshot.error})") from None
    return snapshot
