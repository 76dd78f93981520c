"""The explanation views with AppTest on the small data set ("Why?" on Predictions' mistake browser and
image view, the Map page) and the background build of the training images' features."""

from __future__ import annotations

import pytest
from app_pages import markdown_texts, open_page
from waiting import wait_for

from fashion.data.fashion_mnist import CLASS_NAMES


def neighbour_names(app) -> list[str]:
    """The classes listed for the nearest training images."""
    prefix = "**Nearest training images** (by the model's penultimate layer): "
    lines = [text for text in markdown_texts(app) if text.startswith(prefix)]
    assert len(lines) == 1, markdown_texts(app)
    return lines[0].removeprefix(prefix).split(", ")


def test_why_on_a_mistake_shows_saliency_and_neighbours(use_small_data, store_with_model):
    app = open_page("pages/predictions.py")
    app.toggle(key="predictions_why").set_value(True).run()
    assert not app.exception
    names = neighbour_names(app)
    assert len(names) == 8 and set(names) <= set(CLASS_NAMES)
    assert any(caption.value.startswith("Saliency by integrated gradients") for caption in app.caption)


def test_map_opens_the_point_in_the_url(use_small_data, store_with_model):
    app = open_page("pages/map.py", {"point": "7"})
    assert [header.value for header in app.main.subheader] == ["Test image #7"]
    assert len(neighbour_names(app)) == 8
    assert "300 test images" in app.caption[0].value


def test_map_without_a_point_asks_for_a_click_and_ignores_a_bad_one(use_small_data, store_with_model):
    app = open_page("pages/map.py", {"point": "99999"})
    assert not app.main.subheader
    assert app.info[0].value.startswith("Click a point of the map")


def test_map_without_a_model_offers_to_train_one(use_small_data, models_dir):
    app = open_page("pages/map.py")
    assert "No model has been trained yet" in app.info[0].value


def test_try_page_explains_an_upload_and_places_it_on_the_map(use_small_data, store_with_model):
    from test_app import png_bytes

    app = open_page("pages/try_image.py")
    app.file_uploader(key="try_upload").set_value(("shirt.png", png_bytes(), "image/png")).run()
    assert not neighbour_names_or_none(app)
    # The features "Why?" needs are already being built for this store's model, before Why? is asked
    from ui import background

    building = [key for key in background._background_builds()["builds"] if key[0] == "neighbours"]
    assert any(identity[2] == str(store_with_model) for _, identity, _ in building), building
    app.toggle(key="try_why").set_value(True).run()
    assert not app.exception and not app.error
    assert len(neighbour_names(app)) == 8
    assert any(text.startswith("**Where the model puts it**") for text in markdown_texts(app))


def neighbour_names_or_none(app) -> list[str]:
    """The neighbours' classes when shown, else an empty list."""
    shown = [text for text in markdown_texts(app) if text.startswith("**Nearest training images**")]
    return neighbour_names(app) if shown else []


def test_gallery_image_view_opens_an_image_and_its_why(use_small_data, store_with_model):
    app = open_page("pages/predictions.py")
    chooser = app.selectbox(key="predictions_gallery_open")
    assert chooser.value is None and len(chooser.options) == 15
    assert chooser.options[4].startswith("#4: ")
    chooser.set_value(4).run()
    assert not app.exception
    assert "Test image #4" in [header.value for header in app.main.subheader]
    assert app.query_params["image"] == "4"
    assert not neighbour_names_or_none(app)
    app.toggle(key="predictions_image_why").set_value(True).run()
    assert not app.exception and not app.error
    names = neighbour_names(app)
    assert len(names) == 8 and set(names) <= set(CLASS_NAMES)
    assert any(caption.value.startswith("Saliency by integrated gradients") for caption in app.caption)


def test_gallery_image_view_reopens_from_the_url_and_ignores_a_bad_index(use_small_data, store_with_model):
    app = open_page("pages/predictions.py", {"image": "123", "predictions_image_why": "true"})
    assert "Test image #123" in [header.value for header in app.main.subheader]
    assert len(neighbour_names(app)) == 8
    app = open_page("pages/predictions.py", {"image": "999999"})
    assert not [header.value for header in app.main.subheader if header.value.startswith("Test image #")]
    assert not app.exception and not app.error


def test_a_background_build_runs_once_per_key_and_again_after_a_failure():
    from fashion.errors import ExplanationError
    from ui.background import background_build

    prepared = []

    def prepare():
        prepared.append(1)

        def work(progress):
            progress(1, 2)
            progress(2, 2)
            return "index"

        return work

    build = background_build(("test-build", "model a"), prepare)
    assert build.result() == "index" and (build.done_count, build.total_count) == (2, 2)
    assert background_build(("test-build", "model a"), prepare) is build and len(prepared) == 1

    def prepare_failing():
        def work(progress):
            raise ExplanationError("this model cannot be explained")

        return work

    failed = background_build(("test-build", "model b"), prepare_failing)
    with pytest.raises(ExplanationError):
        failed.result()
    assert failed.failed()
    again = background_build(("test-build", "model b"), prepare)
    assert again is not failed and again.result() == "index"


def test_a_background_build_gives_way_to_pages_until_one_waits_for_it(monkeypatch):
    import threading

    from ui import background

    monkeypatch.setattr(background, "IDLE_SECONDS", 60.0)
    monkeypatch.setattr(background, "BUILD_WAIT_SECONDS", 60.0)
    giving_way = threading.Event()

    class WatchedCondition(threading.Condition):
        def wait(self, timeout=None):
            giving_way.set()
            return super().wait(timeout)

    monkeypatch.setattr(background._page_activity, "condition", WatchedCondition())

    def prepare():
        def work(progress):
            progress(1, 2)
            progress(2, 2)
            return "index"

        return work

    with background.page_running():
        build = background.background_build(("test-build", "model c"), prepare)
        wait_for(giving_way.is_set, "the build to wait for the page to end", seconds=30)
        assert build.done_count == 0 and not build.done()
        with background.waiting_for_background():
            assert build.result() == "index"


def test_map_legend_symbols_read_on_the_light_and_the_dark_theme():
    import pandas as pd

    from fashion.figures.plots import NEUTRAL_BAR_COLOUR
    from fashion.figures.tables import relative_luminance
    from ui.map_view import map_chart

    points = pd.DataFrame(
        {"x": [0.0, 1.0], "y": [0.0, 1.0], "true class": ["Coat", "Bag"], "result": ["right", "wrong"]}
    )
    legend = map_chart(points).to_dict()["encoding"]["shape"]["legend"]
    assert legend["symbolFillColor"] == legend["symbolStrokeColor"] == NEUTRAL_BAR_COLOUR
    # WCAG's 3:1 for graphics against white and Streamlit's dark background rgb(14, 17, 23)
    symbol = relative_luminance(int(NEUTRAL_BAR_COLOUR[1:3], 16))
    dark = 0.2126 * relative_luminance(14) + 0.7152 * relative_luminance(17) + 0.0722 * relative_luminance(23)
    assert 1.05 / (symbol + 0.05) >= 3 and (symbol + 0.05) / (dark + 0.05) >= 3
