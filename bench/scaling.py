"""Figures for docs/scaling.md: jobs per minute (worker processes; Ray with one and two nodes), the
queue's wait estimate against the real wait, and an app replica's memory.

    python3 bench/scaling.py local         # one machine, FASHION_MAX_JOBS=1, the SQLite queue
    python3 bench/scaling.py replicas      # 2 replicas, 2 places: SQLite against PostgreSQL, interleaved
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

from fashion.data.fashion_mnist import load_dataset
from fashion.jobs.sqlite_records import JobDatabase
from fashion.training.models import RECOMMENDED_PRESET, presets, with_overrides

REPOSITORY = Path(__file__).resolve().parent.parent

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


def warm_up(jobs, dataset, count: int, hyper_parameters=SUBSET) -> None:
    """Run count jobs at once and wait for them: the estimate learns the speed, Ray's workers start."""
    started = [
        jobs.start("tutorial", hyper_parameters, dataset, owner=f"warm-up-{index}") for index in range(count)
    ]
    while any(jobs.get(job.job_id).state not in ("finished", "failed") for job in started):
        time.sleep(0.5)


def measure_local(work: Path) -> list[dict]:
    """Worker processes on this machine, one at a time, after one warm-up job."""
    from fashion.jobs.local_backend import LocalJobs

    dataset = load_dataset(allow_download=False)
    jobs = LocalJobs(JobDatabase(work / "jobs.sqlite3"), max_jobs=1, max_queued=50)
    warm_up(jobs, dataset, 1)
    return [run_batch(jobs, dataset, "local, FASHION_MAX_JOBS=1")]


# The replicas' batches: shorter jobs, so the queue's own costs (claims, starts) weigh more
REPLICA_JOBS = 6
REPLICA_SUBSET = with_overrides(SUBSET, train_limit=3000, epochs=5)
REPLICA_ROUNDS = 2


def start_gaps(ended) -> list[float]:
    """For each job that waited: seconds from the end of a job (its place freed) to this job's claim."""
    gaps = []
    for job in ended:
        freed = [other.finished_at for other in ended if (other.finished_at or 0) <= job.started_at]
        if job.started_at - job.queued_at > 1.0 and freed:
            gaps.append(round(job.started_at - max(freed), 3))
    return gaps


def run_replica_batch(replicas, dataset, label: str) -> dict:
    """REPLICA_JOBS jobs submitted alternately to the replicas at once, followed to the end."""
    submitted = time.time()
    snapshots = [
        replicas[index % len(replicas)].start("tutorial", REPLICA_SUBSET, dataset, owner=f"{label}-{index}")
        for index in range(REPLICA_JOBS)
    ]
    unfinished = ("queued", "starting", "running", "saving")
    while any(replicas[0].get(snapshot.job_id).state in unfinished for snapshot in snapshots):
        time.sleep(0.25)
    ended = [replicas[0].get(snapshot.job_id) for snapshot in snapshots]
    wall = max(job.finished_at for job in ended) - submitted
    runners = {record["runner"] for record in replicas[0].database.recent(REPLICA_JOBS)}
    return {
        "label": label,
        "jobs": REPLICA_JOBS,
        "states": sorted({job.state for job in ended}),
        "replicas_that_ran_jobs": len(runners),
        "wall_seconds": round(wall, 1),
        "jobs_per_minute": round(REPLICA_JOBS * 60 / wall, 2),
        "seconds_from_a_freed_place_to_the_next_claim": start_gaps(ended),
    }


def measure_replicas(work: Path) -> list[dict]:
    """Two replicas (LocalJobs, each with its dispatcher and workers) sharing 2 places, over SQLite and
    over PostgreSQL (a throwaway server, as in the tests), the backends interleaved REPLICA_ROUNDS times."""
    from fashion.jobs import open_job_database
    from fashion.jobs.local_backend import LocalJobs
    from tests.postgres_server import PostgresServer

    dataset = load_dataset(allow_download=False)
    server = PostgresServer()
    try:
        locations = {"sqlite": str(work / "jobs.sqlite3"), "postgresql": server.new_database()}
        replicas = {
            name: [LocalJobs(open_job_database(location), max_jobs=2, max_queued=50) for _ in range(2)]
            for name, location in locations.items()
        }
        results = []
        for name in locations:
            warm_up(replicas[name][0], dataset, 2, REPLICA_SUBSET)
        for round_number in range(1, REPLICA_ROUNDS + 1):
            for name in locations:
                label = f"{name}, 2 replicas, round {round_number}"
                results.append(run_replica_batch(replicas[name], dataset, label))
        for group in replicas.values():
            for jobs in group:
                jobs.close()
        return results
    finally:
        server.remove()


def replica_memory(models_dir: Path) -> dict:
    """An app server's resident memory after a browser opened Train and Predictions (this mode)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import AppServer, launch_chromium, memory_kib

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
    import fashion.jobs
    from tests.e2e.ray_cluster import RayCluster

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
        elif mode == "replicas":
            figures = measure_replicas(work)
        else:
            figures = measure_local(work)
            figures.append({"replica_memory_local_mode": replica_memory(work / "models")})
    print(json.dumps(figures, indent=1))
