"""Figures for docs/scaling.md: jobs per minute (worker processes; Ray with one and two nodes), the
queue's wait estimate against the real wait, and an app replica's memory.

    python3 bench/scaling.py local         # one machine, FASHION_MAX_JOBS=1, the SQLite queue
    unshare -n sh -c 'ip link set lo up && python3 bench/scaling.py ray'   # Ray: needs root

Each run trains the tutorial network with the recommended settings on a 10,000-image subset of the
real data; results are printed as JSON. Ray runs only inside a private network namespace.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY), str(REPOSITORY / "tests" / "e2e")]

from fashion.data import load_dataset  # noqa: E402
from fashion.job_database import JobDatabase  # noqa: E402
from fashion.models import RECOMMENDED_PRESET, presets, with_overrides  # noqa: E402

JOBS = 4
SUBSET = with_overrides(presets("tutorial")[RECOMMENDED_PRESET], train_limit=10000)


def run_batch(jobs, dataset, label: str) -> dict:
    """Submit JOBS jobs at once (each its own owner) and follow them to the end."""
    submitted = time.time()
    snapshots = [jobs.start("tutorial", SUBSET, dataset, owner=f"{label}-{index}") for index in range(JOBS)]
    estimates = {snapshot.job_id: snapshot.starts_in_seconds or 0.0 for snapshot in jobs.list()}
    unfinished = ("queued", "starting", "running", "saving")
    while any(jobs.get(snapshot.job_id).state in unfinished for snapshot in snapshots):
        time.sleep(0.5)
    ended = [jobs.get(snapshot.job_id) for snapshot in snapshots]
    wall = max(job.finished_at for job in ended) - submitted
    return {
        "label": label,
        "jobs": JOBS,
        "states": [job.state for job in ended],
        "wall_seconds": round(wall, 1),
        "jobs_per_minute": round(JOBS * 60 / wall, 2),
        "estimated_vs_real_wait_seconds": [
            [round(estimates.get(job.job_id, 0.0), 1), round(job.started_at - job.queued_at, 1)]
            for job in ended
        ],
    }


def warm_up(jobs, dataset, count: int) -> None:
    """Run count jobs at once and wait for them: the estimate learns the speed, Ray's workers start."""
    started = [jobs.start("tutorial", SUBSET, dataset, owner=f"warm-up-{index}") for index in range(count)]
    while any(jobs.get(job.job_id).state not in ("finished", "failed") for job in started):
        time.sleep(0.5)


def measure_local(work: Path) -> list[dict]:
    """Worker processes on this machine, one at a time, after one warm-up job."""
    from fashion.local_jobs import LocalJobs

    dataset = load_dataset(allow_download=False)
    jobs = LocalJobs(JobDatabase(work / "jobs.sqlite3"), max_jobs=1, max_queued=50)
    warm_up(jobs, dataset, 1)
    return [run_batch(jobs, dataset, "local, FASHION_MAX_JOBS=1")]


def replica_memory(models_dir: Path) -> dict:
    """An app server's resident memory after a browser opened Train and Predictions (this mode)."""
    from harness import AppServer, launch_chromium, memory_kib
    from playwright.sync_api import sync_playwright

    log_path = models_dir.parent / "streamlit.log"
    with AppServer(models_dir, None, log_path) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        for path in ("train", "predictions", "train"):
            page.goto(f"{server.url}/{path}")
            page.get_by_role("heading", name=path.title()).first.wait_for(timeout=120_000)
            time.sleep(3)
        figures = memory_kib(server.process.pid)
        browser.close()
    return {"VmRSS_MiB": round(figures["VmRSS"] / 1024), "VmHWM_MiB": round(figures["VmHWM"] / 1024)}


def measure_ray(work: Path) -> list[dict]:
    """Ray with only the head node (1 CPU), then with a second node (1 CPU each), each after warm-up jobs."""
    from ray_cluster import RayCluster

    import fashion.jobs

    cluster = RayCluster(work, nodes=1)
    try:
        os.environ["FASHION_RAY_ADDRESS"] = cluster.address
        os.environ["FASHION_MODELS_DIR"] = str(work / "models")
        dataset = load_dataset(allow_download=False)
        jobs = fashion.jobs.default_jobs()
        warm_up(jobs, dataset, 1)
        results = [run_batch(jobs, dataset, "ray, 1 node")]
        cluster.add_worker()
        time.sleep(11)  # the estimate counts the cluster's places every 10 s
        warm_up(jobs, dataset, 2)
        results.append(run_batch(jobs, dataset, "ray, 2 nodes"))
        results.append({"replica_memory_ray_mode": replica_memory(work / "models")})
        return results
    finally:
        cluster.stop()


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "local"
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        os.environ["FASHION_MODELS_DIR"] = str(work / "models")
        if mode == "ray":
            figures = measure_ray(work)
        else:
            figures = measure_local(work)
            figures.append({"replica_memory_local_mode": replica_memory(work / "models")})
    print(json.dumps(figures, indent=1))
