"""The Streamlit app, page by page, with AppTest on the small data set."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from app_pages import APP_FILE, TIMEOUT, markdown_texts, open_page
from PIL import Image
from streamlit.testing.v1 import AppTest
from waiting import job_when

from fashion.data.fashion_mnist import dataset_summary, sample_indices
from fashion.training.models import PHOTO_PRESET, PHOTO_ROBUST, RECOMMENDED_PRESET

RECOMMENDED_TUTORIAL = "tutorial_recommended_fast"  # the Train page's key suffix of the first preset


def png_bytes(size=(60, 80)) -> bytes:
    """A PNG of a light shirt-like blob on a white background."""
    image = Image.new("L", size, 255)
    image.paste(60, (15, 10, size[0] - 15, size[1] - 10))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# Explore


def test_explore_shows_shapes_samples_and_filters_by_class(use_small_data, models_dir):
    app = open_page()
    shapes_table = next(text for text in markdown_texts(app) if "| array |" in text)
    for shape in ("(1000, 28, 28)", "(1000,)", "(300, 28, 28)", "(300,)"):
        assert f"| {shape} |" in shapes_table
    assert "Showing 25 training images of all classes." in markdown_texts(app)
    app.multiselect(key="explore_class_filter").set_value(["Trouser", "Bag"]).run()
    assert not app.exception
    assert "Showing 25 training images of Trouser, Bag." in markdown_texts(app)
    app.button(key="explore_new_samples").click().run()
    assert not app.exception and app.session_state["explore_seed"] != 0


def app_in_fresh_process(pages: list[str], report: str, data_dir: Path, models_dir: Path) -> list[str]:
    """Run the app's landing page and then each page in a new Python process; the words it prints after."""
    script = "\n".join(
        [
            "import gc, sys",
            "from streamlit.testing.v1 import AppTest",
            f"app = AppTest.from_file({APP_FILE!r}, default_timeout=120).run()",
            *(f"app.switch_page({page!r}).run()" for page in pages),
            "assert not app.exception, app.exception",
            f"print({report})",
        ]
    )
    environment = {**os.environ, "FASHION_MNIST_DIR": str(data_dir), "FASHION_MODELS_DIR": str(models_dir)}
    completed = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env=environment,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout.strip().splitlines()[-1].split()


def test_explore_does_not_import_tensorflow(small_data_dir, tmp_path):
    report = app_in_fresh_process(
        [], "'tensorflow' in sys.modules, 'keras' in sys.modules", small_data_dir, tmp_path
    )
    assert report == ["False", "False"]


def test_tensorflow_objects_are_not_rescanned_after_every_run(small_data_dir, store_with_model):
    # Streamlit collects garbage after every script and fragment run (twice once Keras is loaded);
    # with TensorFlow's objects in reach that held the GIL long enough to starve other sessions.
    report = app_in_fresh_process(
        ["pages/predictions.py", "pages/try_image.py"],
        "'keras' in sys.modules, gc.get_freeze_count(), len(gc.get_objects())",
        small_data_dir,
        store_with_model,
    )
    keras_loaded, frozen, scanned = report
    assert keras_loaded == "True"
    assert int(frozen) > 4 * int(scanned), (frozen, scanned)


def test_a_data_error_is_shown_as_a_message(monkeypatch, tmp_path, models_dir):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    app = open_page()
    assert app.error and "could not be loaded" in app.error[0].value


# Predictions


def test_predictions_filters_change_the_gallery(use_small_data, store_with_model):
    app = open_page("pages/predictions.py")
    assert app.selectbox(key="predictions_model").value == "small-tutorial"
    assert app.query_params["model"] == "small-tutorial"
    assert any("**300 test images** match" in text for text in markdown_texts(app))
    app.radio(key="predictions_filter").set_value("Only wrong").run()
    wrong_count = int(app.main.metric[2].value.replace(",", ""))
    assert any(f"**{wrong_count:,} test images** match" in text for text in markdown_texts(app))
    app.radio(key="predictions_filter").set_value("By true class").run()
    app.selectbox(key="predictions_true_class").set_value("Trouser").run()
    assert any("**30 test images** match" in text for text in markdown_texts(app))
    app.radio(key="predictions_filter").set_value("One confusion cell").run()
    app.selectbox(key="predictions_cell_true").set_value("Shirt").run()
    app.selectbox(key="predictions_cell_predicted").set_value("T-shirt/top").run()
    assert not app.exception
    from fashion.data.fashion_mnist import CLASS_NAMES
    from fashion.store import model_store as store

    matrix = store.get_entry("small-tutorial").record["confusion_matrix"]
    shirts_as_tops = matrix[CLASS_NAMES.index("Shirt")][CLASS_NAMES.index("T-shirt/top")]
    assert any(f"**{shirts_as_tops:,} test images** match" in text for text in markdown_texts(app))


