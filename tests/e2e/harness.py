"""The app as a server process, Debian's Chromium and a process's memory: shared by tests and bench/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
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


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory_kib(pid: int) -> dict[str, int]:
    """A process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB, from /proc."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures


def launch_chromium(playwright):
    """Debian's Chromium, headless, through Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGUMENTS)


class AppServer:
    """`streamlit run streamlit_app.py` on a free loopback port, healthy once built; stop() ends it."""

    def __init__(
        self,
        models_dir: Path | None = None,
        data_dir: Path | None = None,
        log_path: Path | None = None,
        app_directory: Path = REPOSITORY,
    ):
        """app_directory: the checkout to serve (bench/ compares another version of the app with it)."""
        self.models_dir = models_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        # The environment scripts/start.sh gives the server, plus this server's store and data.
        environment = {"MALLOC_ARENA_MAX": "2", **os.environ}
        environment.update(TF_CPP_MIN_LOG_LEVEL="3", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
        if models_dir is not None:
            environment["FASHION_MODELS_DIR"] = str(models_dir)
        if data_dir is not None:
            environment["FASHION_MNIST_DIR"] = str(data_dir)
        command = [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
            "--server.port", str(self.port),
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        if log_path is None:
            self._log = None
            output = subprocess.DEVNULL
        else:
            self._log = output = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - open while it runs
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, cwd=app_directory, env=environment, stdout=output, stderr=subprocess.STDOUT
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
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"streamlit did not answer /_stcore/health in {SERVER_START_SECONDS} s")

    def log(self) -> str:
        """What the server printed so far (empty when it has no log file)."""
        if self._log is None:
            return ""
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
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exception) -> None:
        self.stop()
