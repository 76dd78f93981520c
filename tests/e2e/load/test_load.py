"""A bounded load test on loopback: one session trains while four browse and upload, and ten sit idle."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from app_driver import (
    assert_no_error,
    assert_no_exception,
    expander_text,
    fill_training_form,
    number_input,
    open_page,
    photo_like,
    show_only_class,
    wait_until_idle,
)
from e2e_server import REPOSITORY, new_tab, start_server
from harness import memory_kib
from playwright.sync_api import expect
from waiting import wait_for

from fashion.data.fashion_mnist import DEBIAN_DIR
from fashion.training.models import RECOMMENDED_PRESET, presets

IDLE_SESSIONS = 10
TRAINING_SUBSET = 30_000
TRAINING_EPOCHS = 500  # the recommended preset, with more epochs than the browsing can outlast, then stopped
PAGE_TIMEOUT_MS = 120_000  # two cores shared by Chromium, the server and the training worker
MIB = 1024
SERVER_PEAK_LIMIT_MIB = 2048
WORKER_PEAK_LIMIT_MIB = 2048
IDLE_SESSION_LIMIT_MIB = 50  # measured 28: session state plus the figures its pages cache
BROWSING_GROWTH_LIMIT_MIB = 300


@pytest.fixture(autouse=True)
def patient_expectations():
    """Every wait in this test may take as long as a page load under this load."""
    from e2e_server import ELEMENT_TIMEOUT_MS

    expect.set_options(timeout=PAGE_TIMEOUT_MS)
    yield
    expect.set_options(timeout=ELEMENT_TIMEOUT_MS)
SECOND_MODEL = "small-tutorial-b"
FIGURES_PATH = REPOSITORY / "test-artifacts" / "load-test.json"
PROGRESS_LINE = re.compile(r"^tutorial: epoch \d+ of \d+ done")


def worker_pids(server_pid: int) -> list[int]:
    """The training worker processes (python -m fashion.jobs.worker) started by the server."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == server_pid and b"fashion.jobs.worker" in command:
            pids.append(int(stat.parent.name))
    return pids


class MemorySampler:
    """Every 0.25 s: the server's VmRSS and the training worker's peak (VmHWM), in a thread."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.server_peak_kib = memory_kib(server_pid)["VmRSS"]
        self.worker_peak_kib = 0
        self.worker_pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            try:
                self.server_peak_kib = max(self.server_peak_kib, memory_kib(self.server_pid)["VmRSS"])
            except (OSError, KeyError):
                return  # The server has ended.
            for pid in worker_pids(self.server_pid):
                try:
                    self.worker_peak_kib = max(self.worker_peak_kib, memory_kib(pid)["VmHWM"])
                    self.worker_pids.add(pid)
                except (OSError, KeyError):
                    pass  # The worker ended between the listing and the read.

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def load_server(tmp_path_factory, trained_store, real_dataset):
    """A server of its own over the real data and two saved models, so its memory figures are realistic."""
    store_copy = tmp_path_factory.mktemp("load-store")
    shutil.copytree(trained_store / "small-tutorial", store_copy / SECOND_MODEL)
    record_path = store_copy / SECOND_MODEL / "record.json"
    record_path.write_text(json.dumps({**json.loads(record_path.read_text()), "name": SECOND_MODEL}))
    shutil.copytree(trained_store, store_copy, dirs_exist_ok=True)
    server = start_server(tmp_path_factory, store_copy, DEBIAN_DIR, "e2e-load")
    yield server
    server.stop()


class PageLoads:
    """Seconds each session waited for its pages to draw."""

    def __init__(self):
        self.seconds: dict[str, list[float]] = {}

    def add(self, session: str, seconds: float) -> None:
        self.seconds.setdefault(session, []).append(round(seconds, 2))
        print(f"page load: {session} {seconds:.1f} s", flush=True)

    def open(self, session: str, page, server, path: str, heading: str) -> None:
        """Open a page, record how long it took, and check it has no error."""
        self.add(session, open_page(page, server.url, path, heading=heading))
        assert_no_error(page)

    def all(self) -> list[float]:
        return [seconds for values in self.seconds.values() for seconds in values]


def open_at_once(sessions: dict, server, page_loads: PageLoads, last_parts: dict) -> None:
    """Start every session's page load at once, then wait for each to draw its last part."""
    started = {}
    for name, (page, path) in sessions.items():
        started[name] = time.monotonic()
        page.goto(f"{server.url}/{path}", wait_until="commit")
    for name, (page, _) in sessions.items():
        expect(page.get_by_text(last_parts[name], exact=True).first).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        wait_until_idle(page, timeout_ms=PAGE_TIMEOUT_MS)
        page_loads.add(name, time.monotonic() - started[name])
        assert_no_error(page)