def test_predictions_browser_moves_and_keeps_its_place_in_the_url(use_small_data, store_with_model):
    app = open_page("pages/predictions.py")
    wrong_count = int(app.main.metric[2].value.replace(",", ""))
    assert wrong_count > 2
    assert f"1 of {wrong_count:,}" in markdown_texts(app)
    app.button(key="predictions_next").click().run()
    app.button(key="predictions_next").click().run()
    assert f"3 of {wrong_count:,}" in markdown_texts(app)
    assert app.query_params["wrong"] == "3"
    app.button(key="predictions_previous").click().run()
    assert f"2 of {wrong_count:,}" in markdown_texts(app)
    app.radio(key="predictions_order").set_value("confidence").run()
    assert f"1 of {wrong_count:,}" in markdown_texts(app)
    assert app.query_params["order"] == "confidence"


def test_predictions_link_reopens_the_same_mistake(use_small_data, store_with_model):
    app = AppTest.from_file(APP_FILE, default_timeout=TIMEOUT)
    app.query_params.update({"model": "small-tutorial", "wrong": "4", "order": "confidence"})
    app.switch_page("pages/predictions.py").run()
    assert not app.exception
    wrong_count = int(app.main.metric[2].value.replace(",", ""))
    assert f"4 of {wrong_count:,}" in markdown_texts(app)
    assert app.radio(key="predictions_order").value == "confidence"


def test_pages_without_a_model_offer_to_train_one(use_small_data, models_dir):
    for page, key in (("pages/predictions.py", "predictions"), ("pages/try_image.py", "try")):
        app = open_page(page)
        assert "No model has been trained yet" in app.info[0].value
        assert app.button(key=f"{key}_train_tutorial").label == "Train the tutorial model"


# Try your own image


def test_try_image_predicts_an_uploaded_png_and_rejects_a_non_image(use_small_data, store_with_model):
    app = open_page("pages/try_image.py")
    app.file_uploader(key="try_upload").set_value(("shirt.png", png_bytes(), "image/png")).run()
    assert not app.exception and not app.error
    subheaders = [element.value for element in app.subheader][:2]
    assert subheaders == ["From the photo to the model's input", "Prediction"]
    assert len(app.get("progress")) == 3
    app.file_uploader(key="try_upload").set_value(("notes.png", b"not an image at all", "image/png")).run()
    assert not app.exception
    assert "notes.png cannot be used" in app.error[0].value
    app.button(key="try_random").click().run()
    assert not app.exception and not app.error
    assert app.subheader[0].value.startswith("Test image #")


def image_captions(app: AppTest) -> list[str]:
    """The captions of the page's images."""
    return [image.proto.imgs[0].caption for image in app.get("image")]


def test_try_image_shows_the_mask_step_and_each_switch_reruns_the_prediction(
    use_small_data, store_with_model, small_dataset
):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from photo_scenes import scene

    app = open_page("pages/try_image.py")
    data, _ = scene(small_dataset.test_images[0], "carpet")
    app.file_uploader(key="try_upload").set_value(("boot-on-carpet.png", data, "image/png")).run()
    assert not app.exception and not app.error
    captions = image_captions(app)
    assert {"Item outlined", "Item alone", "28x28, what the model sees"} <= set(captions), captions
    first = [bar.value for bar in app.get("progress")]
    # The model of the fixtures was trained without augmentation: the page recommends the preset
    assert any(PHOTO_PRESET in info.value for info in app.info)
    app.toggle(key="try_step_segment").set_value(False).run()
    assert not app.exception and not app.error
    captions = image_captions(app)
    assert "Item outlined" not in captions and "28x28, what the model sees" in captions
    assert any("segment" in toggle.key for toggle in app.toggle if not toggle.value)
    app.toggle(key="try_step_segment").set_value(True).run()
    app.toggle(key="try_step_tta").set_value(False).run()
    assert not app.exception and [bar.value for bar in app.get("progress")] != first


