"""The Try page's lesson: the same image through a Fashion-MNIST-only model and the Photo model."""

from __future__ import annotations

import json

from app_pages import open_page
from test_app_first_hour import add_photo_model

from fashion.store import model_store as store

LESSON_HEADING = "The same image, two models"


def say_it_learnt_from_real_photos(store_directory, name: str = "photo-robust-small") -> None:
    """Give the copied photo model's record what a real one carries: the photos it learnt from."""
    record_path = store_directory / name / store.RECORD_FILE
    record = json.loads(record_path.read_text())
    record["trained_on"] = {"fashion_mnist": 900, "real_photos": 3359}
    record_path.write_text(json.dumps(record))


def progress_texts(app) -> list[str]:
    """The texts of the page's probability bars, in order."""
    return [bar.proto.text for bar in app.get("progress")]


def test_try_page_shows_the_same_image_through_both_models_and_why(use_small_data, store_with_model):
    from fashion.data.fashion_mnist import load_dataset, scale_images
    from fashion.photos import pipeline as photo
    from fashion.training import inference

    add_photo_model(store_with_model)
    say_it_learnt_from_real_photos(store_with_model)
    app = open_page("pages/try_image.py", {"model": "small-tutorial"})
    app.button(key="try_random").click().run()
    assert not app.exception and not app.error
    assert LESSON_HEADING in [heading.value for heading in app.subheader]
    titles = [text.value for text in app.markdown if text.value.startswith("**")]
    assert "**Fashion-MNIST only: small-tutorial · custom settings**" in titles
    assert "**Photo model: photo-robust-small · Photo-robust CNN**" in titles
    (lesson,) = [info.value for info in app.info if info.value.startswith("They differ")]
    assert lesson == (
        "They differ by the data they saw: small-tutorial learnt from Fashion-MNIST (900 images) alone, "
        "studio pictures of one item, light on black; photo-robust-small learnt from Fashion-MNIST "
        "(900 images) and 3,359 real photos, with real backgrounds, light and pairs of shoes."
    )
    # Each model's bars are its own answer to the page's image: the chosen model's three, then each column's
    image = load_dataset(allow_download=False).test_images[app.session_state["try_random_index"]]
    probabilities = inference.predict_probabilities(
        store.load_model("small-tutorial"), photo.tta_batch(scale_images(image))
    ).mean(axis=0)
    expected = [
        f"{rank}. {name}: {p:.1%}"
        for rank, (_, name, p) in enumerate(inference.top_classes(probabilities), start=1)
    ]
    texts = progress_texts(app)
    assert len(texts) == 9 and texts[3:6] == expected, texts


def test_no_lesson_without_a_fashion_mnist_only_model_and_a_photo_model(use_small_data, store_with_model):
    app = open_page("pages/try_image.py")
    app.button(key="try_random").click().run()
    assert not app.exception
    assert LESSON_HEADING not in [heading.value for heading in app.subheader]
    assert len(progress_texts(app)) == 3
