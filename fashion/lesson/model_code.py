"""The code of a model: a standalone TensorFlow/Keras script that reproduces it, step by step.

Over 300 lines: one script's text in the order it runs, its sections read top to bottom.

The script imports nothing from this project. Its layers and augmentation are taken from the source
of fashion/training/models.py, fashion/training/augmentation.py and fashion/photos/pipeline.py, so they
cannot drift from what the app trains; its data split, schedule and settings are written out from the
model's record.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import tempfile
import textwrap
from dataclasses import dataclass, fields
from pathlib import Path

from fashion.data.fashion_mnist import CLASS_NAMES, IMAGE_SIZE, NUM_CLASSES
from fashion.errors import ConfigurationError, FashionError
from fashion.figures.descriptions import count_of
from fashion.i18n import _
from fashion.photos import pipeline as photo
from fashion.store import model_store as store
from fashion.training import augmentation
from fashion.training.models import HyperParameters, get_architecture

# The names a layer list may use in the generated script: everything else would be undefined there.
LAYER_NAMES = {"keras", "IMAGE_SIZE", "NUM_CLASSES"}


@dataclass(frozen=True)
class ScriptStep:
    """One step of the script: a key the Lesson page refers to, a title, and its code."""

    key: str
    title: str
    code: str


def layer_list_source(architecture_name: str) -> str:
    """The source of the architecture's layer list (the list its build function returns)."""
    builder = get_architecture(architecture_name).build_layers
    tree = ast.parse(textwrap.dedent(inspect.getsource(builder)))
    source = textwrap.dedent(inspect.getsource(builder))
    returns = [node for node in ast.walk(tree) if isinstance(node, ast.Return) and node.value is not None]
    if len(returns) != 1 or not isinstance(returns[0].value, ast.List):
        raise ConfigurationError(
            _("{architecture_name}'s layers are not one returned list; its code cannot be written.").format(
                architecture_name=architecture_name
            )
        )
    used = {node.id for node in ast.walk(returns[0].value) if isinstance(node, ast.Name)}
    if not used <= LAYER_NAMES:
        unknown = ", ".join(sorted(used - LAYER_NAMES))
        raise ConfigurationError(
            _("{architecture_name}'s layers use {unknown}, which its code would not define.").format(
                architecture_name=architecture_name, unknown=unknown
            )
        )
    segment = _segment(source, returns[0].value)
    # The list's first line starts at the "return" column; the others keep their own indentation.
    first, _newline, rest = segment.partition("\n")
    return first + "\n" + textwrap.dedent(rest) if rest else first


def _segment(source: str, node: ast.AST) -> str:
    """The source text of a node of source's tree."""
    segment = ast.get_source_segment(source, node)
    if segment is None:
        raise ConfigurationError(
            _("a part of the project's source has no position; no script can be written.")
        )
    return segment


def _source_of(objects) -> str:
    """The source of functions and classes of the project, one after another."""
    return "\n\n".join(textwrap.dedent(inspect.getsource(item)).rstrip() for item in objects)


def augmentation_source(augmentation_name: str) -> str:
    """The photo-like augmentation written out: its settings, helper functions and batch maker."""
    settings = augmentation.get_settings(augmentation_name)
    if settings is None:
        raise ConfigurationError(
            _("the {augmentation_name!r} augmentation changes nothing; it has no code.").format(
                augmentation_name=augmentation_name
            )
        )
    module_source = inspect.getsource(augmentation)
    footwear = next(
        node
        for node in ast.parse(module_source).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "FOOTWEAR"
    )
    values = ",\n".join(f"    {field.name}={getattr(settings, field.name)!r}" for field in fields(settings))
    functions = _source_of(
        [
            photo.fitted_size,
            photo.centred_origin,
            augmentation._texture,
            augmentation.fit_item,
            augmentation.turned,
            augmentation.paired,
            augmentation.augment_images,
            augmentation.make_batches,
        ]
    )
    return (
        f"# The app's {augmentation_name!r} augmentation, copied from its source: photo-like variants of\n"
        "# the training images, a new variant of each image every epoch (it needs OpenCV: pip install\n"
        "# opencv-python-headless).\n"
        + _segment(module_source, footwear)
        + "\n\n\n"
        + _source_of([augmentation.AugmentationSettings])
        + "\n\n\nAUGMENTATION_SETTINGS = AugmentationSettings(\n"
        + values
        + ",\n)\n\n\n"
        + functions
        + "\n"
    )