# Train


def training_settings(app: AppTest) -> dict[str, float]:
    """The Train page's number inputs by label."""
    return {number.label: number.value for number in app.number_input}


def test_train_page_starts_at_each_presets_values(use_small_data, models_dir):
    """A fresh Train page, another preset and another architecture each show their preset's values."""
    from fashion.training.models import EXACT_TUTORIAL_PRESET, RECOMMENDED_PRESET, presets

    app = open_page("pages/train.py")
    for architecture, preset_name in (
        ("tutorial", RECOMMENDED_PRESET),
        ("tutorial", EXACT_TUTORIAL_PRESET),
        ("cnn", RECOMMENDED_PRESET),
        ("cnn", EXACT_TUTORIAL_PRESET),
    ):
        if app.selectbox(key="train_architecture").value != architecture:
            app.selectbox(key="train_architecture").set_value(architecture).run()
        app.selectbox(key=f"train_preset_{architecture}").set_value(preset_name).run()
        assert not app.exception
        preset = presets(architecture)[preset_name]
        settings = training_settings(app)
        assert (settings["Epochs"], settings["Batch size"], settings["Seed"]) == (
            preset.epochs,
            preset.batch_size,
            preset.seed,
        ), (architecture, preset_name, settings)
        assert settings["Learning rate"] == pytest.approx(preset.learning_rate)
    # Back to the tutorial's first preset: its values again, not the CNN's
    app.selectbox(key="train_architecture").set_value("tutorial").run()
    app.selectbox(key="train_preset_tutorial").set_value(RECOMMENDED_PRESET).run()
    assert training_settings(app)["Epochs"] == presets("tutorial")[RECOMMENDED_PRESET].epochs


def test_photo_robust_preset_turns_augmentation_on_with_a_preview(use_small_data, models_dir):
    from ui.recipes import preset_key

    app = open_page("pages/train.py")
    app.selectbox(key="train_architecture").set_value("cnn").run()
    assert app.selectbox(key=f"train_augmentation_{preset_key('cnn', RECOMMENDED_PRESET)}").value == "none"
    assert "Preview of augmented samples" not in [expander.label for expander in app.expander]
    app.selectbox(key="train_preset_cnn").set_value(PHOTO_PRESET).run()
    assert not app.exception
    assert app.selectbox(key=f"train_augmentation_{preset_key('cnn', PHOTO_PRESET)}").value == "photo"
    assert training_settings(app)["Epochs"] == PHOTO_ROBUST.epochs
    assert "Preview of augmented samples" in [expander.label for expander in app.expander]
    assert "Top row: training images; below: augmented versions" in image_captions(app)
    # The preview speaks: its alt text names the top row's 8 images and the 3 augmented rows
    (preview,) = [
        image.proto.imgs[0] for image in app.get("image") if image.proto.imgs[0].caption.startswith("Top row")
    ]
    assert preview.alt.startswith("Preview of the photo augmentation: the top row holds 8 training images")
    assert preview.alt.count(", #") == 7 and preview.alt.endswith("3 augmented versions of it, one per row.")


def test_photo_preset_says_what_it_learns_from_or_how_to_get_the_photos(
    use_small_data, models_dir, monkeypatch, tmp_path
):
    from fashion.data.real_photos import HELD_OUT_ONE_IN, available_count

    app = open_page("pages/train.py")
    app.selectbox(key="train_architecture").set_value("cnn").run()
    app.selectbox(key="train_preset_cnn").set_value(PHOTO_PRESET).run()
    expected = f"Learns from Fashion-MNIST and {available_count():,} real labelled photos"
    assert any(caption.value.startswith(expected) for caption in app.caption)
    assert f"one in {HELD_OUT_ONE_IN} is held out" in " ".join(caption.value for caption in app.caption)
    # Without the photos: one line saying how to get them, and Start refuses with the same advice.
    monkeypatch.setenv("FASHION_PHOTOS_DIR", str(tmp_path))
    app.run()
    (warning,) = [warning.value for warning in app.warning if "real photos" in warning.value]
    assert "python -m fashion photos download" in warning and "\n" not in warning
    app.button(key="train_start").click().run()
    assert any("python -m fashion photos download" in error.value for error in app.error)


