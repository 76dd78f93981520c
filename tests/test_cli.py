"""The command line: train, predict, evaluate, models, and one-line errors with exit status 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion.cli import main
from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.training.models import ARCHITECTURES, TUTORIAL_EXACT

REPOSITORY = Path(__file__).resolve().parent.parent


def run_cli(*arguments, environment=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "fashion", *arguments],
        cwd=REPOSITORY,
        env={**os.environ, **(environment or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def png_of_test_item(dataset, index: int) -> bytes:
    image = Image.fromarray(255 - np.asarray(dataset.test_images[index])).resize((112, 112))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_train_json_then_models_evaluate_and_predict(use_small_data, models_dir, small_dataset, tmp_path):
    trained = run_cli("train", "--epochs", "2", "--limit", "600", "--name", "cli model", "--json")
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    assert summary["name"] == "cli-model" and summary["arch"] == "tutorial"
    assert summary["epochs_run"] == 2 and 0 < summary["test_accuracy"] <= 1
    assert summary["train_seconds"] > 0 and Path(summary["path"]).is_dir()
    assert "Epoch 2/2" in trained.stderr

    image_path = tmp_path / "boot.png"
    image_path.write_bytes(png_of_test_item(small_dataset, 0))
    predicted = run_cli("predict", str(image_path), str(image_path), "--json")
    assert predicted.returncode == 0, predicted.stderr
    lines = [json.loads(line) for line in predicted.stdout.strip().splitlines()]
    assert len(lines) == 2
    assert lines[0]["file"] == str(image_path) and len(lines[0]["probabilities"]) == 10
    assert abs(sum(lines[0]["probabilities"]) - 1) < 1e-3
    assert lines[0]["class_name"] == CLASS_NAMES[lines[0]["label"]]
    assert lines[0]["label"] == int(np.argmax(lines[0]["probabilities"]))


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_exact_tutorial_trains_every_architecture(architecture, use_small_data, models_dir):
    trained = run_cli("train", "--arch", architecture, "--exact-tutorial", "--limit", "100", "--json")
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    assert summary["arch"] == architecture and summary["epochs_run"] == TUTORIAL_EXACT.epochs
    assert summary["hyper_parameters"] == {**TUTORIAL_EXACT.to_dict(), "train_limit": 100}
    assert "Epoch 10/10" in trained.stderr and "Traceback" not in trained.stderr


def test_console_progress_bar_is_keras_progbar_on_stderr(capsys):
    from fashion.cli import ConsoleListener
    from fashion.training.run import BatchReport, EpochReport

    epoch_lines = io.StringIO()
    listener = ConsoleListener(epoch_lines, show_bar=True)
    for step in (1, 2, 3):
        listener.on_batch(BatchReport(1, 2, step, 3, 500.0, 0.1, 1.0, 0.5, 0.8))
    listener.on_epoch(EpochReport(1, 2, 0.5, 0.8, None, None, 1.5))
    listener.on_batch(BatchReport(2, 2, 1, 3, 500.0, 0.1, 0.1, 0.4, 0.85))
    listener.on_epoch(EpochReport(2, 2, 0.4, 0.85, None, None, 0.5))  # stopped after one batch
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout carries only results
    assert "3/3" in captured.err and "1/3" in captured.err and "loss: 0.5000" in captured.err
    assert captured.err.endswith("\n")  # the unfinished bar ended its line before the epoch line
    assert epoch_lines.getvalue().splitlines()[0] == "Epoch 1/2 - 1.5s - loss: 0.5000 - accuracy: 0.8000"


def test_models_and_evaluate_in_process(store_with_model, use_small_data, capsys):
    assert main(["models"]) == 0
    assert "small-tutorial" in capsys.readouterr().out
    assert main(["models", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["name"] == "small-tutorial" and listed[0]["readable"]
    assert main(["evaluate", "--json"]) == 0
    evaluation = json.loads(capsys.readouterr().out)
    assert set(evaluation["per_class_accuracy"]) >= {"Ankle boot", "Shirt"}
    assert 0 < evaluation["test_accuracy"] <= 1


def test_predict_text_output_lists_top_three(store_with_model, small_dataset, tmp_path, capsys):
    image_path = tmp_path / "item.png"
    image_path.write_bytes(png_of_test_item(small_dataset, 1))
    assert main(["predict", str(image_path)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{image_path}: ") and line.count("%") == 3


def test_predict_on_a_non_image_exits_2_with_one_line(store_with_model, tmp_path):
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("this is text, not a picture")
    completed = run_cli("predict", str(not_an_image))
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.strip().count("\n") == 0
    assert completed.stderr.startswith(f"error: {not_an_image}: the file is not an image")
    assert "Traceback" not in completed.stderr


def test_errors_are_one_line_and_exit_2(models_dir, tmp_path, capsys, monkeypatch):
    assert main(["predict", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err.startswith("error: no model has been trained yet")
    assert main(["evaluate"]) == 2
    assert "no model has been trained yet" in capsys.readouterr().err
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    assert main(["train", "--epochs", "1"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: FASHION_MNIST_DIR=") and error.count("\n") == 1
    assert main(["train", "--epochs", "0"]) == 2
    assert "epochs must be between 1 and 1000" in capsys.readouterr().err


def test_unknown_model_and_missing_file(store_with_model, tmp_path, capsys):
    assert main(["predict", "--model", "nope", str(tmp_path / "x.png")]) == 2
    assert "no saved model is called 'nope'" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "missing.png")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert main(["predict", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_predict_json_has_ood_and_no_segment_switches_segmentation_off(
    store_with_model, use_small_data, small_dataset, tmp_path, capsys
):
    import sys as system

    system.path.insert(0, str(REPOSITORY / "tests"))
    from photo_scenes import scene

    scene_path = tmp_path / "boot-on-wood.png"
    scene_path.write_bytes(scene(small_dataset.test_images[0], "wood")[0])
    assert main(["predict", str(scene_path), "--json"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert default["segmented"] is True and all(default["steps"].values())
    assert set(default["ood"]) == {"flagged", "score", "threshold"}
    assert isinstance(default["ood"]["flagged"], bool)
    assert default["ood"]["flagged"] == (default["ood"]["score"] > default["ood"]["threshold"])
    assert main(["predict", str(scene_path), "--json", "--no-segment", "--no-tta"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["segmented"] is False
    assert plain["steps"]["segment"] is False and plain["steps"]["tta"] is False
    assert plain["steps"]["invert"] is True
    assert plain["probabilities"] != default["probabilities"]
