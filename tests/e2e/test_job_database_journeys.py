"""The job view in a real browser while the job records' PostgreSQL server restarts mid-job."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from app_driver import assert_no_error, fill_training_form, open_page, plotted_epochs
from harness import AppServer
from playwright.sync_api import expect
from waiting import wait_for

from fashion.jobs import open_job_database

TRAINING_TIMEOUT_MS = 240_000


@pytest.fixture
def postgres_app_server(tmp_path, trained_store, small_data_dir, postgres_url):
    """An app server whose job records are in a fresh database on the session's PostgreSQL server."""
    models_dir = tmp_path / "models"
    shutil.copytree(trained_store, models_dir)
    previous = os.environ.get("FASHION_JOBS_DATABASE_URL")
    os.environ["FASHION_JOBS_DATABASE_URL"] = postgres_url
    try:
        server = AppServer(models_dir, small_data_dir, tmp_path / "streamlit.log")
    finally:
        if previous is None:
            os.environ.pop("FASHION_JOBS_DATABASE_URL")
        else:
            os.environ["FASHION_JOBS_DATABASE_URL"] = previous
    yield server
    server.stop()


def test_the_job_view_through_a_database_restart(
    postgres_app_server, postgres_server, postgres_url, page, screenshot, audits
):
    open_page(page, postgres_app_server.url, "train", heading="Train")
    # A job that outlasts the test: it is stopped once it has trained on through the restart
    fill_training_form(page, epochs=200, batch_size=4, subset=1000, name="through-a-restart")
    page.locator(".st-key-train_start button").click()
    expect(page).to_have_url(re.compile(r"[?&]job=\w+"))
    job_id = re.search(r"job=(\w+)", page.url).group(1)
    plotted = page.get_by_text(re.compile(r"^\d+ epochs? plotted\.$"))
    expect(plotted).to_be_visible(timeout=TRAINING_TIMEOUT_MS)

    # The server goes down: the live view says so, in place of the progress, and keeps trying
    postgres_server.stop()
    try:
        unreachable = page.get_by_text(
            re.compile(r"^The job database \(PostgreSQL database jobs_\d+ on .*cannot be reached")
        )
        expect(unreachable.first).to_be_visible()
        sidebar_note = "Training jobs cannot be shown: the job database cannot be reached."
        expect(page.get_by_text(sidebar_note)).to_be_visible()
        unreachable.first.scroll_into_view_if_needed()
        screenshot(page, "database-down")
        audits.check_live("job-view-database-down")
    finally:
        postgres_server.start()

    # Back: the same job, still training, its epochs growing; the sidebar's note gone too
    progress = page.get_by_text(re.compile(r"^Epoch \d+ of 200: batch"))
    expect(progress).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    expect(unreachable).to_have_count(0)
    expect(page.get_by_text("Your training")).to_be_visible()
    back_at = plotted_epochs(page)
    wait_for(
        lambda: (plotted_epochs(page) or 0) > (back_at or 0),
        f"the job to plot more than the {back_at} epochs it had after the restart",
        seconds=TRAINING_TIMEOUT_MS / 1000,
        interval=0.25,
    )
    progress.scroll_into_view_if_needed()
    screenshot(page, "database-back-training")

    # Stop: the model trained so far is saved, and the record has every epoch, in order
    page.locator(".st-key-training_stop button").click()
    stopped = page.get_by_text(re.compile(r"^Stopped early after \d+ of 200 epochs"))
    expect(stopped).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    record = open_job_database(postgres_url).get(job_id)
    epochs = [row["epoch"] for row in record["history"]]
    assert record["state"] == "finished" and epochs == list(range(1, len(epochs) + 1)) and len(epochs) > 1
    assert plotted_epochs(page) == len(epochs)
    assert (postgres_app_server.models_dir / "through-a-restart" / "model.keras").is_file()
    assert_no_error(page)
    stopped.scroll_into_view_if_needed()
    screenshot(page, "stopped-after-the-restart")
    audits.check("job-stopped-after-a-database-restart")
    audits.assert_clean()
