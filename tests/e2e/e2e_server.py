"""The browser tests' fixtures: the app served over a trained store, Chromium, tabs, screenshots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from axe_audit import Audits
from harness import CHROMIUM_PATH, REPOSITORY, AppServer, launch_chromium
from playwright.sync_api import expect

SCREENSHOT_DIRECTORY = REPOSITORY / "test-artifacts" / "screenshots"
ELEMENT_TIMEOUT_MS = 45_000  # generous: the CPU is shared and training runs beside the pages

expect.set_options(timeout=ELEMENT_TIMEOUT_MS)


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
    chromium = launch_chromium(playwright)
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


@pytest.fixture
def audits(page, screenshot):
    """An axe-core Audits collector on this test's tab (tests/e2e/axe_audit.py)."""
    return Audits(page, screenshot)
