"""A learner's first hour with AppTest on the small data: plain words, the Try page's model, next steps."""

from __future__ import annotations

import re

from app_pages import markdown_texts, open_page
from waiting import job_when

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.figures import descriptions

# Plain words


def test_counts_take_the_right_plural():
    assert descriptions.count_of(1, "batch", "batches") == "1 batch"
    assert descriptions.count_of(32, "batch", "batches") == "32 batches"
    assert descriptions.count_of(2, "epoch") == "2 epochs"
    assert descriptions.count_of(1000, "image") == "1,000 images"


def test_articles_before_a_vowel():
    assert descriptions.with_article("Ankle boot") == "an Ankle boot"
    assert descriptions.with_article("Coat") == "a Coat"


def test_the_doubt_message_is_in_words_and_its_numbers_apart():
    words, numbers = descriptions.photo_doubt_message(1.31, 0.95, "95% of the Fashion-MNIST test images")
    assert words.startswith("The model is unsure: its top answers are close")
    assert not re.search(r"\d", words)
    assert "1.31" in numbers and "0.95" in numbers and "95%" in numbers


def test_train_page_says_batch_and_batches(use_small_data, models_dir):
    app = open_page("pages/train.py")
    captions = [caption.value for caption in app.caption]
    assert any("32 batches per step" in caption for caption in captions), captions
    app.selectbox(key="train_preset_tutorial").set_value("Exact tutorial settings").run()
    captions = [caption.value for caption in app.caption]
    assert any(caption.endswith("1 batch per step.") for caption in captions), captions
    assert not any("(es)" in caption for caption in captions)


def test_renaming_to_the_same_name_says_so(use_small_data, store_with_model):
    app = open_page("pages/models.py", {"saved": "small-tutorial"})
    app.button[[button.label for button in app.button].index("Rename")].click().run()
    assert not app.exception
    assert [message.value for message in app.success] == ["small-tutorial already has that name."]


def test_mistake_caption_puts_the_right_article(use_small_data, store_with_model):
    app = open_page("pages/predictions.py")
    captions = [caption.value for caption in app.caption if caption.value.startswith("Test image #")]
    assert len(captions) == 1
    match = re.match(r"Test image #\d+: (an?) (.+) the model took for (an?) (.+)\.$", captions[0])
    assert match, captions[0]
    true_article, true_name, predicted_article, predicted_name = match.groups()
    assert f"{true_article} {true_name}" == descriptions.with_article(true_name)
    assert f"{predicted_article} {predicted_name}" == descriptions.with_article(predicted_name)
    assert true_name in CLASS_NAMES and predicted_name in CLASS_NAMES


def test_try_page_says_which_image_why_and_the_prediction_are_for(use_small_data, store_with_model):
    app = open_page("pages/try_image.py")
    app.button(key="try_random").click().run()
    assert any("averages the input and its" in caption.value or "test-time variants" in caption.value
               for caption in app.caption)
    app.toggle(key="try_why").set_value(True).run()
    assert not app.exception and not app.error
    assert any(caption.value.startswith("Why? looks at the 28x28 input alone") for caption in app.caption)
    # Without test-time augmentation the prediction is of the input alone: nothing to explain
    app.toggle(key="try_step_tta").set_value(False).run()
    assert not any(caption.value.startswith("Why? looks at") for caption in app.caption)


def test_one_sample_follows_the_class_filter(use_small_data, models_dir, small_dataset):
    app = open_page()
    shown = app.number_input(key="explore_sample_index").value
    other_class = next(name for name in CLASS_NAMES if name != CLASS_NAMES[small_dataset.train_labels[shown]])
    app.multiselect(key="explore_class_filter").set_value([other_class]).run()
    followed = app.number_input(key="explore_sample_index").value
    assert CLASS_NAMES[small_dataset.train_labels[followed]] == other_class
    assert f"Showing 25 training images of {other_class}." in markdown_texts(app)
    # An image chosen by hand within the filter stays
    same_class = [
        index for index, label in enumerate(small_dataset.train_labels) if CLASS_NAMES[label] == other_class
    ]
    app.number_input(key="explore_sample_index").set_value(same_class[-1]).run()
    assert app.number_input(key="explore_sample_index").value == same_class[-1]


