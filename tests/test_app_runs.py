"""The pages of issue 15 with AppTest: compare, manage (rename, delete), continue, recipe links."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from app_pages import open_page
from waiting import job_when

from fashion.store import model_store as store


def test_a_model_deleted_elsewhere_disappears_gracefully(use_small_data, store_with_model):
    shutil.copytree(store_with_model / "small-tutorial", store_with_model / "other")
    app = open_page("pages/predictions.py")
    app.selectbox(key="predictions_model").set_value("other").run()
    store.delete_model("other")
    app.run()
    assert not app.exception and not app.error
    assert any("**other** is no longer in the store" in info.value for info in app.info)
    assert app.selectbox(key="predictions_model").value == "small-tutorial"


def two_models(store_directory: Path) -> None:
    """A second model beside small-tutorial: the same one renamed, with another seed in its record."""
    import json

    shutil.copytree(store_directory / "small-tutorial", store_directory / "other")
    record_path = store_directory / "other" / store.RECORD_FILE
    record = json.loads(record_path.read_text())
    record["name"] = "other"
    record["hyper_parameters"]["seed"] = 99
    record_path.write_text(json.dumps(record))


def test_compare_shows_only_differing_settings_and_keeps_models_in_the_url(use_small_data, store_with_model):
    two_models(store_with_model)
    app = open_page("pages/compare.py", {"models": "small-tutorial,other"})
    assert app.multiselect(key="compare_models").value == ["small-tutorial", "other"]
    assert app.query_params["models"] == "small-tutorial,other"
    settings = app.dataframe[0].value
    assert list(settings.index) == ["seed"]
    assert settings.loc["seed"].tolist() == ["7", "99"]
    # Identical predictions: nothing to disagree on
    assert any("**0 test images**" in text.value for text in app.markdown)


def copy_model(store_directory: Path, name: str) -> None:
    """Another model beside small-tutorial: the same one under another name."""
    import json

    shutil.copytree(store_directory / "small-tutorial", store_directory / name)
    record_path = store_directory / name / store.RECORD_FILE
    record_path.write_text(json.dumps({**json.loads(record_path.read_text()), "name": name}))


def gone_notices(app) -> list[str]:
    """The page's notices that a model is no longer in the store."""
    return [info.value for info in app.info if "No longer in the store" in info.value]


def test_compare_says_a_chosen_model_is_gone_on_a_later_run(use_small_data, store_with_model):
    two_models(store_with_model)
    copy_model(store_with_model, "third")
    app = open_page("pages/compare.py", {"models": "small-tutorial,other,third"})
    assert not gone_notices(app)
    app.selectbox(key="compare_first").set_value("third").run()
    store.delete_model("third")
    app.run()
    assert not app.exception and not app.error
    assert len(gone_notices(app)) == 1 and "**third**" in gone_notices(app)[0]
    # The rest of the comparison is still shown, for the models still saved
    assert app.multiselect(key="compare_models").value == ["small-tutorial", "other"]
    assert app.query_params["models"] == "small-tutorial,other"
    assert list(app.dataframe[0].value.index) == ["seed"]
    assert {app.selectbox(key="compare_first").value, app.selectbox(key="compare_second").value} == {
        "small-tutorial",
        "other",
    }
    assert any("**0 test images**" in text.value for text in app.markdown)


def test_compare_replaces_a_gone_model_when_one_would_be_left(use_small_data, store_with_model):
    two_models(store_with_model)
    copy_model(store_with_model, "third")
    app = open_page("pages/compare.py", {"models": "small-tutorial,other"})
    store.delete_model("other")
    app.run()
    assert not app.exception and not app.error
    assert app.multiselect(key="compare_models").value == ["small-tutorial", "third"]
    assert "**other**" in gone_notices(app)[0] and "comparing **third** instead" in gone_notices(app)[0]
    assert any("**0 test images**" in text.value for text in app.markdown)


