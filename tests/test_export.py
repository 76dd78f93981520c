"""Exports: history CSV, record JSON, and model formats whose agreement is computed on export."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np
import pytest

from fashion.cli import main
from fashion.errors import ExportError
from fashion.store import export
from fashion.store import model_store as store
from fashion.training.inference import predict_probabilities


def test_history_csv_has_one_row_per_epoch_with_named_columns(store_with_model):
    record = store.get_entry("small-tutorial").record
    rows = list(csv.DictReader(io.StringIO(export.history_csv(record).decode("utf-8"))))
    assert tuple(rows[0].keys()) == export.HISTORY_COLUMNS
    assert [int(row["epoch"]) for row in rows] == [1, 2, 3]
    for row, epoch in zip(rows, record["history"], strict=True):
        assert float(row["loss"]) == pytest.approx(epoch["loss"])
        assert float(row["val_accuracy"]) == pytest.approx(epoch["val_accuracy"])


def test_history_csv_leaves_missing_validation_empty():
    record = {
        "history": [
            {"epoch": 1, "loss": 0.5, "accuracy": 0.8, "val_loss": None, "val_accuracy": None, "seconds": 1.0}
        ]
    }
    rows = list(csv.DictReader(io.StringIO(export.history_csv(record).decode("utf-8"))))
    assert rows == [
        {"epoch": "1", "loss": "0.5", "accuracy": "0.8", "val_loss": "", "val_accuracy": "", "seconds": "1.0"}
    ]


def test_agreement_counts_matching_classes():
    reference = np.eye(10)[[0, 1, 2, 3]]
    other = np.eye(10)[[0, 1, 2, 9]]
    assert export.agreement(reference, other) == 0.75


@pytest.mark.parametrize(
    "export_format, quantization",
    [("keras", "none"), ("tflite", "none"), ("tflite", "dynamic"), ("savedmodel", "none")],
)
def test_model_exports_agree_with_the_keras_model(
    store_with_model, small_dataset, export_format, quantization
):
    result = export.export_model("small-tutorial", export_format, small_dataset.test_images, quantization)
    assert result.checked_images == len(small_dataset.test_images)
    assert result.agreement >= (0.995 if quantization == "none" else 0.99)
    assert result.size_bytes > 10_000 and result.seconds > 0


def test_tflite_export_predicts_like_keras_in_the_interpreter(loaded_model, small_dataset):
    images = small_dataset.test_images[:50].astype(np.float32) / 255
    flatbuffer = export.tflite_bytes(loaded_model)
    lite = export.tflite_probabilities(flatbuffer, images)
    np.testing.assert_allclose(lite, predict_probabilities(loaded_model, images), atol=1e-4)


def test_savedmodel_zip_holds_a_saved_model(store_with_model, small_dataset):
    result = export.export_model("small-tutorial", "savedmodel", small_dataset.test_images)
    names = zipfile.ZipFile(io.BytesIO(result.data)).namelist()
    assert "savedmodel/saved_model.pb" in names
    assert any(name.startswith("savedmodel/variables/") for name in names)


def test_an_export_that_disagrees_is_refused(store_with_model, small_dataset, monkeypatch):
    def shifted(flatbuffer, images):
        return np.roll(np.eye(10)[np.zeros(len(images), dtype=int)], 1, axis=1)

    monkeypatch.setattr(export, "tflite_probabilities", shifted)
    with pytest.raises(ExportError, match="agrees with the Keras model on only"):
        export.export_model("small-tutorial", "tflite", small_dataset.test_images)


def test_bad_format_and_quantisation_are_clear_errors(store_with_model):
    with pytest.raises(ExportError, match="export format must be one of"):
        export.export_model("small-tutorial", "onnx")
    with pytest.raises(ExportError, match="TFLite format only"):
        export.export_model("small-tutorial", "keras", quantization="float16")


def test_cli_export_writes_each_file(store_with_model, use_small_data, tmp_path, capsys):
    assert main(["export", "small-tutorial", "--format", "csv", "--output", str(tmp_path)]) == 0
    assert (tmp_path / "small-tutorial-history.csv").read_text().startswith("epoch,loss,accuracy")
    assert main(["export", "small-tutorial", "--format", "json", "--output", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["name"] == "small-tutorial"
    capsys.readouterr()
    assert (
        main(
            [
                "export",
                "small-tutorial",
                "--format",
                "tflite",
                "--quantize",
                "float16",
                "--output",
                str(tmp_path),
                "--json",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["agreement"] >= 0.99 and summary["path"].endswith("small-tutorial-float16.tflite")
    assert (tmp_path / "small-tutorial-float16.tflite").stat().st_size == summary["size_bytes"]


def test_cli_export_errors_are_one_line(store_with_model, tmp_path, capsys):
    assert main(["export", "nobody", "--format", "csv", "--output", str(tmp_path)]) == 2
    assert (
        main(["export", "small-tutorial", "--format", "csv", "--output", str(tmp_path / "no" / "x.csv")]) == 2
    )
    errors = capsys.readouterr().err.strip().splitlines()
    assert (
        len(errors) == 2
        and "no saved model is called 'nobody'" in errors[0]
        and "does not exist" in errors[1]
    )
