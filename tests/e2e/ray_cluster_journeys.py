"""Two app replicas on a two-node Ray cluster over one store: run by test_ray_cluster.py in `unshare -n`.

With FASHION_TEST_JOBS_BACKEND=postgresql the job records are in a database on a throwaway PostgreSQL
server (on a Unix socket, so inside the namespace too) rather than in the store's SQLite file.

Not collected on its own (no test_ prefix): it starts Ray, which must only happen in a private
network namespace where loopback is the only interface.
"""

from __future__ import annotations

import os
import re
import shutil
import time

import pytest
from app_driver import assert_no_error, fill_training_form, open_page, wait_until_idle
from axe_audit import Audits
from e2e_server import new_tab
from harness import AppServer
from playwright.sync_api import expect
from ray_cluster import RayCluster
from waiting import wait_for

from fashion.jobs import open_job_database

TRAINING_TIMEOUT_MS = 240_000

if os.environ.get("FASHION_IN_PRIVATE_NETWORK") != "1":
    pytest.fail("run through tests/e2e/test_ray_cluster.py, inside `unshare -n`", pytrace=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A head node with a (counted, not real) GPU and a second node, one CPU each; killed after the module."""
    started = time.monotonic()
    cluster = RayCluster(tmp_path_factory.mktemp("ray-logs"), head_gpus=1)
    print(f"Ray cluster of two nodes up in {time.monotonic() - started:.1f} s")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def job_database_location(request) -> str | None:
    """The PostgreSQL database of the job records when FASHION_TEST_JOBS_BACKEND=postgresql, else None."""
    if os.environ.get("FASHION_TEST_JOBS_BACKEND") == "postgresql":
        return request.getfixturevalue("postgres_server").new_database()
    return None


@pytest.fixture(scope="module")
def replicas(cluster, tmp_path_factory, trained_store, small_data_dir, job_database_location):
    """Two app servers on the cluster over one shared model store (and the PostgreSQL job records)."""
    work = tmp_path_factory.mktemp("ray-replicas")
    models_dir = work / "models"
    shutil.copytree(trained_store, models_dir)
    settings = {"FASHION_RAY_ADDRESS": cluster.address}
    if job_database_location:
        settings["FASHION_JOBS_DATABASE_URL"] = job_database_location
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        servers = [AppServer(models_dir, small_data_dir, work / f"streamlit-{index}.log") for index in (1, 2)]
    finally:
        for name, value in previous.items():
            os.environ.pop(name) if value is None else os.environ.update({name: value})
    yield servers
    for server in servers:
        server.stop()


def start_job(
    page, url: str, name: str, epochs: int, batch_size: int = 4, on_gpu: bool = False, audits=None
) -> str:
    """Open Train on a replica, start a tutorial job on a small subset (on a GPU node, the form audited by
    axe-core with the box ticked); returns its id."""
    open_page(page, url, "train", heading="Train")
    fill_training_form(page, epochs=epochs, batch_size=batch_size, subset=1000, name=name)
    gpu_choice = page.get_by_role("checkbox", name="Run on a GPU node")
    expect(gpu_choice).to_have_count(1)  # the cluster reports a GPU, so the page offers it
    if on_gpu:
        page.get_by_text("Run on a GPU node").click()
        expect(gpu_choice).to_be_checked()
        wait_until_idle(page)
        if audits is not None:
            audits.check("ray-train-form-gpu-ticked", page)
    page.locator(".st-key-train_start button").click()
    expect(page).to_have_url(re.compile(r"[?&]job=\w+"))
    return re.search(r"job=(\w+)", page.url).group(1)


class PhaseClock:
    """Prints how long each phase of a journey took, to see where its time goes (run with -s)."""

    def __init__(self):
        self.started = self.last = time.monotonic()

    def __call__(self, phase: str) -> None:
        now = time.monotonic()
        print(f"[{now - self.started:6.1f} s] {phase} took {now - self.last:.1f} s", flush=True)
        self.last = now


def test_two_replicas_share_jobs_on_two_nodes_and_a_lost_node_fails_its_job(
    cluster, replicas, browser, screenshot, job_database_location
):
    phase = PhaseClock()
    first_replica, second_replica = replicas
    database = open_job_database(job_database_location or str(first_replica.models_dir / ".jobs.sqlite3"))
    assert type(database).__name__ == ("PostgresJobDatabase" if job_database_location else "JobDatabase")
    anna, ben, carl, watcher = (new_tab(browser, 120_000) for _ in range(4))
    # axe-core (WCAG 2.1 A/AA) on what only the cluster shows: the GPU checkbox, a GPU job, a lost node
    audits = Audits(ben, screenshot)
    # Three browsers, three jobs: two run at once (one per node), the third waits in line
    # Anna's and Ben's jobs must outlast the whole test (the fast loop ran 200 epochs of batch 4 before
    # the lost node was reported once); the survivor is stopped at the end
    # Ben asks for a GPU: the head is the only node with one, so Anna's job goes to the second node
    ben_job = start_job(
        ben, second_replica.url, "ray-ben", epochs=1000, batch_size=1, on_gpu=True, audits=audits
    )
    anna_job = start_job(anna, first_replica.url, "ray-anna", epochs=1000, batch_size=1)
    carl_job = start_job(carl, first_replica.url, "ray-carl", epochs=2)
    phase("three jobs started")
    running = re.compile(r"^Epoch \d+ of 1000: batch")
    expect(anna.get_by_text(running)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    expect(ben.get_by_text(running)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    phase("two jobs running")
    expect(carl.get_by_text(re.compile(r"^Your job is queued, 1st in line, starts in about"))).to_be_visible()
    screenshot(carl, "ray-third-job-queued")
    head_runner = f"ray:{cluster.head_node_id()}"
    assert database.get(ben_job)["runner"] == head_runner, "the GPU job ran on the node without a GPU"
    assert database.get(anna_job)["runner"] not in (None, head_runner), "both jobs on the head node"

    gpu_caption = ben.get_by_text("This job asked for 1 GPU; Ray runs it on a node that has one.")
    expect(gpu_caption).to_be_visible()
    gpu_caption.scroll_into_view_if_needed()
    screenshot(ben, "ray-gpu-job-running")
    phase("GPU job's caption seen")
    audits.check_live("ray-gpu-job-running", ben)
    audits.check_live("ray-third-job-queued", carl)
    phase("GPU job and queue audited")

    # Ben's job opened on the other replica shows live progress: its plotted epochs grow
    # A live job's view reruns every second; on a loaded machine the runs may never leave it idle
    open_page(watcher, first_replica.url, f"train?job={ben_job}", heading="Train", idle=False)
    expect(watcher.locator(".st-key-training_stop button")).to_be_visible()
    plotted = watcher.get_by_text(re.compile(r"^\d+ epochs? plotted\.$"))
    expect(plotted).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    first_count = int(plotted.inner_text().split()[0])
    phase(f"the other replica's page plots {first_count} epochs")
    wait_for(
        lambda: int(plotted.inner_text().split()[0]) > first_count,
        f"the other replica's page to plot more than {first_count} epochs",
        seconds=TRAINING_TIMEOUT_MS / 1000,
        interval=0.25,
    )
    screenshot(watcher, "ray-job-live-on-the-other-replica")
    phase("live progress seen on the other replica")

    # The second node dies mid-job: Anna's job fails with a clear message and no model is written
    cluster.worker.kill()
    expect(anna.get_by_text(re.compile(r"^Training failed: the Ray node"))).to_be_visible(timeout=120_000)
    phase("the lost node's job failed")
    anna.locator(".st-key-training_retry button").scroll_into_view_if_needed()
    screenshot(anna, "ray-node-lost")
    audits.check_live("ray-node-lost-with-retry", anna)
    assert not (first_replica.models_dir / "ray-anna").exists()
    assert not list(first_replica.models_dir.glob(".incomplete-*"))
    # Retry queues the same settings again, behind Carl's job; Anna cancels it
    anna.locator(".st-key-training_retry button").click()
    queued_again = anna.get_by_text(re.compile(r"^Your job is queued, 2nd in line, starts in about"))
    expect(queued_again).to_be_visible()
    queued_again.scroll_into_view_if_needed()
    retried_job = re.search(r"job=(\w+)", anna.url).group(1)
    assert retried_job != anna_job and database.get(retried_job)["requested_name"] == "ray-anna"
    screenshot(anna, "ray-lost-job-retried")
    anna.locator(".st-key-training_cancel button").click()
    expect(anna.get_by_text("This job was cancelled before it started.")).to_be_visible()
    phase("lost node audited, retried and cancelled")

    # Ben's job is stopped and saved; Carl's job then runs on the head node
    ben.locator(".st-key-training_stop button").click()
    expect(ben.get_by_text(re.compile(r"^Stopped early after \d+ of 1000 epochs"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    expect(carl.get_by_text(re.compile(r"^Training finished in \d+ s\.$"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    phase("stopped job saved, queued job finished")
    assert database.get(carl_job)["runner"] == head_runner
    assert (first_replica.models_dir / "ray-carl" / "model.keras").is_file()
    for page in (anna, ben, carl, watcher):
        assert_no_error(page)
    screenshot(carl, "ray-queued-job-finished")
    audits.assert_clean()
