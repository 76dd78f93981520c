"""The model store: save, list, load, delete, names, and unreadable entries."""

from __future__ import annotations

import json
import os
import shutil
import time

import numpy as np
import pytest

from fashion.errors import ModelNotFoundError, ModelStoreError
from fashion.store import model_store as store
from fashion.training.inference import predict_probabilities


def test_saved_model_lists_and_loads_with_its_record(store_with_model, small_dataset):
    entries = store.list_models()
    assert [entry.name for entry in entries] == ["small-tutorial"]
    record = entries[0].record
    for key in (
        "name", "architecture", "hyper_parameters", "history", "test_loss", "test_accuracy",
        "per_class_accuracy", "confusion_matrix", "train_seconds", "created",
        "tensorflow_version", "keras_version",
    ):
        assert key in record, key
    assert len(record["history"]) == record["epochs_run"] == 3
    assert np.array(record["confusion_matrix"]).sum() == len(small_dataset.test_labels)
    model = store.load_model("small-tutorial")
    probabilities = predict_probabilities(model, small_dataset.test_images)
    accuracy = float(np.mean(probabilities.argmax(1) == small_dataset.test_labels))
    assert accuracy == pytest.approx(record["test_accuracy"], abs=1e-6)


def test_names_are_unique_and_sanitised(store_with_model, loaded_model):
    first = store.save_model(loaded_model, {"architecture": "tutorial"}, name="small-tutorial")
    assert first.name == "small-tutorial-2"
    weird = store.save_model(loaded_model, {"architecture": "tutorial"}, name="../../etc/my model!")
    assert weird.path.parent == store_with_model
    assert weird.name == "etc-my-model"


@pytest.mark.parametrize("name", ["", "..", "../", "///", "...."])
def test_unusable_names_are_refused(name):
    with pytest.raises(ModelStoreError):
        store.sanitize_name(name)


def test_newest_first_and_default_is_newest(store_with_model, loaded_model):
    store.save_model(
        loaded_model, {"architecture": "tutorial", "created": "2999-01-01T00:00:00+00:00"}, name="later"
    )
    assert store.newest_model_name() == "later"
    assert [entry.name for entry in store.list_models()] == ["later", "small-tutorial"]


def test_empty_store_says_how_to_train(models_dir):
    assert store.list_entries() == []
    with pytest.raises(ModelNotFoundError, match="python -m fashion train"):
        store.newest_model_name()


def test_unknown_model_is_a_clear_error(store_with_model):
    with pytest.raises(ModelNotFoundError, match="no saved model is called 'missing'"):
        store.load_model("missing")


def test_corrupt_entries_are_reported_and_do_not_hide_the_others(store_with_model, loaded_model):
    store.save_model(loaded_model, {"architecture": "tutorial"}, name="broken-json")
    store.save_model(loaded_model, {"architecture": "tutorial"}, name="broken-keras")
    (store_with_model / "broken-json" / "record.json").write_text("{not json")
    (store_with_model / "broken-keras" / "model.keras").write_bytes(b"garbage")
    entries = {entry.name: entry for entry in store.list_entries()}
    assert not entries["broken-json"].readable and "unreadable" in entries["broken-json"].error
    assert (
        not entries["broken-keras"].readable
        and "model.keras file is corrupt" in entries["broken-keras"].error
    )
    with pytest.raises(ModelStoreError, match="unreadable"):
        store.load_model("broken-keras")
    with pytest.raises(ModelStoreError, match="unreadable"):
        store.load_model("broken-json")
    assert store.load_model("small-tutorial") is not None
    assert "broken-json" not in [entry.name for entry in store.list_models()]


def test_incomplete_saves_are_invisible_and_cleaned(store_with_model):
    leftover = store_with_model / ".incomplete-abc"
    leftover.mkdir()
    (leftover / "model.keras").write_bytes(b"half")
    assert [entry.name for entry in store.list_entries()] == ["small-tutorial"]
    assert store.clean_incomplete(older_than_seconds=0) == 1
    assert not leftover.exists()


def test_opening_the_store_removes_stale_leftovers_only(trained_store, tmp_path):
    directory = tmp_path / "models"
    shutil.copytree(trained_store, directory)
    stale, fresh = directory / ".incomplete-crashed", directory / ".incomplete-saving"
    for leftover in (stale, fresh):
        leftover.mkdir()
        (leftover / "model.keras").write_bytes(b"half")
    an_hour_ago = time.time() - store.STALE_SECONDS - 60
    os.utime(stale, (an_hour_ago, an_hour_ago))
    # The first listing in this process opens the store: a crash's leftover goes, a running save's stays.
    assert [entry.name for entry in store.list_entries(directory)] == ["small-tutorial"]
    assert not stale.exists() and fresh.is_dir()


def test_failed_save_leaves_nothing_behind(store_with_model, loaded_model):
    with pytest.raises(TypeError):
        store.save_model(loaded_model, {"architecture": "tutorial", "bad": object()}, name="fails")
    assert sorted(path.name for path in store_with_model.iterdir()) == ["small-tutorial"]


def test_delete(store_with_model):
    store.delete_model("small-tutorial")
    assert store.list_entries() == []
    with pytest.raises(ModelNotFoundError):
        store.delete_model("small-tutorial")


def test_record_is_plain_json(store_with_model):
    record = json.loads((store_with_model / "small-tutorial" / "record.json").read_text())
    assert record["name"] == "small-tutorial" and record["architecture"] == "tutorial"


def test_rename_moves_the_model_and_its_record_name(store_with_model):
    entry = store.rename_model("small-tutorial", "my best run")
    assert entry.name == "my-best-run" and entry.readable and entry.record["name"] == "my-best-run"
    assert [model.name for model in store.list_models()] == ["my-best-run"]
    assert store.load_model("my-best-run") is not None
    with pytest.raises(ModelNotFoundError):
        store.get_entry("small-tutorial")


def test_rename_refuses_a_taken_name_and_keeps_both(store_with_model):
    shutil.copytree(store_with_model / "small-tutorial", store_with_model / "other")
    with pytest.raises(ModelStoreError, match="already called 'other'"):
        store.rename_model("small-tutorial", "other")
    assert sorted(model.name for model in store.list_models()) == ["other", "small-tutorial"]
    with pytest.raises(ModelNotFoundError):
        store.rename_model("nobody", "x")


def test_rename_updates_the_parent_named_by_children(store_with_model):
    child = store_with_model / "child"
    shutil.copytree(store_with_model / "small-tutorial", child)
    record = json.loads((child / store.RECORD_FILE).read_text())
    record.update(name="child", parent="small-tutorial")
    (child / store.RECORD_FILE).write_text(json.dumps(record))
    store.rename_model("small-tutorial", "parent")
    assert store.get_entry("child").record["parent"] == "parent"


def test_delete_leaves_no_visible_or_hidden_trace(store_with_model):
    store.delete_model("small-tutorial")
    assert store.list_entries() == []
    assert list(store_with_model.iterdir()) == []
