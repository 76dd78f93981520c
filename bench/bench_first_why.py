"""A CNN's first "Why?" in Chromium: this checkout against another version of the app, interleaved.

`python -m bench.bench_first_why --before REF [--rounds N] [--page predictions|try]` serves REF
(exported with `git archive`) and this checkout in turn, each over a fresh copy of one store (no
`explain-cache/`, so the 60,000 training images' features are computed), and times what a user waits
for:

- `why_at_once`: Predictions drawn for the first time, "Why?" clicked straight away;
- `predictions_warm` then `why_after_reading`: three more visits of Predictions (a user reloading: the
  figure "Predictions warm" of benchmark.py), 5 s of reading, then "Why?" clicked.

With `--page try` the journeys are on the Try page instead: opened, "Random test image" pressed, its
prediction drawn (`try_prediction`), then "Why?" at once or after 5 s of reading.

Prints each run and the medians with their after/before ratios; writes bench/results/first-why-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.benchmark import RESULTS_DIR, prepared_models_dir
from tests.e2e.harness import AppServer, launch_chromium

REPO_ROOT = Path(__file__).resolve().parent.parent

TIMEOUT_MS = 300_000
WARM_VISITS = 3
READING_SECONDS = 5.0  # a user looking at the accuracy and the gallery before clicking "Why?"


def export_version(reference: str, folder: Path) -> Path:
    """The files of a git reference, written into folder by `git archive`."""
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", reference], cwd=REPO_ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def fresh_store(models_dir: str, folder: Path) -> Path:
    """A copy of the store without the explanation caches."""
    shutil.copytree(models_dir, folder, ignore=shutil.ignore_patterns("explain-cache"))
    return folder


def visit_predictions(page, url: str) -> float:
    """Seconds from going to the Predictions URL to the page drawn (script ended, images decoded)."""
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    page.get_by_text("Mistakes, one at a time").wait_for(state="visible", timeout=TIMEOUT_MS)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=TIMEOUT_MS)
    page.wait_for_function("Array.from(document.images).every((image) => image.complete)", timeout=TIMEOUT_MS)
    return time.perf_counter() - started


def click_why(page, key: str = "predictions_why") -> float:
    """Seconds from a click on a "Why?" switch (the mistake browser's, or key's) to its neighbours drawn."""
    started = time.perf_counter()
    page.locator(f".st-key-{key}").get_by_text("Why?").click()
    page.get_by_text("Nearest training images").wait_for(state="visible", timeout=TIMEOUT_MS)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=TIMEOUT_MS)
    return time.perf_counter() - started


def try_prediction(page, url: str) -> float:
    """Seconds from opening the Try page to a random test image's prediction drawn."""
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Random test image").click(timeout=TIMEOUT_MS)
    page.get_by_text("The 28x28 model input, enlarged").wait_for(state="visible", timeout=TIMEOUT_MS)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=TIMEOUT_MS)
    return time.perf_counter() - started


def try_journey(browser, app_directory: Path, store: Path, model: str, read_first: bool) -> dict:
    """One server over a fresh store: the Try page's prediction of a test image, then its Why?."""
    figures = {}
    with AppServer(store, app_directory=app_directory) as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        figures["try_prediction"] = try_prediction(page, f"{server.url}/try_image?model={model}")
        if read_first:
            time.sleep(READING_SECONDS)
            figures["why_after_reading"] = click_why(page, "try_why")
        else:
            figures["why_at_once"] = click_why(page, "try_why")
        page.close()
    return figures


def journey(browser, app_directory: Path, store: Path, model: str, read_first: bool) -> dict:
    """One server over a fresh store: Predictions, then Why? (after the warm visits if read_first)."""
    figures = {}
    with AppServer(store, app_directory=app_directory) as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        url = f"{server.url}/predictions?model={model}"
        figures["predictions_first"] = visit_predictions(page, url)
        figures["gallery_image_view"] = page.locator(".st-key-predictions_gallery_open").count() > 0
        if read_first:
            figures["predictions_warm"] = statistics.median(
                visit_predictions(page, url) for _ in range(WARM_VISITS)
            )
            time.sleep(READING_SECONDS)
            figures["why_after_reading"] = click_why(page)
        else:
            figures["why_at_once"] = click_why(page)
        page.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git reference of the version to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of each journey")
    parser.add_argument("--page", choices=("predictions", "try"), default="predictions")
    arguments = parser.parse_args(argv)
    run_journey = try_journey if arguments.page == "try" else journey
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="fashion-bench-first-why-"))
    models_dir, names = prepared_models_dir()
    model = next(name for name in names if "cnn" in name)
    versions = {"before": export_version(arguments.before, work / "before"), "after": REPO_ROOT}
    runs = []
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for round_number in range(arguments.rounds):
                for read_first in (False, True):
                    # Alternate which version goes first, so neither always meets the same load.
                    order = ["before", "after"] if round_number % 2 == 0 else ["after", "before"]
                    for version in order:
                        store = fresh_store(models_dir, work / f"store-{len(runs)}")
                        figures = run_journey(browser, versions[version], store, model, read_first)
                        figures.update(version=version, load_average=os.getloadavg()[0])
                        runs.append(figures)
                        print(json.dumps(figures), flush=True)
                        shutil.rmtree(store, ignore_errors=True)
            browser.close()
    finally:
        shutil.rmtree(models_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    summary = {}
    keys = ("predictions_first", "predictions_warm", "try_prediction", "why_at_once", "why_after_reading")
    for key in keys:
        if not any(key in run for run in runs):
            continue
        medians = {
            version: statistics.median(run[key] for run in runs if run["version"] == version and key in run)
            for version in versions
        }
        summary[key] = {**medians, "ratio_after_over_before": medians["after"] / medians["before"]}
        print(f"{key}: before {medians['before']:.2f} s, after {medians['after']:.2f} s, "
              f"after/before {summary[key]['ratio_after_over_before']:.2f}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    output = RESULTS_DIR / f"first-why-{arguments.page}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    record = {"before": arguments.before, "page": arguments.page, "summary": summary, "runs": runs}
    output.write_text(json.dumps(record, indent=2))
    print(f"Written to {output.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
