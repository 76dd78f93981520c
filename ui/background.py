"""Background builds: work computed once per server on a daemon thread, giving way to page scripts."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from contextlib import contextmanager

import streamlit as st

# One background build computes at a time: two would only share the same two cores.
_BUILD_SLOT = threading.Lock()
# Pages come first: a build computes its next chunk once no page script has run for IDLE_SECONDS (the
# browser is still drawing the last one), unless a page waits for it, and never waits longer than
# BUILD_WAIT_SECONDS, so pages drawn back to back cannot starve it.
IDLE_SECONDS = 2.0
BUILD_WAIT_SECONDS = 3.0


class _PageActivity:
    """Page scripts running now, those waiting for a build, and when the last one ended."""

    def __init__(self):
        self.running = 0
        self.waiting = 0
        self.last_end = 0.0
        self.condition = threading.Condition()

    def change(self, running: int, waiting: int = 0) -> None:
        with self.condition:
            self.running += running
            self.waiting += waiting
            if running < 0 and not waiting:
                self.last_end = time.monotonic()
            self.condition.notify_all()

    def wait_for_quiet(self) -> None:
        deadline = time.monotonic() + BUILD_WAIT_SECONDS
        with self.condition:
            while self.waiting <= 0:
                now = time.monotonic()
                quiet_for = now - self.last_end if self.running <= 0 else 0.0
                if quiet_for >= IDLE_SECONDS or now >= deadline:
                    return
                self.condition.wait(min(IDLE_SECONDS - quiet_for, deadline - now))


_page_activity = _PageActivity()


@contextmanager
def page_running():
    """Count the page script run inside: background builds give way to it and to its drawing."""
    _page_activity.change(+1)
    try:
        yield
    finally:
        _page_activity.change(-1)


@contextmanager
def waiting_for_background():
    """Inside a page that waits for a background build: the build then computes at full speed."""
    _page_activity.change(-1, +1)
    try:
        yield
    finally:
        _page_activity.change(+1, -1)


class BackgroundBuild:
    """Work run once on a daemon thread (one build at a time per server), with its progress so far."""

    def __init__(self, work):
        self.future: Future = Future()
        self.done_count = 0
        self.total_count = 0
        threading.Thread(target=self._run, args=(work,), name="fashion-background-build", daemon=True).start()

    def _run(self, work) -> None:
        with _BUILD_SLOT:
            _page_activity.wait_for_quiet()
            try:
                self.future.set_result(work(self._report))
            except BaseException as error:  # noqa: BLE001 - handed to whoever waits for the result
                self.future.set_exception(error)

    def _report(self, done: int, total: int) -> None:
        self.done_count, self.total_count = done, total
        _page_activity.wait_for_quiet()

    def done(self) -> bool:
        """Whether the work has finished (or failed)."""
        return self.future.done()

    def failed(self) -> bool:
        """Whether the work has finished with an exception."""
        return self.future.done() and self.future.exception() is not None

    def result(self):
        """The work's result, waiting for it; re-raises the work's exception."""
        return self.future.result()


@st.cache_resource
def _background_builds() -> dict:
    """The server's background builds by key, shared by every session."""
    return {"builds": OrderedDict(), "lock": threading.Lock()}


def background_build(key: tuple, prepare, max_entries: int = 2) -> BackgroundBuild:
    """The build for key, started the first time (and again after a failure); the oldest are dropped.

    prepare() runs on the calling script thread, only when a build starts, and returns the work:
    a function of a progress callback, progress(done, total), run on the background thread.
    """
    registry = _background_builds()
    with registry["lock"]:
        builds = registry["builds"]
        build = builds.get(key)
        if build is None or build.failed():
            build = builds[key] = BackgroundBuild(prepare())
        builds.move_to_end(key)
        while len(builds) > max_entries:
            builds.popitem(last=False)
    return build
