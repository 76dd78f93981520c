"""The app sections of the benchmark in a real browser: start-up and page times, the server's memory.

`python -m bench.benchmark --only startup --only memory`. Workers run in their own processes
(bench.benchmark starts them); the sections take the benchmark's runner and its model store.
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

from tests.e2e.harness import AppServer, launch_chromium, memory_kib

REPO_ROOT = Path(__file__).resolve().parent.parent
START_SECONDS_TARGET = 3.0
PREDICTIONS_SECONDS_TARGET = 1.5
SERVER_RSS_MB_TARGET = 1200.0
SESSION_MB_TARGET = 50.0
IDLE_SESSIONS = 10
# The Predictions page's confusion matrix and its grid of 15 image + bar-chart pairs.
PREDICTIONS_IMAGES = 2


def rss_megabytes(pid: int) -> float:
    """VmRSS of a process, in MB (10^6 bytes)."""
    return memory_kib(pid)["VmRSS"] * 1024 / 1e6


def page_paths() -> dict[str, str]:
    """URL paths of the pages, read from streamlit_app.py's st.Page(...) calls where possible."""
    paths = {"explore": "/", "train": "/train", "predictions": "/predictions", "try_image": "/try_image"}
    entry = REPO_ROOT / "streamlit_app.py"
    if entry.exists():
        for match in re.finditer(r"st\.Page\(\s*[\"']pages/(\w+)\.py[\"']([^)]*)\)", entry.read_text()):
            name, arguments = match.group(1), match.group(2)
            explicit = re.search(r"url_path\s*=\s*[\"'](\w*)[\"']", arguments)
            default = "default=True" in arguments.replace(" ", "")
            path = "/" if default else "/" + (explicit.group(1) if explicit else name)
            for key in paths:
                if key in name:
                    paths[key] = path
    return paths


def _wait_until_drawn(page, timeout_ms: float, images: int = 1) -> None:
    """Wait until the script run has ended and at least `images` st.image pictures are decoded."""
    page.locator("[data-testid='stAppViewContainer']").wait_for(timeout=timeout_ms)
    page.locator("[data-testid='stImage'] img").nth(images - 1).wait_for(state="visible", timeout=timeout_ms)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=timeout_ms)
    page.wait_for_function(
        "(count) => document.querySelectorAll('[data-stale=\"true\"]').length === 0"
        " && [...document.querySelectorAll('[data-testid=\"stImage\"] img')]"
        ".filter((image) => image.complete && image.naturalWidth > 0).length >= count",
        arg=images, timeout=timeout_ms,
    )


def _goto_and_wait(page, url: str, timeout_ms: float, images: int = 1) -> float:
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    _wait_until_drawn(page, timeout_ms, images)
    return time.perf_counter() - started


def worker_prepare_models(config: dict) -> dict:
    """Train and save a quick tutorial model and a quick CNN into FASHION_MODELS_DIR."""
    from fashion.data.fashion_mnist import load_dataset
    from fashion.training.models import get_architecture, with_overrides
    from fashion.training.workflow import train_evaluate_save

    dataset = load_dataset(allow_download=False)
    names = []
    for architecture in ("tutorial", "cnn"):
        hyper_parameters = with_overrides(get_architecture(architecture).defaults, epochs=1, train_limit=3000)
        finished = train_evaluate_save(architecture, hyper_parameters, dataset, f"bench-{architecture}")
        names.append(finished.entry.name)
    return {"model_names": names}