@pytest.fixture(scope="module")
def disagreeing_store(tmp_path_factory, trained_store, small_dataset) -> Path:
    """small-tutorial beside one-epoch (the tutorial model, one epoch, another seed): they disagree."""
    from quick_training import ONE_EPOCH_OTHER_SEED, train_into_store

    directory = tmp_path_factory.mktemp("disagreeing") / "models"
    shutil.copytree(trained_store, directory)
    train_into_store(directory, ONE_EPOCH_OTHER_SEED, small_dataset, "one-epoch")
    return directory


def test_compare_class_filter_narrows_the_disagreements(
    use_small_data, disagreeing_store, small_dataset, monkeypatch
):
    import numpy as np

    from fashion.data.fashion_mnist import CLASS_NAMES
    from fashion.training.inference import predict_probabilities

    monkeypatch.setenv("FASHION_MODELS_DIR", str(disagreeing_store))
    labels = small_dataset.test_labels
    right = {
        name: predict_probabilities(store.load_model(name), small_dataset.test_images).argmax(axis=1)
        == labels
        for name in ("small-tutorial", "one-epoch")
    }
    # Test images small-tutorial gets right and one-epoch wrong, and the reverse, counted here from the models
    expected = {
        0: np.flatnonzero(right["small-tutorial"] & ~right["one-epoch"]),
        1: np.flatnonzero(right["one-epoch"] & ~right["small-tutorial"]),
    }
    per_class = np.bincount(labels[expected[0]], minlength=len(CLASS_NAMES))
    true_class = int(per_class.argmax())
    assert 0 < per_class[true_class] < len(expected[0]), "the two models should disagree on several classes"

    app = open_page("pages/compare.py", {"models": "small-tutorial,one-epoch"})
    assert app.selectbox(key="compare_first").value == "small-tutorial"
    assert any(f"**{len(expected[0]):,} test images**" in text.value for text in app.markdown)

    app.selectbox(key="compare_class").set_value(CLASS_NAMES[true_class]).run()
    assert not app.exception and not app.error
    for direction in (0, 1):
        app.radio(key="compare_direction").set_value(direction).run()
        wanted = [int(index) for index in expected[direction] if labels[index] == true_class]
        assert any(f"**{len(wanted):,} test images**" in text.value for text in app.markdown)
        shown = [caption.value for caption in app.caption if caption.value.startswith("Test image #")]
        assert shown == [f"Test image #{index} ({CLASS_NAMES[true_class]})" for index in wanted[:8]]


def test_compare_asks_for_two_models(use_small_data, store_with_model):
    two_models(store_with_model)
    app = open_page("pages/compare.py")
    app.multiselect(key="compare_models").set_value(["other"]).run()
    assert "choose 2 to 4 models" in app.warning[0].value


def test_models_page_renames_and_deletes_with_confirmation(use_small_data, store_with_model):
    two_models(store_with_model)
    app = open_page("pages/models.py", {"saved": "other"})
    assert app.selectbox(key="models_selected").value == "other"
    app.text_input(key="models_new_name_other").set_value("renamed run")
    app.button[[b.label for b in app.button].index("Rename")].click().run()
    assert not app.exception
    assert sorted(model.name for model in store.list_models()) == ["renamed-run", "small-tutorial"]
    assert app.selectbox(key="models_selected").value == "renamed-run"
    app.button(key="models_delete").click().run()
    assert "cannot be undone" in app.warning[0].value
    assert len(store.list_models()) == 2
    app.button(key="models_delete_confirm").click().run()
    assert [model.name for model in store.list_models()] == ["small-tutorial"]
    assert any("Deleted renamed-run" in message.value for message in app.success)
    # Deleted here: said once, as done, not as a model gone elsewhere
    assert not gone_notices(app)


def test_models_page_says_a_model_deleted_elsewhere(use_small_data, store_with_model):
    two_models(store_with_model)
    app = open_page("pages/models.py", {"saved": "other"})
    assert app.selectbox(key="models_selected").value == "other"
    store.delete_model("other")
    app.run()
    assert not app.exception and not app.error
    assert app.selectbox(key="models_selected").value == "small-tutorial"
    assert "**other**" in gone_notices(app)[0] and "showing **small-tutorial**" in gone_notices(app)[0]