def assert_form_shows_the_preset(page) -> None:
    """The Train page's inputs start at the recommended tutorial preset, not at their minimums."""
    preset = presets("tutorial")[RECOMMENDED_PRESET]
    expect(number_input(page, "Epochs")).to_have_value(str(preset.epochs))
    expect(number_input(page, "Batch size")).to_have_value(str(preset.batch_size))
    expect(number_input(page, "Learning rate")).to_have_value(f"{preset.learning_rate:.5f}")
    expect(number_input(page, "Seed")).to_have_value(str(preset.seed))


def sidebar_progress(page):
    """The sidebar's training progress line."""
    return page.locator('[data-testid="stSidebar"]').get_by_text(PROGRESS_LINE)


def test_sessions_train_browse_and_upload_with_bounded_memory(
    load_server, browser, small_dataset, real_dataset, screenshot
):
    """One session trains while four browse and upload.

    No errors, no shared choices, one job, bounded memory, usable pages.
    """
    server = load_server
    pid = server.process.pid
    test_count = len(real_dataset.test_labels)
    images = [photo_like(small_dataset.test_images[index], seed=index) for index in range(2)]
    page_loads = PageLoads()
    figures: dict = {"server_start_mib": round(memory_kib(pid)["VmRSS"] / MIB)}
    sampler = MemorySampler(pid)

    # Warm-up in a throwaway session: TensorFlow, the data set and both models are loaded once
    warm_context = browser.new_context()
    warm_page = warm_context.new_page()
    for path, heading in (
        ("", "Explore the data"),
        ("predictions?model=small-tutorial", "Predictions"),
        (f"predictions?model={SECOND_MODEL}", "Predictions"),
        ("try_image", "Try your own image"),
        ("train", "Train"),
    ):
        page_loads.open("warm-up", warm_page, server, path, heading)
    warm_context.close()
    loaded = memory_kib(pid)
    figures["server_loaded_mib"] = round(loaded["VmRSS"] / MIB)

    # Ten idle sessions, opened at once: what one more open session costs
    idle_contexts = [browser.new_context() for _ in range(IDLE_SESSIONS)]
    idle_pages = {
        f"idle-{number}": (context.new_page(), "") for number, context in enumerate(idle_contexts, start=1)
    }
    open_at_once(idle_pages, server, page_loads, dict.fromkeys(idle_pages, "Mean image of each class"))
    idle = memory_kib(pid)
    figures["server_with_idle_sessions_mib"] = round(idle["VmRSS"] / MIB)
    figures["extra_per_idle_session_mib"] = round((idle["VmRSS"] - loaded["VmRSS"]) / MIB / IDLE_SESSIONS, 1)
    for context in idle_contexts:
        context.close()

    trainer, filtering, plain, wrong_only, uploading = (new_tab(browser, PAGE_TIMEOUT_MS) for _ in range(5))
    contexts = [tab.context for tab in (trainer, filtering, plain, wrong_only, uploading)]
    browsing = {"filtering": filtering, "plain": plain, "wrong-only": wrong_only, "uploading": uploading}

    # Session "trainer" starts the recommended tutorial run on a subset, with its own epoch count
    page_loads.open("trainer", trainer, server, "train", "Train")
    assert_form_shows_the_preset(trainer)
    fill_training_form(
        trainer, epochs=TRAINING_EPOCHS, batch_size=256, subset=TRAINING_SUBSET, name="load-test-run"
    )
    trainer.locator(".st-key-train_start button").click()
    expect(trainer).to_have_url(re.compile(r"[?&]job=\w+"))
    expect(trainer.get_by_text(re.compile(rf"^Epoch \d+ of {TRAINING_EPOCHS}: batch"))).to_be_visible()
    training_started = time.monotonic()
    before_browsing = memory_kib(pid)["VmRSS"]

    # Four sessions load their pages at the same time while the job trains
    open_at_once(
        {
            "filtering": (filtering, ""),
            "plain": (plain, ""),
            "wrong-only": (wrong_only, "predictions?model=small-tutorial"),
            "uploading": (uploading, "try_image"),
        },
        server,
        page_loads,
        {
            "filtering": "Mean image of each class",
            "plain": "Mean image of each class",
            "wrong-only": "Mistakes, one at a time",
            "uploading": "Upload a photo of one clothing item",
        },
    )
    for page in browsing.values():
        expect(sidebar_progress(page)).to_be_visible()

    # "filtering" shows only Ankle boots; "plain" must still see all classes
    show_only_class(filtering, "Ankle boot")
    expect(filtering.get_by_text("Showing 25 training images of Ankle boot.")).to_be_visible()
    plain.get_by_role("button", name="New random samples").click()
    wait_until_idle(plain, timeout_ms=PAGE_TIMEOUT_MS)
    expect(plain.get_by_text("Showing 25 training images of all classes.")).to_be_visible()
    assert len({line.split(": ", 1)[1] for line in expander_text(plain, "The samples as text")}) > 1

    # "wrong-only" shows only wrong predictions; "plain" then sees all test images on its Predictions page
    wrong_only.get_by_text("Only wrong", exact=True).click()
    expect(
        wrong_only.get_by_text(
            re.compile(rf"^(?!{test_count:,} )[\d,]+ test images match; showing 15 on page 1")
        )
    ).to_be_visible()
    wait_until_idle(wrong_only, timeout_ms=PAGE_TIMEOUT_MS)
    assert all(line.endswith("(red)") for line in expander_text(wrong_only, "The captions as text"))
    page_loads.open("plain", plain, server, f"predictions?model={SECOND_MODEL}", "Predictions")
    expect(plain.get_by_text(f"{test_count:,} test images match", exact=False)).to_be_visible()

    # "uploading" uploads a photo; "filtering" then opens the Try page and has no upload
    uploading.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": images[0]}]
    )
    expect(uploading.get_by_text("The 28x28 model input, enlarged")).to_be_visible()
    wait_until_idle(uploading, timeout_ms=PAGE_TIMEOUT_MS)
    page_loads.open("filtering", filtering, server, "try_image", "Try your own image")
    expect(filtering.get_by_text("The 28x28 model input, enlarged")).to_have_count(0)
    screenshot(wrong_only, "session-only-wrong")

    # A second training from "uploading" waits in line and is cancelled; its form showed the preset's values
    page_loads.open("uploading", uploading, server, "train", "Train")
    assert_form_shows_the_preset(uploading)
    fill_training_form(uploading, epochs=2, batch_size=256, subset=1000, name="load-test-second")
    uploading.locator(".st-key-train_start button").click()
    queued = uploading.get_by_text(re.compile(r"^Your job is queued, 1st in line, starts in about"))
    expect(queued).to_be_visible()
    uploading.locator(".st-key-training_cancel button").click()
    expect(uploading.get_by_text("This job was cancelled before it started.")).to_be_visible()
    assert_no_exception(uploading)
    assert not (server.models_dir / "load-test-second").exists()
    screenshot(uploading, "second-training-queued-then-cancelled")
    after_browsing = memory_kib(pid)["VmRSS"]

    # The trainer's curves kept growing during all this, loss and accuracy in one image; then it stops the run
    expect(trainer.get_by_text(re.compile(r"^[1-9]\d* epochs? plotted\.$"))).to_be_visible()
    curves = (
        trainer.locator('[data-testid="stImage"]')
        .filter(has_text="Loss and accuracy per epoch")
        .locator("img")
    )
    expect(curves).to_be_visible()
    # Each epoch replaces the image; the newest may still be loading when first looked at
    wait_for(
        lambda: curves.evaluate("image => image.complete && image.naturalWidth > 0"),
        "the loss and accuracy image to finish loading",
        seconds=30,
        interval=0.25,
    )
    assert trainer.locator(".st-key-training_stop button").is_visible(), (
        "the run ended before the load was over"
    )
    screenshot(trainer, "trainer-running")
    trainer.locator(".st-key-training_stop button").click()
    stopped = trainer.get_by_text(re.compile(rf"^Stopped early after \d+ of {TRAINING_EPOCHS} epochs"))
    expect(stopped).to_be_visible()
    training_seconds = time.monotonic() - training_started
    epochs_kept = int(re.search(r"after (\d+) of", stopped.inner_text()).group(1))
    assert_no_error(trainer)
    record = json.loads((server.models_dir / "load-test-run" / "record.json").read_text())
    hyper_parameters = record["hyper_parameters"]
    assert (hyper_parameters["epochs"], hyper_parameters["batch_size"], hyper_parameters["train_limit"]) == (
        TRAINING_EPOCHS, 256, TRAINING_SUBSET,
    ), hyper_parameters
    screenshot(trainer, "trainer-stopped")

    # Once the job has ended no sidebar keeps a progress line ("saving" or otherwise)
    for page in (trainer, *browsing.values()):
        expect(sidebar_progress(page)).to_have_count(0, timeout=15_000)
        assert_no_exception(page)

    for context in contexts:
        context.close()
    sampler.stop()
    during_training = [
        seconds for name, values in page_loads.seconds.items() if name in browsing for seconds in values
    ]
    figures.update(
        {
            "server_peak_rss_mib": round(sampler.server_peak_kib / MIB),
            "server_vmhwm_mib": round(memory_kib(pid)["VmHWM"] / MIB),
            "server_growth_while_browsing_mib": round((after_browsing - before_browsing) / MIB, 1),
            "worker_peak_rss_mib": round(sampler.worker_peak_kib / MIB),
            "worker_processes": len(sampler.worker_pids),
            "training_seconds_until_stopped": round(training_seconds, 1),
            "training_epochs_kept": epochs_kept,
            "page_loads_during_training_s": {name: page_loads.seconds[name] for name in browsing},
            "page_load_during_training_median_s": round(float(np.median(during_training)), 2),
            "page_load_during_training_max_s": round(max(during_training), 2),
            "page_loads_warm_up_s": page_loads.seconds["warm-up"],
            "page_loads_idle_sessions_s": [page_loads.seconds[name][0] for name in idle_pages],
        }
    )
    FIGURES_PATH.parent.mkdir(parents=True, exist_ok=True)
    FIGURES_PATH.write_text(json.dumps(figures, indent=2))
    print("load test figures:", json.dumps(figures, indent=2))

    assert len(sampler.worker_pids) == 1, figures  # one job, in one worker process
    assert epochs_kept >= 1, figures
    assert figures["server_peak_rss_mib"] < SERVER_PEAK_LIMIT_MIB, figures
    assert 0 < figures["worker_peak_rss_mib"] < WORKER_PEAK_LIMIT_MIB, figures
    assert figures["extra_per_idle_session_mib"] < IDLE_SESSION_LIMIT_MIB, figures
    assert figures["server_growth_while_browsing_mib"] < BROWSING_GROWTH_LIMIT_MIB, figures
