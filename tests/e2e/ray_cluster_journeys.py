"""Two app replicas on a two-node Ray cluster over one store: run by test_ray_cluster.py in `unshare -n`.

Not collected on its own (no test_ prefix): it starts Ray, which must only happen in a private
network namespace where loopback is the only interface.
"""

from __future__ import annotations

import os
import re
import shutil
import time

import pytest
from app_driver import assert_no_error, fill_training_form, open_page
from e2e_server import new_tab
from harness import AppServer
from playwright.sync_api import expect
from ray_cluster import RayCluster

from fashion.job_database import JobDatabase

TRAINING_TIMEOUT_MS = 240_000

if os.environ.get("FASHION_IN_PRIVATE_NETWORK") != "1":
    pytest.fail("run through tests/e2e/test_ray_cluster.py, inside `unshare -n`", pytrace=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A head node and a second node, one CPU each, on 127.0.0.1; killed after the module."""
    started = time.monotonic()
    cluster = RayCluster(tmp_path_factory.mktemp("ray-logs"))
    print(f"Ray cluster of two nodes up in {time.monotonic() - started:.1f} s")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def replicas(cluster, tmp_path_factory, trained_store, small_data_dir):
    """Two app servers on the cluster over one shared model store."""
    work = tmp_path_factory.mktemp("ray-replicas")
    models_dir = work / "models"
    shutil.copytree(trained_store, models_dir)
    previous = os.environ.get("FASHION_RAY_ADDRESS")
    os.environ["FASHION_RAY_ADDRESS"] = cluster.address
    try:
        servers = [AppServer(models_dir, small_data_dir, work / f"streamlit-{index}.log") for index in (1, 2)]
    finally:
        os.environ.pop("FASHION_RAY_ADDRESS") if previous is None else os.environ.update(
            FASHION_RAY_ADDRESS=previous
        )
    yield servers
    for server in servers:
        server.stop()


def start_job(page, url: str, name: str, epochs: int, batch_size: int = 4) -> str:
    """Open Train on a replica, start a tutorial job on a small subset; returns its id."""
    open_page(page, url, "train", heading="Train")
    fill_training_form(page, epochs=epochs, batch_size=batch_size, subset=1000, name=name)
    page.locator(".st-key-train_start button").click()
    expect(page).to_have_url(re.compile(r"[?&]job=\w+"))
    return re.search(r"job=(\w+)", page.url).group(1)


def test_two_replicas_share_jobs_on_two_nodes_and_a_lost_node_fails_its_job(
    cluster, replicas, browser, screenshot
):
    first_replica, second_replica = replicas
    database = JobDatabase(first_replica.models_dir / ".jobs.sqlite3")
    anna, ben, carl, watcher = (new_tab(browser, 120_000) for _ in range(4))
    # Three browsers, three jobs: two run at once (one per node), the third waits in line
    # Anna's and Ben's jobs must outlast the whole test (the fast loop ran 200 epochs of batch 4 before
    # the lost node was reported once); the survivor is stopped at the end
    anna_job = start_job(anna, first_replica.url, "ray-anna", epochs=1000, batch_size=1)
    ben_job = start_job(ben, second_replica.url, "ray-ben", epochs=1000, batch_size=1)
    carl_job = start_job(carl, first_replica.url, "ray-carl", epochs=2)
    running = re.compile(r"^Epoch \d+ of 1000: batch")
    expect(anna.get_by_text(running)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    expect(ben.get_by_text(running)).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    expect(carl.get_by_text(re.compile(r"^Your job is queued, 1st in line, starts in about"))).to_be_visible()
    screenshot(carl, "ray-third-job-queued")
    nodes = {database.get(job_id)["runner"] for job_id in (anna_job, ben_job)}
    assert len(nodes) == 2, f"both jobs on one node: {nodes}"

    # Anna's job opened on the other replica shows live progress: its plotted epochs grow
    open_page(watcher, second_replica.url, f"train?job={anna_job}", heading="Train")
    expect(watcher.locator(".st-key-training_stop button")).to_be_visible()
    plotted = watcher.get_by_text(re.compile(r"^\d+ epoch\(s\) plotted\.$"))
    expect(plotted).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    first_count = int(plotted.inner_text().split()[0])
    deadline = time.monotonic() + TRAINING_TIMEOUT_MS / 1000
    while int(plotted.inner_text().split()[0]) <= first_count:
        assert time.monotonic() < deadline, f"the other replica's page stayed at {first_count} epochs"
        watcher.wait_for_timeout(250)
    screenshot(watcher, "ray-job-live-on-the-other-replica")

    # The second node dies mid-job: its job fails with a clear message and no model is written
    head_runner = f"ray:{cluster.head_node_id()}"
    lost_job, lost_page, lost_name = next(
        (job_id, page, name)
        for job_id, page, name in ((anna_job, anna, "ray-anna"), (ben_job, ben, "ray-ben"))
        if database.get(job_id)["runner"] != head_runner
    )
    surviving_page = ben if lost_page is anna else anna
    cluster.worker.kill()
    expect(lost_page.get_by_text(re.compile(r"^Training failed: the Ray node"))).to_be_visible(
        timeout=120_000
    )
    screenshot(lost_page, "ray-node-lost")
    assert not (first_replica.models_dir / lost_name).exists()
    assert not list(first_replica.models_dir.glob(".incomplete-*"))

    # The surviving job is stopped and saved; Carl's job then runs on the head node
    surviving_page.locator(".st-key-training_stop button").click()
    expect(surviving_page.get_by_text(re.compile(r"^Stopped early after \d+ of 1000 epochs"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    expect(carl.get_by_text(re.compile(r"^Training finished in \d+ s\.$"))).to_be_visible(
        timeout=TRAINING_TIMEOUT_MS
    )
    assert database.get(carl_job)["runner"] == head_runner
    assert (first_replica.models_dir / "ray-carl" / "model.keras").is_file()
    for page in (surviving_page, carl, watcher):
        assert_no_error(page)
    screenshot(carl, "ray-queued-job-finished")