def _settings_block(architecture_name: str, hyper_parameters: HyperParameters) -> str:
    """The settings as constants at the top of the script."""
    return "\n".join(
        [
            "# The settings the model was trained with",
            f"ARCHITECTURE = {json.dumps(architecture_name)}",
            f"EPOCHS = {hyper_parameters.epochs!r}",
            f"BATCH_SIZE = {hyper_parameters.batch_size!r}",
            f"LEARNING_RATE = {hyper_parameters.learning_rate!r}",
            f"LEARNING_RATE_SCHEDULE = {json.dumps(hyper_parameters.schedule)}"
            "  # cosine: decays to 0 over all steps",
            f"VALIDATION_FRACTION = {hyper_parameters.validation_fraction!r}  # held out for validation",
            f"SEED = {hyper_parameters.seed!r}",
            f"TRAIN_LIMIT = {hyper_parameters.train_limit!r}  # None: every training image",
            f"STEPS_PER_EXECUTION = {hyper_parameters.steps_per_execution!r}  # batches per TensorFlow call",
            f"DETERMINISTIC = {hyper_parameters.deterministic!r}  # TensorFlow's op determinism (slower)",
            f"AUGMENTATION = {json.dumps(hyper_parameters.augmentation)}",
            "",
            f"CLASS_NAMES = {json.dumps(CLASS_NAMES)}",
            f"IMAGE_SIZE = {IMAGE_SIZE}",
            f"NUM_CLASSES = {NUM_CLASSES}",
            "IDX_FILES = {",
            '    "train_images": "train-images-idx3-ubyte.gz",',
            '    "train_labels": "train-labels-idx1-ubyte.gz",',
            '    "test_images": "t10k-images-idx3-ubyte.gz",',
            '    "test_labels": "t10k-labels-idx1-ubyte.gz",',
            "}",
        ]
    )


