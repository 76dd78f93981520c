"""Take a saved model out of the app: .keras, TFLite, SavedModel (zip), history CSV, record JSON.

Every exported model is checked when it is made: its predicted classes on the first 1,000 test
images are compared with the Keras model's, and the export is refused below the required agreement.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import sys
import tempfile
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashion.errors import ExportError
from fashion.i18n import _
from fashion.store import model_store as store
from fashion.training.inference import as_model_input, predict_probabilities
from fashion.training.run import HISTORY_COLUMNS

FORMATS = ("keras", "tflite", "savedmodel", "csv", "json")
QUANTIZATIONS = ("none", "float16", "dynamic")
FILE_SUFFIXES = {
    "keras": ".keras",
    "tflite": ".tflite",
    "savedmodel": "-savedmodel.zip",
    "csv": "-history.csv",
    "json": ".json",
}
MIME_TYPES = {
    "keras": "application/octet-stream",
    "tflite": "application/octet-stream",
    "savedmodel": "application/zip",
    "csv": "text/csv",
    "json": "application/json",
}
CHECK_IMAGE_COUNT = 1000
REQUIRED_AGREEMENT = 0.995
REQUIRED_AGREEMENT_QUANTIZED = 0.99


@dataclass(frozen=True)
class ExportResult:
    """An exported file's bytes, its name, and (for models) how well it agrees with the Keras model."""

    model_name: str
    format: str
    quantization: str
    file_name: str
    data: bytes
    seconds: float
    agreement: float | None = None
    checked_images: int = 0

    @property
    def size_bytes(self) -> int:
        """The exported file's size."""
        return len(self.data)

    @property
    def mime_type(self) -> str:
        """The MIME type a browser download should carry."""
        return MIME_TYPES[self.format]

    def summary(self) -> str:
        """One line: format, size, and the agreement check when there is one."""
        line = f"{self.file_name}: {self.size_bytes / 1024:,.1f} KiB"
        if self.agreement is not None:
            line += (
                f", predicts the same class as the Keras model on {self.agreement:.1%} "
                f"of the first {self.checked_images:,} test images"
            )
        return line


def history_csv(record: dict) -> bytes:
    """The per-epoch history of a record as CSV, one row per epoch with HISTORY_COLUMNS."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HISTORY_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in record.get("history", []):
        writer.writerow(
            {column: "" if row.get(column) is None else row.get(column) for column in HISTORY_COLUMNS}
        )
    return buffer.getvalue().encode("utf-8")


def agreement(reference_probabilities: np.ndarray, other_probabilities: np.ndarray) -> float:
    """The fraction of images on which two models predict the same class."""
    reference = np.asarray(reference_probabilities).argmax(axis=1)
    other = np.asarray(other_probabilities).argmax(axis=1)
    if len(reference) != len(other) or len(reference) == 0:
        raise ExportError(_("cannot compare predictions of different lengths."))
    return float(np.mean(reference == other))


def tflite_bytes(model, quantization: str = "none") -> bytes:
    """A TFLite flatbuffer of a Keras model, optionally float16 or dynamic-range quantised."""
    # deferred: TensorFlow takes seconds to import
    import tensorflow as tf

    if quantization not in QUANTIZATIONS:
        raise ExportError(
            _("quantisation must be one of {choices}, not {quantization!r}.").format(
                choices=", ".join(QUANTIZATIONS), quantization=quantization
            )
        )
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantization != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def tflite_probabilities(flatbuffer: bytes, images: np.ndarray) -> np.ndarray:
    """Class probabilities of float images (N, 28, 28) from a TFLite model, through its interpreter."""
    # deferred: TensorFlow takes seconds to import
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's notice about LiteRT
        interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    interpreter.resize_tensor_input(input_index, list(images.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_index, np.asarray(images, dtype=np.float32))
    interpreter.invoke()
    return np.array(interpreter.get_tensor(output_index))


def savedmodel_zip(model) -> tuple[bytes, np.ndarray]:
    """A zip of model.export()'s SavedModel, and the reloaded SavedModel's serve function."""
    # deferred: TensorFlow takes seconds to import
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="fashion-savedmodel-") as temporary:
        export_path = Path(temporary) / "savedmodel"
        model.export(str(export_path), verbose=False)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(export_path.rglob("*")):
                if path.is_file():
                    archive.write(path, Path("savedmodel") / path.relative_to(export_path))
        reloaded = tf.saved_model.load(str(export_path))
        return buffer.getvalue(), reloaded


def savedmodel_probabilities(reloaded, images: np.ndarray) -> np.ndarray:
    """Class probabilities from a reloaded SavedModel's serve endpoint."""
    return np.asarray(reloaded.serve(np.asarray(images, dtype=np.float32)))


