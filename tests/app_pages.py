"""Running the app's pages with Streamlit's AppTest: the helpers every AppTest module uses."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP_FILE = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TIMEOUT = 120


def open_page(page: str | None = None, query_parameters: dict | None = None) -> AppTest:
    """Run the app, switched to a page, with optional URL query parameters."""
    app = AppTest.from_file(APP_FILE, default_timeout=TIMEOUT)
    for key, value in (query_parameters or {}).items():
        app.query_params[key] = value
    app.run()
    if page:
        app.switch_page(page).run()
    assert not app.exception, app.exception
    return app


def markdown_texts(app: AppTest) -> list[str]:
    """Every markdown text of the page."""
    return [element.value for element in app.markdown]
