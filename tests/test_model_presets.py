"""Which preset a saved model was trained with, read from its record, and the model the Try page starts on."""

from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace

from fashion.store import model_store as store
from fashion.training.models import (
    ARCHITECTURES,
    CUSTOM_SETTINGS,
    EXACT_TUTORIAL_PRESET,
    PHOTO_PRESET,
    PHOTO_ROBUST,
    RECOMMENDED_PRESET,
    TUTORIAL_EXACT,
    best_model_for_photos,
    is_photo_model,
    preset_label,
    preset_of_record,
    training_summary,
)


def record(architecture: str, hyper_parameters) -> dict:
    return {"architecture": architecture, "hyper_parameters": hyper_parameters.to_dict()}


def test_each_preset_is_read_back_from_a_record():
    assert preset_of_record(record("cnn", PHOTO_ROBUST)) == PHOTO_PRESET
    assert preset_of_record(record("cnn", ARCHITECTURES["cnn"].defaults)) == RECOMMENDED_PRESET
    assert preset_of_record(record("tutorial", ARCHITECTURES["tutorial"].defaults)) == RECOMMENDED_PRESET
    assert preset_of_record(record("tutorial", TUTORIAL_EXACT)) == EXACT_TUTORIAL_PRESET


def test_more_epochs_a_subset_or_a_seed_keep_the_preset_other_settings_do_not():
    longer = replace(PHOTO_ROBUST, epochs=20, seed=3, train_limit=5000, deterministic=True)
    assert preset_of_record(record("cnn", longer)) == PHOTO_PRESET
    other_rate = replace(PHOTO_ROBUST, learning_rate=0.01)
    assert preset_of_record(record("cnn", other_rate)) is None
    assert preset_label(record("cnn", other_rate)) == CUSTOM_SETTINGS
    # The photo preset is the CNN's: the same settings on the tutorial network are custom ones
    assert preset_of_record(record("tutorial", PHOTO_ROBUST)) is None
    assert preset_of_record({"architecture": "unknown", "hyper_parameters": {}}) is None
    assert preset_of_record(None) is None


def test_a_photo_model_is_known_by_its_augmentation():
    assert is_photo_model(record("cnn", PHOTO_ROBUST))
    assert is_photo_model(record("tutorial", replace(TUTORIAL_EXACT, augmentation="photo")))
    assert not is_photo_model(record("cnn", ARCHITECTURES["cnn"].defaults))
    assert not is_photo_model({"architecture": "cnn"})  # an old record without augmentation


def test_try_page_starts_on_the_newest_photo_model_else_the_newest():
    plain_new = SimpleNamespace(name="cnn-new", record=record("cnn", ARCHITECTURES["cnn"].defaults))
    photo_old = SimpleNamespace(name="photo-old", record=record("cnn", PHOTO_ROBUST))
    chosen, why = best_model_for_photos([plain_new, photo_old])
    assert chosen is photo_old and "learnt from real photos" in why
    # A model that learnt from real photos goes before a newer one with photo-like variants only
    variants_only = replace(PHOTO_ROBUST, real_photos=False)
    variants_new = SimpleNamespace(name="variants-new", record=record("cnn", variants_only))
    chosen, why = best_model_for_photos([variants_new, photo_old])
    assert chosen is photo_old
    chosen, why = best_model_for_photos([plain_new, variants_new])
    assert chosen is variants_new and "trained for photos" in why
    chosen, why = best_model_for_photos([plain_new])
    assert chosen is plain_new and "none is trained for photos" in why
    assert best_model_for_photos([]) == (None, "")


def test_default_name_carries_the_preset():
    assert re.fullmatch(r"photo-robust-cnn-\d{8}-\d{6}", store.default_name("cnn", PHOTO_PRESET))
    assert re.fullmatch(r"exact-tutorial-\d{8}-\d{6}", store.default_name("tutorial", EXACT_TUTORIAL_PRESET))
    assert re.fullmatch(r"cnn-\d{8}-\d{6}", store.default_name("cnn"))
    assert re.fullmatch(r"cnn-\d{8}-\d{6}", store.default_name("cnn", "Recipe from a link"))


def test_training_summary_names_preset_augmentation_and_data():
    summary = training_summary(
        {**record("cnn", PHOTO_ROBUST), "train_count": 54000, "validation_count": 6000, "epochs_run": 12}
    )
    assert summary == (
        "cnn, preset: Photo-robust CNN, augmentation: photo, data: 54,000 training images "
        "(6,000 more held out for validation), 12 epochs"
    )


def test_compare_lists_preset_and_augmentation_when_they_differ():
    from fashion.store.comparison import differing_settings

    photo = record("cnn", PHOTO_ROBUST)
    plain = record("cnn", ARCHITECTURES["cnn"].defaults)
    differing = differing_settings({"photo": photo, "plain": plain})
    assert differing["preset"] == {"photo": PHOTO_PRESET, "plain": RECOMMENDED_PRESET}
    assert differing["augmentation"] == {"photo": "photo", "plain": "none"}
    old_record = {"architecture": "cnn", "hyper_parameters": {"seed": 1}}
    assert "augmentation" not in differing_settings({"old": old_record, "plain": plain})


def test_training_summary_of_one_epoch_says_epoch():
    assert training_summary({**record("tutorial", TUTORIAL_EXACT), "epochs_run": 1}).endswith(", 1 epoch")