def worker_startup(config: dict) -> dict:
    """Cold start to the Explore page drawn, then the Predictions page warm (second visit)."""
    from playwright.sync_api import sync_playwright

    paths = page_paths()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        with AppServer(config.get("models_dir")) as server:
            page.goto(server.url + paths["explore"], wait_until="commit")
            _wait_until_drawn(page, 120_000)
            start_seconds = time.perf_counter() - server.started
            explore_warm = _goto_and_wait(page, server.url + paths["explore"], 120_000)
            _goto_and_wait(page, server.url + paths["predictions"], 180_000, PREDICTIONS_IMAGES)
            predictions_warm = []
            for _ in range(config.get("visits", 3)):
                predictions_warm.append(
                    _goto_and_wait(page, server.url + paths["predictions"], 120_000, PREDICTIONS_IMAGES)
                )
            images = page.locator("[data-testid='stImage'] img").count()
        browser.close()
    return {
        "start_to_explore_seconds": start_seconds,
        "explore_warm_seconds": explore_warm,
        "predictions_warm_seconds": statistics.median(predictions_warm),
        "predictions_images": images,
        "paths": paths,
    }


def worker_memory(config: dict) -> dict:
    """Server RSS with data and models loaded, then the extra RSS per idle session."""
    from playwright.sync_api import sync_playwright

    paths = page_paths()
    sessions = config.get("sessions", IDLE_SESSIONS)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        with AppServer(config.get("models_dir")) as server:
            first = browser.new_context().new_page()
            _goto_and_wait(first, server.url + paths["explore"], 120_000)
            for name in config.get("model_names", []):
                _goto_and_wait(
                    first, f"{server.url}{paths['predictions']}?model={name}", 180_000, PREDICTIONS_IMAGES
                )
            time.sleep(2)
            loaded_rss = rss_megabytes(server.process.pid)
            pages = []
            for _ in range(sessions):
                page = browser.new_context().new_page()
                _goto_and_wait(page, server.url + paths["explore"], 120_000)
                pages.append(page)
            time.sleep(3)
            sessions_rss = rss_megabytes(server.process.pid)
        browser.close()
    return {
        "server_rss_mb": loaded_rss,
        "rss_with_sessions_mb": sessions_rss,
        "per_session_mb": (sessions_rss - loaded_rss) / sessions,
        "sessions": sessions,
    }


def _app_missing() -> str | None:
    """Why the app cannot be measured (no streamlit_app.py), else None."""
    if not (REPO_ROOT / "streamlit_app.py").exists():
        return "streamlit_app.py does not exist yet"
    return None


def section_startup(repeats: int, quick: bool, repeated, prepared_models_dir) -> dict:
    """Cold start to Explore and the warm Predictions page, medians over repeated worker runs."""
    print("App start in Chromium", flush=True)
    missing = _app_missing()
    if missing:
        print(f"  skipped: {missing}")
        return {"skipped": missing}
    models_dir, _ = prepared_models_dir()
    runs = repeated("startup", {"models_dir": models_dir}, 1 if quick else min(3, repeats), "startup")
    figures = {
        key: statistics.median(run[key] for run in runs)
        for key in ("start_to_explore_seconds", "explore_warm_seconds", "predictions_warm_seconds")
    }
    figures["target_met"] = (
        figures["start_to_explore_seconds"] <= START_SECONDS_TARGET
        and figures["predictions_warm_seconds"] <= PREDICTIONS_SECONDS_TARGET
    )
    figures["runs"] = runs
    return figures


def section_memory(repeats: int, quick: bool, repeated, prepared_models_dir) -> dict:
    """The server's memory alone and with idle sessions, from one worker run."""
    print("Memory of the Streamlit server", flush=True)
    missing = _app_missing()
    if missing:
        print(f"  skipped: {missing}")
        return {"skipped": missing}
    models_dir, model_names = prepared_models_dir()
    config = {"sessions": 3 if quick else IDLE_SESSIONS, "models_dir": models_dir, "model_names": model_names}
    runs = repeated("memory", config, 1, "memory")
    figures = {
        key: statistics.median(run[key] for run in runs)
        for key in ("server_rss_mb", "rss_with_sessions_mb", "per_session_mb")
    }
    figures["target_met"] = (
        figures["server_rss_mb"] <= SERVER_RSS_MB_TARGET and figures["per_session_mb"] <= SESSION_MB_TARGET
    )
    figures["runs"] = runs
    return figures