def _header(
    name: str | None, architecture_name: str, hyper_parameters: HyperParameters, record: dict | None
) -> str:
    """The script's docstring, imports, settings and command-line options."""
    architecture = get_architecture(architecture_name)
    title = f"the Fashion-MNIST Studio model {name!r}" if name else f"the {architecture.title.lower()}"
    notes = []
    if record and record.get("test_accuracy") is not None:
        notes.append(
            f"In the app it reached a test accuracy of {record['test_accuracy']:.2%} "
            f"after {count_of(record.get('epochs_run', hyper_parameters.epochs), 'epoch')}."
        )
    if hyper_parameters.real_photos or hyper_parameters.own_photos:
        trained_on = (record or {}).get("trained_on") or {}
        photos = [
            count_of(trained_on[key], singular, plural)
            for key, singular, plural in (
                ("real_photos", "real photo", "real photos"),
                ("generated_negatives", "generated non-clothing photo", "generated non-clothing photos"),
                ("own_photos", "photo of the user's own", "photos of the user's own"),
            )
            if trained_on.get(key)
        ]
        listed = ", ".join(photos[:-1]) + " and " + photos[-1] if len(photos) > 1 else "".join(photos)
        notes.append(
            f"In the app it also learnt from {listed or 'real photos'},\n"
            "rendered to 28x28 by the app's photo pipeline, with the 'none of the ten' photos as\n"
            "outliers whose loss pulls their probabilities towards uniform. Those photos are not part of\n"
            "Fashion-MNIST: this script trains on Fashion-MNIST alone, so its model answers real photos\n"
            "less well than the app's."
        )
    if record and record.get("parent"):
        notes.append(
            f"The app continued it from {record['parent']!r} (its optimizer's state restored, the cosine\n"
            "schedule restarted for the new epochs); this script trains all its epochs in one run instead."
        )
    if record and record.get("stopped_early"):
        notes.append(
            f"Its training was stopped after {record.get('epochs_run')} of {hyper_parameters.epochs} epochs;"
            " this script trains them all."
        )
    opencv = ", opencv-python-headless" if hyper_parameters.augmentation != "none" else ""
    docstring = "\n".join(
        [
            f'"""Train {title} with plain TensorFlow/Keras.',
            "",
            f"{architecture.title}: {architecture.description}",
            *notes,
            "",
            f"Needs: tensorflow, numpy{opencv}. Run: python {{this file}} [--data-dir FOLDER] [--limit N]",
            "       [--epochs N] [--save-model FILE.keras] [--results-json FILE.json]",
            '"""',
        ]
    ).replace("{this file}", script_file_name(name or architecture_name))
    imports = (
        "import argparse\nimport gzip\nimport json\nimport math\nimport os\nimport time\n"
        + ("from dataclasses import dataclass\n" if hyper_parameters.augmentation != "none" else "")
        + "from pathlib import Path\n\n"
        "import numpy as np\n\n"
        'os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow\'s start-up chatter\n'
        "import keras  # noqa: E402\nimport tensorflow as tf  # noqa: E402\n"
    )
    options = textwrap.dedent(
        """\
        parser = argparse.ArgumentParser(description="Train, evaluate and use a Fashion-MNIST classifier.")
        parser.add_argument(
            "--data-dir",
            default=os.environ.get("FASHION_MNIST_DIR"),
            help="a folder of the four .gz IDX files (default: FASHION_MNIST_DIR, else Keras downloads them)",
        )
        parser.add_argument("--limit", type=int, help="use only this many training images (a quick try)")
        parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs to train (default {EPOCHS})")
        parser.add_argument("--save-model", help="write the trained model to this .keras file")
        parser.add_argument("--results-json", help="write the test accuracy, history and times to this file")
        arguments = parser.parse_args()
        epochs = arguments.epochs
        train_limit = arguments.limit if arguments.limit is not None else TRAIN_LIMIT
        if epochs < 1 or (train_limit is not None and train_limit < 10):
            parser.error("--epochs must be at least 1 and --limit at least 10.")
        """
    )
    return "\n".join(
        [
            docstring,
            "",
            "from __future__ import annotations",
            "",
            imports,
            _settings_block(architecture_name, hyper_parameters),
            "",
            options,
        ]
    )


LOAD_CODE = "\n" + textwrap.dedent(
    """\
    def read_idx(path: Path) -> np.ndarray:
        \"\"\"The uint8 array held by one gzip-compressed IDX file.\"\"\"
        with gzip.open(path, "rb") as file:
            data = file.read()
        dimensions = data[3]
        shape = [int.from_bytes(data[4 + 4 * axis : 8 + 4 * axis], "big") for axis in range(dimensions)]
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)


    # Import the data set: 60,000 training and 10,000 test images of 28x28 grey pixels, labels 0-9
    if arguments.data_dir:
        folder = Path(arguments.data_dir)
        missing = [file_name for file_name in IDX_FILES.values() if not (folder / file_name).is_file()]
        if missing:
            parser.error(f"{folder} lacks {', '.join(missing)}.")
        arrays = {key: read_idx(folder / file_name) for key, file_name in IDX_FILES.items()}
        train_images, train_labels = arrays["train_images"], arrays["train_labels"]
        test_images, test_labels = arrays["test_images"], arrays["test_labels"]
    else:
        (train_images, train_labels), (test_images, test_labels) = keras.datasets.fashion_mnist.load_data()
    """
)

EXPLORE_CODE = textwrap.dedent(
    """\
    # Explore: the arrays' shapes, the labels and the first image's pixels
    print("Training images:", train_images.shape, "labels:", train_labels.shape)
    print("Test images:", test_images.shape, "labels:", test_labels.shape)
    print("Labels run from", train_labels.min(), "to", train_labels.max(), "=", ", ".join(CLASS_NAMES))
    print(
        f"The first training image is a {CLASS_NAMES[train_labels[0]]}, "
        f"pixels from {train_images[0].min()} to {train_images[0].max()}"
    )
    """
)

