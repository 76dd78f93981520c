"""Real-browser journeys of issue 15: compare, downloads of each export, rename and delete."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile

import numpy as np
import pytest
from app_driver import assert_no_error, choose_option, number_input, open_page, wait_until_idle
from harness import AppServer
from playwright.sync_api import expect

from fashion.store import export
from fashion.training.inference import as_model_input, predict_probabilities


@pytest.fixture(scope="module")
def runs_server(tmp_path_factory, trained_store, small_data_dir, small_dataset):
    """A server over small-tutorial plus a one-epoch model with another seed (they disagree)."""
    from quick_training import ONE_EPOCH_OTHER_SEED, train_into_store

    work = tmp_path_factory.mktemp("e2e-runs")
    models_dir = work / "models"
    shutil.copytree(trained_store, models_dir)
    train_into_store(models_dir, ONE_EPOCH_OTHER_SEED, small_dataset, "one-epoch")
    server = AppServer(models_dir, small_data_dir, work / "streamlit.log")
    yield server
    server.stop()


def test_compare_two_models_and_open_a_disagreement(runs_server, page, screenshot):
    """Compare shows what differs and where they disagree; a disagreement opens in the mistake view."""
    open_page(page, runs_server.url, "compare?models=small-tutorial,one-epoch", heading="Compare models")
    assert_no_error(page)
    expect(page).to_have_url(re.compile(r"models=small-tutorial(%2C|,)one-epoch"))
    expect(page.get_by_role("heading", name="Settings that differ")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_contain_text("seed")
    screenshot(page, "compare-top")
    disagreement_count = page.get_by_text(re.compile(r"^[\d,]+ test images that small-tutorial gets right"))
    expect(disagreement_count).to_be_visible()
    count = int(disagreement_count.inner_text().split()[0].replace(",", ""))
    assert count > 0
    disagreements = page.locator('[data-testid="stHeading"]').filter(has_text="Where they disagree")
    disagreements.scroll_into_view_if_needed()
    screenshot(page, "compare-disagreements")
    caption = page.get_by_text(re.compile(r"^Test image #\d+ \(")).first
    index = int(caption.inner_text().split("#")[1].split()[0])
    page.get_by_role("button", name="Open in the mistake view").first.click()
    expect(page.get_by_role("heading", name="Predictions", exact=True)).to_be_visible()
    wait_until_idle(page)
    expect(page.get_by_text(f"Test image #{index}:")).to_be_visible()
    expect(page).to_have_url(re.compile(r"model=one-epoch"))
    assert_no_error(page)
    screenshot(page, "compare-opened-mistake", page.locator('[data-testid="stImage"]').last)


def test_compare_class_filter_and_a_model_deleted_elsewhere(runs_server, page, screenshot, small_dataset):
    """The class filter narrows the disagreements; a compared model deleted elsewhere is named."""
    from fashion.data.fashion_mnist import CLASS_NAMES
    from fashion.store import model_store as store

    shutil.copytree(runs_server.models_dir / "one-epoch", runs_server.models_dir / "doomed")
    # small-tutorial right and one-epoch wrong, per true class, counted here from the two models
    images, labels = as_model_input(small_dataset.test_images), small_dataset.test_labels
    right = {
        name: predict_probabilities(store.load_model(name, runs_server.models_dir), images).argmax(1)
        == labels
        for name in ("small-tutorial", "one-epoch")
    }
    per_class = np.bincount(labels[right["small-tutorial"] & ~right["one-epoch"]], minlength=len(CLASS_NAMES))
    true_class = int(per_class.argmax())
    open_page(
        page, runs_server.url, "compare?models=small-tutorial,one-epoch,doomed", heading="Compare models"
    )
    count_text = page.get_by_text(re.compile(r"^[\d,]+ test images that small-tutorial gets right"))
    expect(count_text).to_have_text(re.compile(rf"^{per_class.sum():,} test images that small-tutorial"))
    choose_option(page, "True class", CLASS_NAMES[true_class])
    expect(count_text).to_have_text(
        re.compile(rf"^{per_class[true_class]:,} test images that small-tutorial")
    )
    # Only that class's images, once the rerun has replaced the list of all classes
    class_name = re.escape(CLASS_NAMES[true_class])
    expect(page.get_by_text(re.compile(rf"^Test image #\d+ \((?!{class_name}\))"))).to_have_count(0)
    captions = page.get_by_text(re.compile(rf"^Test image #\d+ \({class_name}\)$"))
    expect(captions).to_have_count(min(int(per_class[true_class]), 8))
    wait_until_idle(page)
    page.locator('[data-testid="stHeading"]').filter(
        has_text="Where they disagree"
    ).scroll_into_view_if_needed()
    screenshot(page, "compare-one-class")
    # Another session deletes a compared model; the next run of this page says so and compares the rest
    store.delete_model("doomed", runs_server.models_dir)
    page.get_by_text(re.compile(r"^one-epoch right, small-tutorial wrong")).click()
    wait_until_idle(page)
    notice = page.get_by_text(
        "No longer in the store (renamed or deleted, perhaps in another session): doomed."
    )
    expect(notice).to_be_visible()
    expect(page.get_by_text(re.compile(r"^[\d,]+ test images that one-epoch gets right"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"models=small-tutorial(%2C|,)one-epoch(&|$)"))
    assert_no_error(page)
    notice.scroll_into_view_if_needed()
    screenshot(page, "compare-model-deleted-elsewhere")
    # A link to Saved models naming the deleted model says so too, and shows the newest instead
    open_page(page, runs_server.url, "models?saved=doomed", heading="Saved models")
    newest = store.list_models(runs_server.models_dir)[0].name
    expect(
        page.get_by_text(re.compile(rf"^No longer in the store .*: doomed; showing {newest}\.$"))
    ).to_be_visible()
    # The picker names each model with its preset ("one-epoch · custom settings")
    expect(page.get_by_role("combobox", name="Model", exact=True)).to_have_value(re.compile(rf"^{newest} · "))
    assert_no_error(page)
    screenshot(page, "saved-models-model-deleted-elsewhere")


def download(page, button_name: str):
    """Click a download button; the downloaded file's name and bytes."""
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name, exact=True).click()
    downloaded = info.value
    return downloaded.suggested_filename, open(downloaded.path(), "rb").read()