def test_train_page_runs_a_short_job_to_the_end(use_small_data, models_dir):
    from fashion.jobs import default_jobs

    app = open_page("pages/train.py")
    app.number_input(key=f"train_epochs_{RECOMMENDED_TUTORIAL}").set_value(2)
    app.checkbox(key="train_use_subset").check().run()
    app.number_input(key="train_subset_size").set_value(400)
    app.text_input(key="train_model_name").set_value("app test model")
    app.button(key="train_start").click().run()
    assert not app.exception and not app.error
    job_id = app.query_params["job"]
    job_when(default_jobs(), job_id, lambda job: not job.active, "ended", seconds=240)
    snapshot = default_jobs().get(job_id)
    assert snapshot.state == "finished", snapshot.error
    app.run()
    assert not app.exception
    assert "Saved as **app-test-model**" in markdown_texts(app)
    metrics = {metric.label: metric.value for metric in app.main.metric}
    assert metrics["Parameters"] == f"{snapshot.parameter_count:,}"
    assert metrics["Test accuracy"] == f"{snapshot.test_accuracy:.2%}"
    history = app.dataframe[-1].value
    assert list(history.index) == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.columns)
    assert [button.label for button in app.get("download_button")] == [
        "Download the history (CSV)",
        "Download the model (.keras)",
        "Download the script (.py)",
    ]


def test_stop_keeps_the_epochs_done_and_a_second_job_waits_in_line(use_small_data, models_dir):
    from fashion.jobs import default_jobs

    app = open_page("pages/train.py")
    app.number_input(key=f"train_epochs_{RECOMMENDED_TUTORIAL}").set_value(200)
    app.checkbox(key="train_use_subset").check().run()
    app.number_input(key="train_subset_size").set_value(400)
    app.button(key="train_start").click().run()
    job_id = app.query_params["job"]
    job_when(
        default_jobs(), job_id, lambda job: len(job.history) >= 1, "past its first epoch", seconds=180
    )
    # The same session may not start a second job
    app.button(key="train_start").click().run()
    assert "You already have a training job running" in app.error[0].value
    # Another session's job waits in line, says when it should start, and can be cancelled
    other = open_page("pages/train.py")
    other.checkbox(key="train_use_subset").check().run()
    other.number_input(key="train_subset_size").set_value(400)
    other.button(key="train_start").click().run()
    assert not other.exception and not other.error
    waiting_id = other.query_params["job"]
    assert waiting_id != job_id
    assert re.match(r"Your job is queued, 1st in line, starts in about \d+ (s|min)\.", other.info[0].value)
    assert any("queued, 1st in line" in caption.value for caption in other.sidebar.caption)
    other.button(key="training_cancel").click().run()
    assert default_jobs().get(waiting_id).state == "cancelled"
    assert "This job was cancelled before it started." in [info.value for info in other.info]
    app.button(key="training_stop").click().run()
    assert default_jobs().get(job_id).stop_requested
    job_when(default_jobs(), job_id, lambda job: not job.active, "ended", seconds=180)
    app.run()
    assert not app.exception
    assert app.info[0].value.startswith("Stopped early after")
    assert "the model trained so far was saved" in app.info[0].value
    assert any(text.startswith("Saved as **recommended-tutorial-") for text in markdown_texts(app))


