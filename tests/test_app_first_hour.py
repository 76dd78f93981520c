"""A learner's first hour with AppTest on the small data: plain words, the Try page's model, next steps."""

from __future__ import annotations

import re

from app_pages import markdown_texts, open_page

from fashion import descriptions
from fashion.data import CLASS_NAMES


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
    words, numbers = descriptions.photo_doubt_message(1.31, 0.95, 0.95)
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