PREPROCESS_CODE = textwrap.dedent(
    """\
    # Scale the pixels from 0-255 to 0-1, the range the network learns best from
    train_images = train_images.astype(np.float32) / np.float32(255)
    test_images = test_images.astype(np.float32) / np.float32(255)
    train_labels = train_labels.astype(np.int32)
    test_labels = test_labels.astype(np.int32)

    # Hold out a seeded share of the training images for validation (the app's split, image for image)
    order = np.random.default_rng(SEED).permutation(len(train_labels))
    if train_limit is not None:
        order = order[:train_limit]
    validation_count = round(len(order) * VALIDATION_FRACTION)
    validation_indices = np.sort(order[:validation_count])
    kept_indices = np.sort(order[validation_count:])
    validation_images, validation_labels = train_images[validation_indices], train_labels[validation_indices]
    train_images, train_labels = train_images[kept_indices], train_labels[kept_indices]
    print(f"Training on {len(train_labels):,} images, validating on {len(validation_labels):,}")
    """
)


def _layers_code(architecture_name: str) -> str:
    """Seed, then the model's layers."""
    return (
        "# The same start on every run: initial weights, shuffles and dropout follow the seed\n"
        "if DETERMINISTIC:\n"
        "    tf.config.experimental.enable_op_determinism()\n"
        "keras.utils.set_random_seed(SEED)\n\n"
        "# Build the layers\n"
        "model = keras.Sequential(\n"
        f"    {textwrap.indent(layer_list_source(architecture_name), '    ').lstrip()},\n"
        f"    name={json.dumps(architecture_name)},\n)\n"
    )


COMPILE_CODE = textwrap.dedent(
    """\
    # Compile: the optimizer (Adam) and its learning rate, the loss to minimise, the metric to report
    steps_per_epoch = math.ceil(len(train_labels) / BATCH_SIZE)
    learning_rate = LEARNING_RATE
    if LEARNING_RATE_SCHEDULE == "cosine":
        total_steps = max(1, steps_per_epoch * epochs)
        learning_rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, total_steps)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=STEPS_PER_EXECUTION,
        jit_compile=False,  # XLA measured slower than TensorFlow's own kernels on a CPU
    )
    model.summary()
    """
)


def _train_code(augmented: bool) -> str:
    """Fit the model, on augmented batches when the model had an augmentation."""
    if augmented:
        fit = (
            "# Train on augmented, shuffled batches built on the fly (validation images stay as they are)\n"
            "batches = make_batches(train_images, train_labels, BATCH_SIZE, AUGMENTATION_SETTINGS, SEED)\n"
            "history = model.fit(batches, epochs=epochs, validation_data=validation_data, verbose=2)\n"
        )
    else:
        fit = (
            "# Train: show the network the training images, shuffled, batch after batch, for each epoch\n"
            "history = model.fit(\n"
            "    train_images,\n"
            "    train_labels,\n"
            "    batch_size=BATCH_SIZE,\n"
            "    epochs=epochs,\n"
            "    validation_data=validation_data,\n"
            "    shuffle=True,\n"
            "    verbose=2,\n"
            ")\n"
        )
    return (
        "validation_data = (validation_images, validation_labels) if len(validation_labels) else None\n"
        "started = time.perf_counter()\n" + fit + "train_seconds = time.perf_counter() - started\n"
    )


EVALUATE_CODE = textwrap.dedent(
    """\
    # Evaluate on the 10,000 test images the network has never seen
    test_loss, test_accuracy = model.evaluate(test_images, test_labels, verbose=0)
    print(f"Test accuracy: {test_accuracy:.4f}, test loss: {test_loss:.4f}, trained in {train_seconds:.1f} s")
    """
)

PREDICT_CODE = textwrap.dedent(
    """\
    # Predict: ten probabilities per test image, the highest is the network's answer
    probabilities = model.predict(test_images, verbose=0)
    predicted_labels = probabilities.argmax(axis=1)
    print(
        f"Test image 0: predicted {CLASS_NAMES[predicted_labels[0]]} ({probabilities[0].max():.1%}), "
        f"truly {CLASS_NAMES[test_labels[0]]}"
    )
    """
)

USE_CODE = textwrap.dedent(
    """\
    # Use the trained model on one image: Keras predicts batches, so make a batch of one
    image = test_images[1]
    single_probabilities = model.predict(np.expand_dims(image, 0), verbose=0)[0]
    print(f"Test image 1 (truly {CLASS_NAMES[test_labels[1]]}):")
    for class_name, probability in zip(CLASS_NAMES, single_probabilities):
        print(f"{class_name:>12} {probability:6.1%} {'#' * round(probability * 40)}")
    """
)