# Models carry their preset; the Try page's own model


def add_photo_model(store_directory, name: str = "photo-robust-small") -> None:
    """A copy of small-tutorial whose record says the Photo-robust preset trained it, older than the rest."""
    import json
    import shutil

    from fashion.store import model_store as store
    from fashion.training.models import PHOTO_ROBUST

    shutil.copytree(store_directory / "small-tutorial", store_directory / name)
    record_path = store_directory / name / store.RECORD_FILE
    record = json.loads(record_path.read_text())
    record.update(name=name, architecture="cnn", hyper_parameters=PHOTO_ROBUST.to_dict())
    record["created"] = "2000-01-01T00:00:00+00:00"
    record_path.write_text(json.dumps(record))


def test_try_page_without_a_photo_model_uses_the_newest_and_suggests_the_preset(
    use_small_data, store_with_model
):
    from fashion.training.models import PHOTO_PRESET

    app = open_page("pages/try_image.py")
    assert app.selectbox(key="try_model").value == "small-tutorial"
    assert any(
        caption.value.startswith("Answered by **small-tutorial**: the newest model: none is trained for")
        for caption in app.caption
    )
    assert any(PHOTO_PRESET in info.value for info in app.info)


def test_try_page_starts_on_the_photo_model_and_says_why(use_small_data, store_with_model):
    from fashion.training.models import PHOTO_PRESET

    add_photo_model(store_with_model)
    app = open_page("pages/try_image.py")
    picker = app.selectbox(key="try_model")
    assert picker.value == "photo-robust-small"  # older than small-tutorial, but trained for photos
    assert picker.options == ["small-tutorial · custom settings", f"photo-robust-small · {PHOTO_PRESET}"]
    assert app.query_params["model"] == "photo-robust-small"
    assert any(
        caption.value.startswith(
            "Answered by **photo-robust-small**: the newest model that learnt from real photos"
        )
        for caption in app.caption
    )
    assert not any(PHOTO_PRESET in info.value for info in app.info)  # no "train the preset" hint
    app.button(key="try_random").click().run()
    assert not app.exception and not app.error
    # Another model, picked here: kept in the URL, and the photo model is named as the better bet
    picker.set_value("small-tutorial").run()
    assert app.query_params["model"] == "small-tutorial"
    assert any(
        caption.value.startswith("Answered by **small-tutorial**: the model chosen above; **photo-robust")
        for caption in app.caption
    )


def test_try_page_opens_the_model_in_its_url(use_small_data, store_with_model):
    add_photo_model(store_with_model)
    linked = open_page("pages/try_image.py", {"model": "small-tutorial"})
    assert linked.selectbox(key="try_model").value == "small-tutorial"
    assert linked.query_params["model"] == "small-tutorial"


def test_lists_and_pickers_show_each_models_preset(use_small_data, store_with_model):
    from fashion.training.models import PHOTO_PRESET

    add_photo_model(store_with_model)
    saved = open_page("pages/models.py", {"saved": "photo-robust-small"})
    table = saved.dataframe[0].value
    assert table.loc["photo-robust-small", "preset"] == PHOTO_PRESET
    assert table.loc["photo-robust-small", "augmentation"] == "photo"
    assert table.loc["small-tutorial", "preset"] == "custom settings"
    assert any(
        caption.value.startswith("How photo-robust-small was trained: cnn, preset: Photo-robust CNN, "
                                 "augmentation: photo, data: ")
        for caption in saved.caption
    )
    for page, key in (("pages/predictions.py", "predictions_model"), ("pages/map.py", "map_model")):
        app = open_page(page)
        assert f"photo-robust-small · {PHOTO_PRESET}" in app.selectbox(key=key).options, page
    compare = open_page("pages/compare.py")
    assert f"photo-robust-small · {PHOTO_PRESET}" in compare.multiselect(key="compare_models").options


# A way in and a next step


def page_links(app) -> list[tuple[str, str]]:
    """(label, page) of every page link drawn."""
    return [(link.proto.label, link.proto.page) for link in app.get("page_link")]


