"""The pages of issue 15 with AppTest: compare, manage (rename, delete), continue, recipe links."""

from __future__ import annotations

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from fashion import store

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


def test_a_model_deleted_elsewhere_disappears_gracefully(use_small_data, store_with_model):
    shutil.copytree(store_with_model / "small-tutorial", store_with_model / "other")
    app = open_page("pages/predictions.py")
    app.selectbox(key="predictions_model").set_value("other").run()
    store.delete_model("other")
    app.run()
    assert not app.exception and not app.error
    assert any("**other** is no longer in the store" in info.value for info in app.info)
    assert app.selectbox(key="predictions_model").value == "small-tutorial"
