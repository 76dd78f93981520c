"""The code of every model: a standalone script per architecture and preset that trains the same model."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fashion.cli import main
from fashion.lesson import model_code
from fashion.settings import MODELS_DIR
from fashion.store import model_store as store
from fashion.training.models import ARCHITECTURES, presets, with_overrides

# Modules the generated script may import: the standard library's, NumPy, Keras, TensorFlow, OpenCV
ALLOWED_IMPORTS = {
    "__future__", "argparse", "dataclasses", "gzip", "json", "math", "os", "pathlib", "time",
    "numpy", "keras", "tensorflow", "cv2",
}
# Each preset of each architecture, as (architecture, preset name)
PRESET_CASES = [(architecture, preset) for architecture in ARCHITECTURES for preset in presets(architecture)]
SCRIPT_EPOCHS = 2
SCRIPT_LIMIT = 300  # training images the script uses (it holds out its validation share of them)


def saved_name(architecture: str, preset: str) -> str:
    """The store name of the model trained with this architecture and preset."""
    return store.sanitize_name(f"{architecture}-{preset}")


@pytest.fixture(scope="module")
def preset_store(tmp_path_factory, small_dataset) -> Path:
    """A store holding one model per architecture and preset, trained for 2 epochs on 300 small-set images."""
    from fashion.training.workflow import train_evaluate_save

    directory = tmp_path_factory.mktemp("preset-store")
    previous = os.environ.get(MODELS_DIR.name)
    os.environ[MODELS_DIR.name] = str(directory)
    try:
        for architecture, preset in PRESET_CASES:
            preset_settings = presets(architecture)[preset]
            settings = with_overrides(preset_settings, epochs=SCRIPT_EPOCHS, train_limit=SCRIPT_LIMIT)
            train_evaluate_save(architecture, settings, small_dataset, name=saved_name(architecture, preset))
    finally:
        if previous is None:
            os.environ.pop(MODELS_DIR.name, None)
        else:
            os.environ[MODELS_DIR.name] = previous
    return directory


def imported_modules(source: str) -> set[str]:
    """The top-level names of every module the source imports, at any depth."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0] if node.level == 0 else ".")
    return names


def layer_signature(model) -> list[tuple[str, dict]]:
    """Each layer's class and configuration, its automatic name left out."""
    return [
        (type(layer).__name__, {key: value for key, value in layer.get_config().items() if key != "name"})
        for layer in model.layers
    ]


@pytest.mark.parametrize(("architecture", "preset"), PRESET_CASES)
def test_script_trains_the_same_model_and_imports_nothing_of_the_project(
    architecture, preset, preset_store, small_data_dir, tmp_path, monkeypatch
):
    import keras

    monkeypatch.setenv(MODELS_DIR.name, str(preset_store))
    name = saved_name(architecture, preset)
    source = model_code.model_script(name)
    assert imported_modules(source) <= ALLOWED_IMPORTS, imported_modules(source) - ALLOWED_IMPORTS
    script = tmp_path / model_code.script_file_name(name)
    script.write_text(source, encoding="utf-8")
    saved_model_path, results_path = tmp_path / "script-model.keras", tmp_path / "results.json"
    # A clean environment and another folder: the project is not on the script's path
    left_out = ("PYTHONPATH", "FASHION_MNIST_DIR")
    environment = {key: value for key, value in os.environ.items() if key not in left_out}
    completed = subprocess.run(
        [
            sys.executable, str(script), "--data-dir", str(small_data_dir), "--limit", str(SCRIPT_LIMIT),
            "--save-model", str(saved_model_path), "--results-json", str(results_path),
        ],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(results_path.read_text())
    history = results["history"]
    assert len(history["loss"]) == SCRIPT_EPOCHS
    assert history["loss"][-1] < history["loss"][0]  # it trains: the loss falls
    validated = presets(architecture)[preset].validation_fraction > 0
    assert set(history) == {"loss", "accuracy"} | ({"val_loss", "val_accuracy"} if validated else set())
    record = store.get_entry(name).record
    # A model that also learnt from photos: the script trains on its Fashion-MNIST part and says so
    fashion_mnist_count = (record.get("trained_on") or {}).get("fashion_mnist", record["train_count"])
    assert results["train_count"] == fashion_mnist_count
    if presets(architecture)[preset].real_photos:
        assert "script trains on Fashion-MNIST alone" in source
    assert "Test accuracy:" in completed.stdout and "Test image 1 (truly" in completed.stdout

    script_model = keras.saving.load_model(saved_model_path)
    app_model = store.load_model(name)
    assert layer_signature(script_model) == layer_signature(app_model)
    assert script_model.count_params() == app_model.count_params() == results["parameter_count"]


def test_augmentation_is_written_out_only_for_a_model_that_had_one():
    photo = model_code.script_text(model_code.script_steps("cnn", presets("cnn")["Photo-robust CNN"]))
    plain = model_code.script_text(model_code.script_steps("cnn", presets("cnn")["Recommended (fast)"]))
    assert "def augment_images(" in photo and "make_batches(train_images" in photo
    assert "def augment_images(" not in plain and "make_batches" not in plain
    assert 'AUGMENTATION = "none"' in plain


def test_cli_writes_the_script_of_a_saved_model(store_with_model, tmp_path, capsys):
    output = tmp_path / "small.py"
    assert main(["code", "small-tutorial", "--output", str(output)]) == 0
    assert output.read_text() == model_code.model_script("small-tutorial")
    assert main(["code", "small-tutorial"]) == 0
    assert "keras.layers.Dense(128" in capsys.readouterr().out


def test_cli_code_of_an_unknown_model_is_one_line_and_exit_2(store_with_model, capsys):
    assert main(["code", "no-such-model"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error:") and error.count("\n") == 1


def test_a_folder_as_output_is_refused_clearly(store_with_model, tmp_path, capsys):
    folder = tmp_path / "scripts"
    folder.mkdir()
    assert main(["code", "small-tutorial", "--output", str(folder)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert list(folder.iterdir()) == []


def test_a_record_of_an_unknown_architecture_is_refused_clearly(store_with_model, capsys):
    record_path = store_with_model / "small-tutorial" / store.RECORD_FILE
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({**record, "architecture": "transformer"}))
    assert main(["code", "small-tutorial"]) == 2
    error = capsys.readouterr().err
    assert "unknown architecture 'transformer'" in error and error.count("\n") == 1


def test_the_script_of_a_photo_model_says_what_else_it_learnt_from():
    trained_on = {"fashion_mnist": 54000, "real_photos": 3359, "generated_negatives": 1176, "own_photos": 2}
    record = {"test_accuracy": 0.92, "epochs_run": 14, "trained_on": trained_on}
    steps = model_code.script_steps("cnn", presets("cnn")["Photo-robust CNN"], "photo", record)
    text = model_code.script_text(steps)
    listed = "3,359 real photos, 1,176 generated non-clothing photos and 2 photos of the user's own,"
    assert f"also learnt from {listed}" in text
