"""The Streamlit app started as a server and Debian's Chromium, with the fixtures of the browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOT_DIRECTORY = REPOSITORY / "test-artifacts" / "screenshots"
CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # A fake camera (Chromium's moving test pattern) that needs no permission prompt, for st.camera_input
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
SERVER_START_SECONDS = 60
ELEMENT_TIMEOUT_MS = 45_000  # generous: the CPU is shared and training runs beside the pages

expect.set_options(timeout=ELEMENT_TIMEOUT_MS)


class AppServer:
    """One `streamlit run` process on a free loopback port, with its model store and log."""

    def __init__(self, models_dir: Path, data_dir: Path, log_path: Path):
        self.models_dir = models_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        environment = dict(os.environ)
        environment.update(
            FASHION_MODELS_DIR=str(models_dir),
            FASHION_MNIST_DIR=str(data_dir),
            TF_CPP_MIN_LOG_LEVEL="3",
            STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        )
        command = [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
            "--server.port", str(self.port),
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",
        ]
        self._log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - open as long as the server runs
        self.process = subprocess.Popen(
            command, cwd=REPOSITORY, env=environment, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited early; see {self.log_path}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not answer /_stcore/health in {SERVER_START_SECONDS} s")

    def resident_kib(self) -> int:
        """The server's resident memory (VmRSS) in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("VmRSS missing from /proc status")

    def peak_resident_kib(self) -> int:
        """The server's peak resident memory so far (VmHWM) in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("VmHWM missing from /proc status")

    def log(self) -> str:
        """What the server printed so far."""
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop the server (terminate, then kill) and close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(tmp_path_factory, trained_store: Path, data_dir: Path, name: str) -> AppServer:
    """A server over a fresh copy of the trained store."""
    work = tmp_path_factory.mktemp(name)
    models_dir = work / "models"
    shutil.copytree(trained_store, models_dir)
    return AppServer(models_dir, data_dir, work / "streamlit.log")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, trained_store, small_data_dir):
    """The app on a free port, over a copy of the trained store and the small data set."""
    server = start_server(tmp_path_factory, trained_store, small_data_dir, "e2e-app")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM_PATH).exists():
        pytest.skip(f"{CHROMIUM_PATH} is not installed")
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGUMENTS
    )
    yield chromium
    chromium.close()
    playwright.stop()


def new_tab(browser, timeout_ms: float = ELEMENT_TIMEOUT_MS, **context_options):
    """A tab in a fresh browser context (its own session), large enough to show a page's main parts."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, **context_options)
    context.set_default_timeout(timeout_ms)
    return context.new_page()


@pytest.fixture
def page(browser):
    """A fresh browser context and tab, closed after the test."""
    tab = new_tab(browser)
    yield tab
    tab.context.close()


@pytest.fixture
def screenshot(request):
    """Save a screenshot of a step as test-artifacts/screenshots/<test>-<n>-<step>.png."""
    SCREENSHOT_DIRECTORY.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))
    test_name = request.node.name.removeprefix("test_")

    def take(page, step: str, locator=None) -> Path:
        path = SCREENSHOT_DIRECTORY / f"{test_name}-{next(counter):02d}-{step}.png"
        (locator or page).screenshot(path=str(path))
        return path

    return take
