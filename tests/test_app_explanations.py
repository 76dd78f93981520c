"""The explanation views with AppTest on the small data set: "Why?" on Predictions and the Map page."""

from __future__ import annotations

from app_pages import markdown_texts, open_page

from fashion.data import CLASS_NAMES


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
    app.toggle(key="try_why").set_value(True).run()
    assert not app.exception and not app.error
    assert len(neighbour_names(app)) == 8
    assert any(text.startswith("**Where the model puts it**") for text in markdown_texts(app))


def neighbour_names_or_none(app) -> list[str]:
    """The neighbours' classes when shown, else an empty list."""
    shown = [text for text in markdown_texts(app) if text.startswith("**Nearest training images**")]
    return neighbour_names(app) if shown else []
