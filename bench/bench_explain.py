"""The explanations' figures for bench/benchmark.py: saliency, neighbours, the map, and their pages warm.

`python -m bench.benchmark --only explain`. Core figures come from a worker process on the full data
set (one model of each architecture, one epoch: the timings do not depend on how well it learnt);
page figures from the app in Chromium over the same kind of store.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

SALIENCY_MS_TARGET = 100.0
NEIGHBOUR_QUERY_MS_TARGET = 50.0
PAGE_SECONDS_TARGET = 1.5


def _median_ms(function, calls: int) -> float:
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(timings)


def worker_explain(config: dict) -> dict:
    """Saliency, neighbour query, feature and map builds (cold, then from the cache) per architecture."""
    from fashion.data.fashion_mnist import load_dataset
    from fashion.explain import explanation_plots
    from fashion.explain import explanations as explain
    from fashion.figures import plots
    from fashion.store import model_store as store
    from fashion.training.models import get_architecture, with_overrides
    from fashion.training.workflow import train_evaluate_save

    dataset = load_dataset(allow_download=False)
    calls = config.get("calls", 30)
    folder = Path(tempfile.mkdtemp(prefix="fashion-bench-explain-"))
    figures = {}
    try:
        os.environ["FASHION_MODELS_DIR"] = str(folder / "models")  # never the repository's own store
        for architecture in ("tutorial", "cnn"):
            hyper_parameters = with_overrides(get_architecture(architecture).defaults, epochs=1)
            name = train_evaluate_save(
                architecture, hyper_parameters, dataset, f"bench-{architecture}"
            ).entry.name
            entry = store.get_entry(name)
            model = store.load_model(name)
            images = dataset.test_images
            explain.saliency_map(model, images[0], 0)  # traced once
            shown = iter(range(1, 10_000))
            figures[f"{architecture}_saliency_ms"] = _median_ms(
                lambda: explain.saliency_map(model, images[next(shown)], 3), calls
            )
            started = time.perf_counter()
            features = explain.training_features(model, entry.path, dataset.train_images)
            figures[f"{architecture}_features_build_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            explain.training_features(model, entry.path, dataset.train_images)
            figures[f"{architecture}_features_cached_seconds"] = time.perf_counter() - started
            index = explain.NeighbourIndex(features)
            query = explain.penultimate_features(model, images[:calls])
            figures[f"{architecture}_neighbour_query_ms"] = _median_ms(lambda: index.query(query[7]), calls)
            figures[f"{architecture}_explain_image_ms"] = _median_ms(
                lambda: explain.explain_image(model, images[5], index, int(dataset.test_labels[5])), calls
            )
            explanation = explain.explain_image(model, images[5], index, int(dataset.test_labels[5]))
            nearest = explanation.neighbour_indices

            def draw():
                # What the page draws: the saliency figure and eight enlarged thumbnails.
                plots.figure_to_png(
                    explanation_plots.saliency_figure(
                        images[5], explanation.probabilities, 0, explanation.saliency_maps, "x"
                    )
                )
                [plots.pixel_image(255 - dataset.train_images[index], 4) for index in nearest]

            figures[f"{architecture}_why_figures_ms"] = _median_ms(draw, max(3, calls // 5))
            started = time.perf_counter()
            explain.embedding_map(model, entry.path, images, dataset.test_labels)
            figures[f"{architecture}_map_build_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            explain.embedding_map(model, entry.path, images, dataset.test_labels)
            figures[f"{architecture}_map_cached_seconds"] = time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def pages_warm(models_dir: str, model_names: list[str], visits: int = 3) -> dict:
    """Seconds to draw Predictions (Why? closed and open) and Map (a point open) per model, first then
    warm, all in one server; then that server's RSS with both models and their explanation caches."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import AppServer, launch_chromium, memory_kib

    def visit(page, url: str, marker: str) -> float:
        started = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=300_000)
        page.get_by_text(marker).first.wait_for(state="visible", timeout=300_000)
        page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=300_000)
        page.wait_for_function(
            "Array.from(document.images).every((image) => image.complete)", timeout=300_000
        )
        return time.perf_counter() - started

    def rss_mb(server) -> float:
        return memory_kib(server.process.pid)["VmRSS"] * 1024 / 1e6

    figures = {}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        with AppServer(Path(models_dir)) as server:
            # First Predictions alone for every model, then Why? and the map: the RSS between the two
            # is what the explanations' caches cost, measured in the same server.
            for views in (("predictions",), ("predictions_why", "map_point")):
                for name in model_names:
                    urls = {
                        "predictions": (f"predictions?model={name}", "Mistakes, one at a time"),
                        "predictions_why": (
                            f"predictions?model={name}&predictions_why=true",
                            "Nearest training images",
                        ),
                        "map_point": (f"map?model={name}&point=0", "Nearest training images"),
                    }
                    for key in views:
                        path, marker = urls[key]
                        figures[f"{name}_{key}_first_seconds"] = visit(page, f"{server.url}/{path}", marker)
                        figures[f"{name}_{key}_warm_seconds"] = statistics.median(
                            visit(page, f"{server.url}/{path}", marker) for _ in range(visits)
                        )
                figures["server_rss_mb" if len(views) > 1 else "server_rss_before_explanations_mb"] = rss_mb(
                    server
                )
        browser.close()
    return figures


