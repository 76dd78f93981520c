"""The app's language with AppTest: the browser's locale, ?lang= in the URL, the sidebar switch."""

from __future__ import annotations

import pytest
from app_pages import APP_FILE, TIMEOUT
from streamlit.testing.v1 import AppTest

from fashion import i18n


def run_app(locale: str | None = None, lang: str | None = None) -> AppTest:
    """The landing page, with the browser's locale and ?lang= as given."""
    app = AppTest.from_file(APP_FILE, default_timeout=TIMEOUT)
    if locale is not None:
        app.context["locale"] = locale
    if lang is not None:
        app.query_params["lang"] = lang
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.fixture(autouse=True)
def english_afterwards():
    """AppTest runs the script in this thread: leave English current for the next test."""
    yield
    i18n.use_language(i18n.DEFAULT_LANGUAGE)


def test_english_without_a_locale_or_a_link_and_the_url_left_alone(use_small_data, models_dir):
    app = run_app()
    assert app.title[0].value == "Explore the data"
    assert app.sidebar.subheader[0].value == "Active model"
    assert app.segmented_control(key="language_switch").value == "en"
    assert "lang" not in app.query_params


@pytest.mark.parametrize("locale", ["zh-CN", "zh", "zh-Hans-CN"])
def test_a_chinese_browser_gets_chinese_and_a_link_that_keeps_it(use_small_data, models_dir, locale):
    app = run_app(locale=locale)
    assert app.title[0].value == "探索数据"
    assert app.sidebar.subheader[0].value == "当前模型"
    assert app.query_params["lang"] == "zh-CN"


def test_an_english_browser_gets_english(use_small_data, models_dir):
    app = run_app(locale="en-GB")
    assert app.title[0].value == "Explore the data"


def test_the_link_wins_over_the_browser_and_survives_a_page_change(use_small_data, models_dir):
    app = run_app(locale="en-US", lang="zh-CN")
    assert app.title[0].value == "探索数据"
    app.switch_page("pages/train.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "训练"
    assert app.query_params["lang"] == "zh-CN"
    english = run_app(locale="zh-CN", lang="en")
    assert english.title[0].value == "Explore the data"
    assert english.query_params["lang"] == "en"


def test_the_switch_changes_the_language_and_the_link(use_small_data, models_dir):
    app = run_app()
    app.segmented_control(key="language_switch").set_value("zh-CN").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "探索数据"
    assert app.query_params["lang"] == "zh-CN"
    app.switch_page("pages/lesson.py").run()
    assert app.title[0].value == "教程：对服装图像进行分类"
    app.segmented_control(key="language_switch").set_value("en").run()
    assert app.title[0].value == "Lesson: classify images of clothing"
    assert app.query_params["lang"] == "en"


def test_an_unknown_language_in_the_link_falls_back_to_the_browser(use_small_data, models_dir):
    app = run_app(locale="en-US", lang="klingon")
    assert app.title[0].value == "Explore the data"
