"""Small helpers to drive Streamlit pages in Playwright: open, wait for the script to settle, find widgets."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

RUNNING_SELECTOR = '[data-testid="stStatusWidget"]'
EXCEPTION_SELECTOR = '[data-testid="stException"]'
STALE_SELECTOR = '[data-stale="true"]'
ERROR_SELECTOR = '[data-testid="stAlertContentError"]'


def open_page(page: Page, base_url: str, path: str = "", heading: str | None = None) -> float:
    """Go to a page of the app and wait until it has drawn (and its heading shows); returns seconds taken."""
    started = time.monotonic()
    page.goto(f"{base_url}/{path}")
    page.locator('[data-testid="stAppViewContainer"]').wait_for()
    if heading:
        expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
    wait_until_idle(page)
    return time.monotonic() - started


def wait_until_idle(page: Page, timeout_ms: float = 60_000) -> None:
    """Wait until Streamlit shows no "Running..." status (the script run has ended)."""
    page.locator(RUNNING_SELECTOR).wait_for(state="hidden", timeout=timeout_ms)
    expect(page.locator(STALE_SELECTOR)).to_have_count(0, timeout=timeout_ms)


def assert_no_exception(page: Page) -> None:
    """No Python exception box on the page."""
    expect(page.locator(EXCEPTION_SELECTOR)).to_have_count(0)


def assert_no_error(page: Page) -> None:
    """Neither an exception box nor an st.error alert on the page."""
    assert_no_exception(page)
    expect(page.locator(ERROR_SELECTOR)).to_have_count(0)


def number_input(page: Page, label: str):
    """The <input> of the st.number_input with this label."""
    return page.locator('[data-testid="stNumberInput"]').filter(has_text=label).locator("input")


def set_number(page: Page, label: str, value: int | float) -> None:
    """Type a value into a number input and commit it with Enter."""
    field = number_input(page, label)
    field.fill(str(value))
    field.press("Enter")
    expect(field).to_have_value(str(value))


def expander_text(page: Page, title: str) -> list[str]:
    """Open the st.expander with this title and return its list items' texts."""
    expander = page.locator('[data-testid="stExpander"]').filter(has_text=title)
    details = expander.locator("details")
    if details.get_attribute("open") is None:
        expander.locator("summary").click()
    items = expander.locator("li")
    expect(items.first).to_be_visible()
    return [text.strip() for text in items.all_inner_texts()]