def test_a_failed_job_offers_a_retry_with_the_same_settings(use_small_data, models_dir):
    from quick_training import QUICK_HYPER_PARAMETERS as QUICK

    from fashion.jobs import default_jobs

    jobs = default_jobs()
    # A job lost with its Ray node, as the Ray backend records it
    lost = {
        "job_id": "lostjob00001", "owner": "someone", "architecture": "tutorial",
        "hyper_parameters": QUICK.to_dict(), "requested_name": "lost-model", "train_images": 400,
        "store_directory": str(models_dir), "state": "failed", "queued_at": time.time(),
        "finished_at": time.time(),
        "error": "Training failed: the Ray node training it was lost; nothing was saved. "
        "Retry starts it again with the same settings.",
    }  # fmt: skip
    jobs.database.insert(lost)
    app = open_page("pages/train.py", {"job": "lostjob00001"})
    assert app.error[0].value.startswith("Training failed: the Ray node training it was lost")
    app.button(key="training_retry").click().run()
    assert not app.exception and not app.error
    retried = jobs.get(app.query_params["job"])
    assert retried.job_id != "lostjob00001" and retried.hyper_parameters == QUICK
    assert jobs.database.get(retried.job_id)["requested_name"] == "lost-model"
    assert jobs.get("lostjob00001").state == "failed"


def test_the_gpu_choice_shows_only_when_the_cluster_has_a_gpu(use_small_data, models_dir, monkeypatch):
    from fashion.jobs import default_jobs
    from fashion.jobs.local_backend import LocalJobs

    # Worker processes on this machine: no GPU choice
    app = open_page("pages/train.py")
    assert "train_use_gpu" not in [checkbox.key for checkbox in app.checkbox]
    # A backend whose cluster reports a GPU (the Ray backend counts ray.cluster_resources())
    monkeypatch.setattr(LocalJobs, "gpus_available", lambda self: 1)
    app.run()
    app.checkbox(key="train_use_gpu").check().run()
    app.checkbox(key="train_use_subset").check().run()
    app.number_input(key="train_subset_size").set_value(400)
    app.button(key="train_start").click().run()
    assert not app.exception and not app.error
    assert default_jobs().get(app.query_params["job"]).gpus == 1
    assert "This job asked for 1 GPU; Ray runs it on a node that has one." in [
        caption.value for caption in app.caption
    ]


def test_sidebar_shows_the_model_chosen_on_predictions(use_small_data, store_with_model):
    # A copy of the model, recorded as created later, is the newest one.
    newer = store_with_model / "newer-model"
    shutil.copytree(store_with_model / "small-tutorial", newer)
    record = json.loads((newer / "record.json").read_text())
    (newer / "record.json").write_text(
        json.dumps({**record, "name": "newer-model", "created": "2999-01-01T00:00:00+00:00"})
    )
    app = open_page("pages/predictions.py")
    assert "**newer-model**" in [element.value for element in app.sidebar.markdown]
    app.selectbox(key="predictions_model").set_value("small-tutorial").run()
    assert "**small-tutorial**" in [element.value for element in app.sidebar.markdown]
    assert app.query_params["model"] == "small-tutorial"
    app.switch_page("pages/explore.py").run()
    assert "**small-tutorial**" in [element.value for element in app.sidebar.markdown]


# Core helpers the pages use


def test_sample_indices_respect_the_class_filter_and_the_seed():
    labels = np.repeat(np.arange(10), 5)
    chosen = sample_indices(labels, 25, seed=1, classes=[1, 3])
    assert len(chosen) == 10 and set(labels[chosen]) == {1, 3}
    assert list(sample_indices(labels, 25, seed=2)) == list(sample_indices(labels, 25, seed=2))
    assert list(sample_indices(labels, 25, seed=2)) != list(sample_indices(labels, 25, seed=3))


def test_dataset_summary_reads_like_the_tutorial(real_dataset):
    rows = {row["array"]: row for row in dataset_summary(real_dataset)}
    assert rows["train_images"]["shape"] == "(60000, 28, 28)"
    assert rows["test_labels"]["value range"] == "0–9"


@pytest.fixture(autouse=True)
def no_job_left_running():
    """Stop any training job a test left running, so the next test can start one."""
    yield
    from fashion.jobs import opened_jobs

    for jobs in opened_jobs():
        for job in jobs.list():
            jobs.cancel(job.job_id) or jobs.stop(job.job_id)
            job_when(jobs, job.job_id, lambda job: not job.active, "ended", seconds=120)