def test_models_page_export_of_a_model_deleted_meanwhile_says_so(
    use_small_data, store_with_model, monkeypatch
):
    two_models(store_with_model)
    app = open_page("pages/models.py", {"saved": "other"})
    # The store is listed just before another session deletes the model, so the page still offers it
    listed = store.list_entries()
    store.delete_model("other")
    monkeypatch.setattr(store, "list_entries", lambda directory=None: listed)
    app.run()
    assert not app.exception and not app.error
    assert app.selectbox(key="models_selected").value == "other"
    assert "**other**" in gone_notices(app)[0] and "choose another model" in gone_notices(app)[0]
    assert not [button for button in app.get("download_button")]


def test_train_page_continues_a_saved_model(use_small_data, store_with_model):

    from fashion.jobs import default_jobs

    app = open_page("pages/train.py", {"from": "small-tutorial"})
    assert app.selectbox(key="train_continue_model").value == "small-tutorial"
    app.number_input(key="train_continue_epochs").set_value(1)
    app.button(key="train_continue_start").click().run()
    assert not app.exception and not app.error
    job_id = app.query_params["job"]
    # The live chart starts with the parent's three epochs
    snapshot = default_jobs().get(job_id)
    assert [row["epoch"] for row in snapshot.history][:3] == [1, 2, 3] and snapshot.parent_epochs == 3
    job_when(default_jobs(), job_id, lambda job: not (job.active or job.queued), "ended", seconds=240)
    assert default_jobs().get(job_id).state == "finished", default_jobs().get(job_id).error
    app.run()
    assert "Saved as **small-tutorial-more**" in [element.value for element in app.markdown]
    assert any("Continues **small-tutorial**: epochs 1-3" in caption.value for caption in app.caption)
    assert list(app.dataframe[-1].value.index) == [1, 2, 3, 4]
    record = store.get_entry("small-tutorial-more").record
    assert record["parent"] == "small-tutorial" and record["epochs_run"] == 4


def test_a_recipe_link_fills_in_the_train_page(use_small_data, store_with_model):
    query = {"arch": "cnn", "epochs": "4", "batch_size": "100", "learning_rate": "0.002", "seed": "5"}
    app = open_page("pages/train.py", {**query, "train_limit": "600", "deterministic": "1"})
    assert not app.error
    assert app.selectbox(key="train_architecture").value == "cnn"
    assert app.selectbox(key="train_preset_cnn").value == "From the shared link"
    suffix = "cnn_from_the_shared_link"
    assert app.number_input(key=f"train_epochs_{suffix}").value == 4
    assert app.number_input(key=f"train_batch_size_{suffix}").value == 100
    assert app.number_input(key=f"train_learning_rate_{suffix}").value == pytest.approx(0.002)
    assert app.number_input(key=f"train_seed_{suffix}").value == 5
    assert (
        app.checkbox(key="train_use_subset").value and app.number_input(key="train_subset_size").value == 600
    )
    assert app.checkbox(key="train_deterministic").value
    shared = app.code[0].value
    assert "/train?arch=cnn&epochs=4&batch_size=100&learning_rate=0.002&seed=5" in shared
    assert "train_limit=600" in shared and "deterministic=1" in shared


def test_a_bad_recipe_link_says_why(use_small_data, store_with_model):
    app = open_page("pages/train.py", {"arch": "tutorial", "epochs": "many"})
    assert "epochs 'many' is not a valid value" in app.error[0].value
    assert app.selectbox(key="train_preset_tutorial").value != "From the shared link"


def test_models_page_says_what_each_model_was_trained_on(use_small_data, store_with_model):
    import json

    record_path = store.get_entry("small-tutorial").path / store.RECORD_FILE
    record = json.loads(record_path.read_text())
    record["trained_on"] = {"fashion_mnist": 900, "real_photos": 3359}
    record_path.write_text(json.dumps(record))
    app = open_page("pages/models.py", {"saved": "small-tutorial"})
    sentence = "small-tutorial was trained on Fashion-MNIST (900 images) and 3,359 real photos."
    assert sentence in [caption.value for caption in app.caption]
    table = app.dataframe[0].value
    assert table.loc["small-tutorial", "trained on"] == "Fashion-MNIST (900 images) and 3,359 real photos"