def test_download_each_export_format(runs_server, page, screenshot, small_dataset):
    """Each download arrives whole; the TFLite file predicts like the Keras model in the interpreter."""
    open_page(page, runs_server.url, "models?saved=small-tutorial", heading="Saved models")
    name, data = download(page, "Download: History (CSV)")
    assert name == "small-tutorial-history.csv" and data.decode().splitlines()[0] == ",".join(
        export.HISTORY_COLUMNS
    )
    assert len(data.decode().splitlines()) == 4
    name, data = download(page, "Download: Record (JSON)")
    assert json.loads(data)["name"] == "small-tutorial"
    page.get_by_role("button", name="Convert and check the model formats").click()
    wait_until_idle(page, timeout_ms=120_000)
    expect(page.get_by_text(re.compile(r"agrees on 100\.0% of 300 test images")).first).to_be_visible()
    screenshot(page, "exports-checked")
    files = {}
    for label in ("Keras (.keras)", "TFLite", "TFLite, float16", "TFLite, dynamic", "SavedModel (zip)"):
        name, data = download(page, label)
        files[name] = data
    assert sorted(files) == sorted(
        [
            "small-tutorial.keras",
            "small-tutorial.tflite",
            "small-tutorial-float16.tflite",
            "small-tutorial-dynamic.tflite",
            "small-tutorial-savedmodel.zip",
        ]
    )
    assert zipfile.ZipFile(io.BytesIO(files["small-tutorial.keras"])).getinfo("config.json")
    assert (
        "savedmodel/saved_model.pb"
        in zipfile.ZipFile(io.BytesIO(files["small-tutorial-savedmodel.zip"])).namelist()
    )
    # The downloaded TFLite model, run in TensorFlow's TFLite interpreter, against the saved Keras model
    from fashion.store import model_store as store

    images = as_model_input(small_dataset.test_images)
    keras_classes = predict_probabilities(
        store.load_model("small-tutorial", runs_server.models_dir), images
    ).argmax(1)
    for name in ("small-tutorial.tflite", "small-tutorial-float16.tflite"):
        lite_classes = export.tflite_probabilities(files[name], images).argmax(1)
        assert np.mean(lite_classes == keras_classes) >= 0.99, name