def test_first_page_says_where_to_start_and_what_comes_next(use_small_data, models_dir):
    app = open_page()
    assert any(text.startswith("**Start here.** Fashion-MNIST Studio") for text in markdown_texts(app))
    labels = [label for label, _ in page_links(app)]
    assert labels[:3] == [
        "1. Look at the data (this page, below)",
        "2. Train a model (about 15 seconds)",
        "3. See what it gets right and wrong, and why",
    ]
    assert labels[-1] == "Next: train a model on these images"


def test_a_mistake_leads_to_why_and_why_to_the_map(use_small_data, store_with_model):
    app = open_page("pages/predictions.py")
    assert any(caption.value.startswith("Next: switch on **Why?**") for caption in app.caption)
    app.toggle(key="predictions_why").set_value(True).run()
    assert not app.exception
    links = [label for label, _ in page_links(app)]
    assert "Next: see where it lies among the test images on the Map" in links
    assert not any(caption.value.startswith("Next: switch on **Why?**") for caption in app.caption)


def test_after_a_prediction_the_try_page_offers_another_model(use_small_data, store_with_model):
    add_photo_model(store_with_model)
    app = open_page("pages/try_image.py")
    app.button(key="try_random").click().run()
    shown = [header.value for header in app.main.subheader if header.value.startswith("Test image #")]
    ask = app.button(key="try_another_model")
    assert ask.label == "Next: ask small-tutorial (custom settings) about this image"
    ask.click().run()
    assert not app.exception and not app.error
    assert app.selectbox(key="try_model").value == "small-tutorial"
    assert app.query_params["model"] == "small-tutorial"
    # The same image, now asked of the other model, which offers the photo model back
    assert [s.value for s in app.main.subheader if s.value.startswith("Test image #")] == shown
    offered = app.button(key="try_another_model").label
    assert offered.startswith("Next: ask photo-robust-small (Photo-robust CNN)")


def test_a_single_model_leads_the_try_page_to_training_another(use_small_data, store_with_model):
    app = open_page("pages/try_image.py")
    app.button(key="try_random").click().run()
    labels = [label for label, _ in page_links(app)]
    assert "Next: train a second model, then ask it about this image too" in labels
    assert app.get("button") and not any(button.key == "try_another_model" for button in app.button)


def test_a_finished_training_links_to_its_predictions_under_its_preset_name(use_small_data, models_dir):

    from fashion.jobs import default_jobs

    app = open_page("pages/train.py")
    app.selectbox(key="train_preset_tutorial").set_value("Exact tutorial settings").run()
    app.number_input(key="train_epochs_tutorial_exact_tutorial_settings").set_value(1)
    app.checkbox(key="train_use_subset").check().run()
    app.number_input(key="train_subset_size").set_value(200)
    app.button(key="train_start").click().run()
    assert not app.exception and not app.error
    job_id = app.query_params["job"]
    job_when(default_jobs(), job_id, lambda job: not job.active, "ended", seconds=240)
    snapshot = default_jobs().get(job_id)
    assert snapshot.state == "finished", snapshot.error
    assert re.fullmatch(r"exact-tutorial-\d{8}-\d{6}", snapshot.model_name)
    app.run()
    assert f"Saved as **{snapshot.model_name}**" in markdown_texts(app)
    links = [link.proto for link in app.get("page_link")]
    assert [(link.label, link.query_string) for link in links if link.label.startswith("Next:")] == [
        ("Next: see its predictions", f"model={snapshot.model_name}")
    ]


def test_the_doubt_warning_is_words_with_the_numbers_in_its_help(
    use_small_data, store_with_model, monkeypatch
):
    from fashion.photos import ood

    # A threshold below any entropy: every image is called "none of the ten"
    monkeypatch.setattr(ood, "cached_calibration", lambda *arguments: ood.OodCalibration(-1.0, 1))
    app = open_page("pages/try_image.py")
    app.button(key="try_random").click().run()
    assert not app.exception and not app.error
    warnings = [warning.value for warning in app.warning]
    assert any(warning.startswith("The model is unsure: its top answers are close") for warning in warnings)
    assert not any("threshold" in warning or "uncertainty" in warning for warning in warnings)
    details = [caption for caption in app.caption if caption.value == "How unsure, in numbers"]
    assert len(details) == 1
    numbers = r"Uncertainty \(the entropy of the class probabilities\) \d\.\d\d: above -1\.00"
    assert re.search(numbers, details[0].help), details[0].help