def export_model(
    name: str,
    export_format: str,
    check_images: np.ndarray | None = None,
    quantization: str = "none",
    directory: Path | None = None,
) -> ExportResult:
    """Export a saved model; model formats are checked on check_images (the first 1,000 test images)."""
    if export_format not in FORMATS:
        raise ExportError(
            _("export format must be one of {choices}, not {export_format!r}.").format(
                choices=", ".join(FORMATS), export_format=export_format
            )
        )
    if quantization != "none" and export_format != "tflite":
        raise ExportError(_("quantisation applies to the TFLite format only."))
    entry = store.get_entry(name, directory)
    suffix = FILE_SUFFIXES[export_format]
    if export_format == "tflite" and quantization != "none":
        suffix = f"-{quantization}.tflite"
    file_name = f"{entry.name}{suffix}"
    started = time.perf_counter()
    if export_format == "csv":
        history = history_csv(entry.saved_record)
        return ExportResult(entry.name, "csv", "none", file_name, history, time.perf_counter() - started)
    if export_format == "json":
        data = json.dumps(entry.record, indent=2).encode("utf-8")
        return ExportResult(entry.name, "json", "none", file_name, data, time.perf_counter() - started)
    if check_images is None:
        raise ExportError(_("exporting a model needs test images to check the exported model against."))

    images = as_model_input(check_images[:CHECK_IMAGE_COUNT])
    model = store.load_model(entry.name, directory)
    reference = predict_probabilities(model, images)
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the converters print their progress
            if export_format == "keras":
                data = entry.model_path.read_bytes()
                exported = _keras_probabilities(data, images)
            elif export_format == "tflite":
                data = tflite_bytes(model, quantization)
                exported = tflite_probabilities(data, images)
            else:
                data, reloaded = savedmodel_zip(model)
                exported = savedmodel_probabilities(reloaded, images)
    except ExportError:
        raise
    except Exception as error:  # noqa: BLE001 - any converter failure is reported as one export error
        raise ExportError(
            _("exporting {name!r} as {export_format} failed ({error_type}: {error}).").format(
                name=entry.name, export_format=export_format, error_type=type(error).__name__, error=error
            )
        ) from None
    seconds = time.perf_counter() - started
    measured = agreement(reference, exported)
    required = REQUIRED_AGREEMENT if quantization == "none" else REQUIRED_AGREEMENT_QUANTIZED
    if measured < required:
        raise ExportError(
            _(
                "the {export_format} export of {name!r} agrees with the Keras model on only "
                "{measured:.1%} of {image_count:,} test images (needs {required:.1%}); it was not saved."
            ).format(
                export_format=export_format,
                name=entry.name,
                measured=measured,
                image_count=len(images),
                required=required,
            )
        )
    return ExportResult(
        entry.name, export_format, quantization, file_name, data, seconds, measured, len(images)
    )


def _keras_probabilities(data: bytes, images: np.ndarray) -> np.ndarray:
    """Reload the .keras bytes as a user would, in safe mode, and predict."""
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    with tempfile.TemporaryDirectory(prefix="fashion-keras-") as temporary:
        path = Path(temporary) / "model.keras"
        path.write_bytes(data)
        reloaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    return predict_probabilities(reloaded, images)


def write_export(result: ExportResult, output: Path) -> Path:
    """Write an export to output (a file, or a folder to put it in) atomically; returns the path."""
    output = Path(output)
    if output.is_dir():
        output = output / result.file_name
    if not output.parent.is_dir():
        raise ExportError(
            _("cannot write {output}: the folder {folder} does not exist.").format(
                output=output, folder=output.parent
            )
        )
    temporary = output.with_name(f".{output.name}.incomplete")
    try:
        temporary.write_bytes(result.data)
        shutil.move(temporary, output)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ExportError(
            _("cannot write {output}: {reason}.").format(output=output, reason=error.strerror)
        ) from None
    return output