def test_rename_then_delete_a_model(runs_server, page, screenshot):
    """Rename changes the name everywhere; delete asks first, then the model is gone."""
    shutil.copytree(runs_server.models_dir / "one-epoch", runs_server.models_dir / "spare")
    open_page(page, runs_server.url, "models?saved=spare", heading="Saved models")
    name_field = page.get_by_label("New name")
    name_field.fill("spare renamed")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_text("Renamed spare to spare-renamed.")).to_be_visible()
    assert (runs_server.models_dir / "spare-renamed").is_dir() and not (
        runs_server.models_dir / "spare"
    ).exists()
    wait_until_idle(page)
    screenshot(page, "renamed")
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_text("Delete spare-renamed for good?")).to_be_visible()
    screenshot(page, "delete-confirmation")
    assert (runs_server.models_dir / "spare-renamed").is_dir()
    page.get_by_role("button", name="Yes, delete spare-renamed").click()
    expect(page.get_by_text("Deleted spare-renamed.")).to_be_visible()
    assert not (runs_server.models_dir / "spare-renamed").exists()
    assert_no_error(page)


def test_continue_a_model_by_one_epoch(runs_server, page, screenshot):
    """From Saved models to the continue form on Train; the chart joins the parent's epochs and the new."""
    open_page(page, runs_server.url, "models?saved=small-tutorial", heading="Saved models")
    page.get_by_role("link", name="Continue training small-tutorial").click()
    expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible()
    wait_until_idle(page)
    expect(page.get_by_role("combobox", name="Saved model")).to_have_value("small-tutorial")
    screenshot(page, "continue-form")
    page.get_by_role("button", name="Continue training").click()
    expect(page.get_by_text("Saved as small-tutorial-more")).to_be_visible(timeout=180_000)
    wait_until_idle(page)
    expect(page.get_by_text("Continues small-tutorial: epochs 1-3 are its own")).to_be_visible()
    expect(page.get_by_text("4 epochs plotted.")).to_be_visible()
    assert_no_error(page)
    screenshot(page, "continued-curves", page.locator('[data-testid="stImage"]').last)
    record = json.loads((runs_server.models_dir / "small-tutorial-more" / "record.json").read_text())
    assert record["parent"] == "small-tutorial" and [row["epoch"] for row in record["history"]] == [
        1,
        2,
        3,
        4,
    ]


def test_compare_and_saved_models_pass_axe(runs_server, page, audits):
    """axe-core (WCAG 2.1 A/AA): Compare with two models and Saved models, with a delete confirmation open."""
    open_page(page, runs_server.url, "compare?models=small-tutorial,one-epoch", heading="Compare models")
    expect(
        page.get_by_text(re.compile(r"^[\d,]+ test images that small-tutorial gets right"))
    ).to_be_visible()
    audits.check("compare-two-models")
    expect(
        page.get_by_role(
            "img",
            name=re.compile(r"^Loss and accuracy curves of 2 models; last epochs: small-tutorial, epoch 3: "),
        )
    ).to_have_count(1)
    expect(
        page.get_by_role("img", name=re.compile(r"^one-epoch: Test image #\d+, .+\(wrong \u2717\)")).first
    ).to_be_visible()
    open_page(page, runs_server.url, "models?saved=one-epoch", heading="Saved models")
    audits.check("saved-models")
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_text("Delete one-epoch for good?")).to_be_visible()
    audits.check("saved-models-delete-confirmation")
    audits.assert_clean()


def test_open_a_recipe_link(runs_server, page, screenshot):
    """A saved model's recipe opens the Train page filled in; its share link does the same in a new tab."""
    open_page(page, runs_server.url, "models?saved=one-epoch", heading="Saved models")
    page.get_by_role("link", name="Open its recipe on the Train page").click()
    expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible()
    wait_until_idle(page)
    expect(page.get_by_text("The settings below come from a shared recipe link.")).to_be_visible()
    expect(page.get_by_role("combobox", name="Preset")).to_have_value("From the shared link")
    for label, value in (("Epochs", "1"), ("Batch size", "128"), ("Seed", "11")):
        expect(number_input(page, label)).to_have_value(value)
    assert_no_error(page)
    screenshot(page, "recipe-filled-in")
    page.get_by_text("Share this recipe", exact=True).click()
    link = page.locator('[data-testid="stCode"]').inner_text().strip()
    assert link.startswith(runs_server.url + "/train?arch=tutorial&epochs=1&batch_size=128")
    second_tab = page.context.new_page()
    second_tab.goto(link.replace("deterministic=0", "deterministic=1"))
    expect(second_tab.get_by_role("combobox", name="Preset")).to_have_value("From the shared link")
    expect(second_tab.get_by_role("checkbox", name="Exactly reproducible")).to_be_checked()
    wait_until_idle(second_tab)
    screenshot(second_tab, "recipe-link-new-tab")