SAVE_CODE = textwrap.dedent(
    """\
    # Keep the model and the figures, if asked to (written whole, then renamed into place)
    if arguments.save_model:
        model.save(arguments.save_model)
    if arguments.results_json:
        results = {
            "test_accuracy": float(test_accuracy),
            "test_loss": float(test_loss),
            "train_seconds": train_seconds,
            "parameter_count": int(model.count_params()),
            "train_count": len(train_labels),
            "history": {key: [float(value) for value in values] for key, values in history.history.items()},
        }
        temporary = Path(arguments.results_json + ".incomplete")
        temporary.write_text(json.dumps(results, indent=2), encoding="utf-8")
        os.replace(temporary, arguments.results_json)
    """
)

# The steps of the script in order, as the Lesson page follows them (its keys name them).
STEP_TITLES = {
    "setup": "Imports and settings",
    "import": "Import the data set",
    "explore": "Explore the data",
    "preprocess": "Preprocess the data",
    "layers": "Build the layers",
    "compile": "Compile the model",
    "augment": "Augmentation",
    "train": "Train the model",
    "evaluate": "Evaluate accuracy",
    "predict": "Make predictions",
    "use": "Use the trained model",
    "save": "Save the model and the figures",
}


def script_steps(
    architecture_name: str,
    hyper_parameters: HyperParameters,
    name: str | None = None,
    record: dict | None = None,
) -> list[ScriptStep]:
    """The script's steps for an architecture and its settings (and a saved model's name and record)."""
    hyper_parameters = hyper_parameters.validated()
    augmented = hyper_parameters.augmentation != "none"
    codes = {
        "setup": _header(name, architecture_name, hyper_parameters, record),
        "import": LOAD_CODE,
        "explore": EXPLORE_CODE,
        "preprocess": PREPROCESS_CODE,
        "layers": _layers_code(architecture_name),
        "compile": COMPILE_CODE,
        **({"augment": augmentation_source(hyper_parameters.augmentation)} if augmented else {}),
        "train": _train_code(augmented),
        "evaluate": EVALUATE_CODE,
        "predict": PREDICT_CODE,
        "use": USE_CODE,
        "save": SAVE_CODE,
    }
    return [ScriptStep(key, STEP_TITLES[key], code) for key, code in codes.items()]


def record_settings(record: dict) -> tuple[str, HyperParameters]:
    """(architecture, hyper-parameters) of a saved model's record; ConfigurationError if unusable."""
    architecture_name = record.get("architecture", "")
    get_architecture(architecture_name)
    return architecture_name, HyperParameters.from_dict(record.get("hyper_parameters", {})).validated()


def script_text(steps: list[ScriptStep]) -> str:
    """The whole script: its steps one after another."""
    return "\n\n".join(step.code.rstrip() for step in steps) + "\n"


def model_script(name: str) -> str:
    """The standalone script that reproduces the saved model called name."""
    entry = store.get_entry(name)
    architecture_name, hyper_parameters = record_settings(entry.saved_record)
    return script_text(script_steps(architecture_name, hyper_parameters, entry.name, entry.saved_record))


def script_file_name(name: str) -> str:
    """The file name a model's script is downloaded or written as."""
    return f"{name.replace('.', '_').replace('-', '_')}.py"


def write_script(text: str, output: Path) -> Path:
    """Write a script to output (a file, or a folder to put it in) whole, then rename it into place."""
    output = Path(output)
    if output.is_dir():
        raise FashionError(
            _("{output} is a folder; give a file name such as {example}.").format(
                output=output, example=output / "model.py"
            )
        )
    if not output.parent.is_dir():
        raise FashionError(
            _("cannot write {output}: the folder {folder} does not exist.").format(
                output=output, folder=output.parent
            )
        )
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{output.name}.", suffix=".incomplete", dir=output.parent
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, output)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise FashionError(
            _("cannot write {output}: {reason}.").format(output=output, reason=error.strerror)
        ) from None
    return output