def section_explain(repeats: int, quick: bool, repeated, prepared_models_dir) -> dict:
    """The explanations' core figures (medians over runs) and their pages in the browser."""
    print("Explanations: saliency, neighbours, map", flush=True)
    runs = repeated("explain", {"calls": 10 if quick else 30}, 1 if quick else min(3, repeats), "explain")
    medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    models_dir, names = prepared_models_dir()
    try:
        medians.update(pages_warm(models_dir, names, 1 if quick else 3))
    finally:
        shutil.rmtree(models_dir, ignore_errors=True)
    medians["runs"] = runs
    return medians


def explain_rows(explain: dict) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, ratio) rows of the explanations."""
    rows = []
    for architecture in ("tutorial", "cnn"):
        saliency = explain[f"{architecture}_saliency_ms"]
        query = explain[f"{architecture}_neighbour_query_ms"]
        rows += [
            (
                f"{architecture}: saliency, one image",
                f"{saliency:.1f} ms",
                f"<= {SALIENCY_MS_TARGET:.0f} ms",
                f"{saliency / SALIENCY_MS_TARGET:.2f}x of target",
            ),
            (
                f"{architecture}: nearest of 60,000",
                f"{query:.1f} ms",
                f"<= {NEIGHBOUR_QUERY_MS_TARGET:.0f} ms",
                f"{query / NEIGHBOUR_QUERY_MS_TARGET:.2f}x of target",
            ),
            (
                f"{architecture}: Why? (2 saliency + neighbours)",
                f"{explain[f'{architecture}_explain_image_ms']:.1f} ms",
                "-",
                "-",
            ),
            (
                f"{architecture}: training features, build / cached",
                f"{explain[f'{architecture}_features_build_seconds']:.2f} s / "
                f"{explain[f'{architecture}_features_cached_seconds']:.3f} s",
                "-",
                "-",
            ),
            (
                f"{architecture}: map of 3,000, build / cached",
                f"{explain[f'{architecture}_map_build_seconds']:.2f} s / "
                f"{explain[f'{architecture}_map_cached_seconds']:.3f} s",
                "-",
                "-",
            ),
        ]
    if "server_rss_before_explanations_mb" in explain:
        rows.append(
            (
                "server RSS, two models, Predictions only",
                f"{explain['server_rss_before_explanations_mb']:.0f} MB",
                "-",
                "-",
            )
        )
    if "server_rss_mb" in explain:
        rows.append(
            (
                "server RSS, two models + their explanation caches",
                f"{explain['server_rss_mb']:.0f} MB",
                "<= 1200 MB",
                f"{explain['server_rss_mb'] / 1200:.2f}x of target",
            )
        )
    for key, value in sorted(explain.items()):
        if key.endswith("_warm_seconds"):
            rows.append(
                (
                    f"page {key.removesuffix('_warm_seconds')}, warm",
                    f"{value:.2f} s",
                    f"<= {PAGE_SECONDS_TARGET} s",
                    f"{value / PAGE_SECONDS_TARGET:.2f}x of target",
                )
            )
    return rows
