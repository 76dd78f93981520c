"""The registry of named architectures, their default hyper-parameters and presets.

Over 300 lines: architectures, limits and presets are one registry that pages, CLI and jobs read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from fashion.data.fashion_mnist import IMAGE_SIZE, NUM_CLASSES, TRAIN_IMAGES
from fashion.errors import ConfigurationError
from fashion.i18n import N_, _, format_number, ngettext
from fashion.training.augmentation import AUGMENTATIONS

SCHEDULES = (N_("constant"), N_("cosine"))  # marked: the Train page names them in the reader's language
# Whose own photos a run trains on: the job queue's owner, "browser-<16 hex>" or "session-<16 hex>".
OWNER_PATTERN = re.compile(r"[a-z]+-[0-9a-f]{16}")


@dataclass(frozen=True)
class Limits:
    """The values one hyper-parameter may take, and its name in a message."""

    label: str
    minimum: int | float
    maximum: int | float | None = None  # None: no upper limit here

    @property
    def range(self) -> tuple:
        """(minimum, maximum), as a number input takes them."""
        return self.minimum, self.maximum

    def check(self, value) -> None:
        """Raise ConfigurationError naming the value if it is out of range."""
        if self.maximum is None and value < self.minimum:
            raise ConfigurationError(
                _("{setting} must be at least {minimum}, not {value}.").format(
                    setting=self.label, minimum=self.minimum, value=value
                )
            )
        if self.maximum is not None and not self.minimum <= value <= self.maximum:
            raise ConfigurationError(
                _("{setting} must be between {minimum} and {maximum}, not {value}.").format(
                    setting=self.label, minimum=self.minimum, maximum=self.maximum, value=value
                )
            )


# Checked by HyperParameters.validated and used by the Train page's inputs.
LIMITS = {
    "epochs": Limits("epochs", 1, 1000),
    "batch_size": Limits("batch size", 1, TRAIN_IMAGES.full_count),
    "learning_rate": Limits("learning rate", 0.00001, 1.0),
    "seed": Limits("seed", 0, 2**31 - 1),
    "validation_fraction": Limits("validation fraction", 0.0, 0.9),
    # At most the whole training set, which the split caps it at.
    "train_limit": Limits("the number of training images", 10),
    "steps_per_execution": Limits("steps per execution", 1, 1000),
}
# The epochs a saved model is continued by (the CLI's --from, the Train page's "More epochs").
MORE_EPOCHS = Limits("more epochs", 1, 1000)


@dataclass(frozen=True)
class HyperParameters:
    """Everything that decides how a model is trained."""

    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 0.001
    seed: int = 42
    validation_fraction: float = 0.1
    train_limit: int | None = None
    schedule: str = "constant"
    steps_per_execution: int = 1
    deterministic: bool = False  # TensorFlow op determinism: the same recipe gives the same model
    augmentation: str = "none"
    # Also learn from the real labelled photos (fashion/data/real_photos.py): their classes, and their
    # "none of the ten" photos as outliers the model should be unsure about.
    real_photos: bool = False
    # Also learn from the photos this browser kept (fashion/photos/own_photos.py): the owner id, "" for none.
    # Private: never part of a recipe link, and a continuation by anyone trains without them.
    own_photos: str = ""

    def validated(self) -> HyperParameters:
        """Return self, or raise ConfigurationError naming the first value out of range."""
        for name, limits in LIMITS.items():
            value = getattr(self, name)
            if value is not None:
                limits.check(value)
        if self.schedule not in SCHEDULES:
            raise ConfigurationError(
                _("schedule must be one of {choices}, not {schedule!r}.").format(
                    choices=", ".join(SCHEDULES), schedule=self.schedule
                )
            )
        if self.own_photos and not OWNER_PATTERN.fullmatch(self.own_photos):
            raise ConfigurationError(_("own_photos must name a browser that kept photos, or be empty."))
        if self.augmentation not in AUGMENTATIONS:
            raise ConfigurationError(
                _("augmentation must be one of {choices}, not {augmentation!r}.").format(
                    choices=", ".join(AUGMENTATIONS), augmentation=self.augmentation
                )
            )
        return self

    def to_dict(self) -> dict:
        """A JSON-ready dictionary of the values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> HyperParameters:
        """Build from a dictionary, ignoring keys this version does not know."""
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        return cls(**known)


@dataclass(frozen=True)
class Architecture:
    """A named model builder with a one-line description and its default hyper-parameters."""

    name: str
    title: str
    description: str
    build_layers: Callable[[], list]
    defaults: HyperParameters


def tutorial_layers() -> list:
    """The tutorial's layers: Flatten -> Dense(128, relu) -> Dense(10, softmax)."""
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    return [
        keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ]


def cnn_layers() -> list:
    """A small convolutional net sized for a 2-core CPU: strided conv blocks, then Dense(128)."""
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    # Strided convolutions instead of full-size convolutions plus pooling: the batch norm and
    # activations then run on 14x14 and 7x7 maps, which is where a CPU spends most of its time.
    return [
        keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE)),
        keras.layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1)),
        keras.layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.Conv2D(64, 3, strides=2, padding="same", use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.Conv2D(64, 3, padding="same", use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ]


# The exact settings of the tutorial: batch 32, 10 epochs, Adam's default rate, no validation.
TUTORIAL_EXACT = HyperParameters(
    epochs=10, batch_size=32, learning_rate=0.001, validation_fraction=0.0
)

# The presets every architecture offers, by the names the Train page shows.
RECOMMENDED_PRESET = N_("Recommended (fast)")
EXACT_TUTORIAL_PRESET = N_("Exact tutorial settings")

# For users' own photos: the CNN trained on Fashion-MNIST, photo-like variants of half its images
# (fashion/training/augmentation.py) and the real photos; measured on real photos in BENCHMARKS.md
# ("Real photos"; the epochs chosen on the held-out real photos and Fashion-MNIST, never photos-dev).
PHOTO_PRESET = N_("Photo-robust CNN")
PHOTO_ROBUST = HyperParameters(
    epochs=14,
    batch_size=128,
    learning_rate=0.003,
    validation_fraction=0.1,
    schedule="cosine",
    steps_per_execution=8,
    augmentation="photo",
    real_photos=True,
)

# A "none of the ten" photo's loss pulls its probabilities towards uniform (outlier exposure,
# Hendrycks et al. 2019) with this weight, so the entropy score rises on things that are not clothes.
OUTLIER_WEIGHT = 0.5


def outlier_exposure_loss(labels, probabilities):
    """Sparse cross-entropy for labels 0-9; for label -1, cross-entropy to the uniform distribution."""
    # deferred: Keras (TensorFlow) takes seconds to import
    from keras import ops

    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    log_probabilities = ops.log(ops.clip(probabilities, 1e-7, 1.0))
    picked = ops.take_along_axis(log_probabilities, ops.expand_dims(ops.maximum(labels, 0), -1), axis=-1)
    uniform = ops.mean(log_probabilities, axis=-1)
    return ops.where(labels >= 0, -picked[:, 0], -OUTLIER_WEIGHT * uniform)


def custom_objects() -> dict:
    """The losses a compiled model may name, for keras.saving.load_model(compile=True)."""
    return {"outlier_exposure_loss": outlier_exposure_loss}

ARCHITECTURES: dict[str, Architecture] = {
    "tutorial": Architecture(
        name="tutorial",
        title=N_("Tutorial network"),
        description=N_("The tutorial's Flatten -> Dense(128, relu) -> Dense(10, softmax)."),
        build_layers=tutorial_layers,
        # Measured with the in-memory loop (BENCHMARKS.md, "Training speed"): test accuracy
        # 0.8822-0.8872 on seeds 42, 7, 1, 2, 2024; 15 epochs at batch 512 gave 0.8795 on seed 7.
        defaults=HyperParameters(
            epochs=12,
            batch_size=256,
            learning_rate=0.004,
            validation_fraction=0.1,
            schedule="cosine",
            steps_per_execution=32,
        ),
    ),
    "cnn": Architecture(
        name="cnn",
        title=N_("Small CNN"),
        description=N_("Three conv blocks (two strided) with batch norm, then Dense(128); aims at 0.92."),
        build_layers=cnn_layers,
        defaults=HyperParameters(
            epochs=7,
            batch_size=128,
            learning_rate=0.003,
            validation_fraction=0.1,
            schedule="cosine",
            steps_per_execution=8,
        ),
    ),
}


def get_architecture(name: str) -> Architecture:
    """The architecture with this name, or ConfigurationError listing the known ones."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ConfigurationError(
            _("unknown architecture {name!r}; choose one of {choices}.").format(
                name=name, choices=", ".join(ARCHITECTURES)
            )
        ) from None


def presets(architecture_name: str) -> dict[str, HyperParameters]:
    """Named hyper-parameter presets of an architecture, the recommended defaults first."""
    architecture = get_architecture(architecture_name)
    extra = {PHOTO_PRESET: PHOTO_ROBUST} if architecture.name == "cnn" else {}
    return {RECOMMENDED_PRESET: architecture.defaults, EXACT_TUTORIAL_PRESET: TUTORIAL_EXACT, **extra}


# The word a preset puts before the architecture in a model's default name ("photo-robust-cnn-...").
PRESET_NAME_PARTS = {
    RECOMMENDED_PRESET: "recommended", EXACT_TUTORIAL_PRESET: "exact", PHOTO_PRESET: "photo-robust",
}  # fmt: skip
# The settings that make a preset: a model trained longer, on a subset or with another seed keeps its preset.
PRESET_FIELDS = (
    "batch_size", "learning_rate", "validation_fraction", "schedule", "steps_per_execution", "augmentation",
    "real_photos",
)  # fmt: skip
CUSTOM_SETTINGS = N_("custom settings")


def trained_settings(record: dict | None) -> HyperParameters:
    """The hyper-parameters a saved model's record says it was trained with (defaults where missing)."""
    return HyperParameters.from_dict((record or {}).get("hyper_parameters") or {})


def preset_of_record(record: dict | None) -> str | None:
    """The preset a saved model was trained with, read from its record's settings; None for custom ones."""
    record = record or {}
    if record.get("architecture") not in ARCHITECTURES:
        return None
    trained = trained_settings(record)
    for name, preset in presets(record["architecture"]).items():
        if all(getattr(trained, field) == getattr(preset, field) for field in PRESET_FIELDS):
            return name
    return None


# The architectures' keys as captions name them ("tutorial, Recommended (fast), 7 epochs"): translated words
ARCHITECTURE_WORDS = {"tutorial": N_("tutorial"), "cnn": N_("cnn")}


def architecture_word(record: dict | None) -> str:
    """A saved model's architecture as a word in the reader's language ("?" when the record has none)."""
    key = str((record or {}).get("architecture", "?"))
    return _(ARCHITECTURE_WORDS[key]) if key in ARCHITECTURE_WORDS else key


def preset_label(record: dict | None) -> str:
    """The preset's name for lists and pickers, or "custom settings"."""
    return preset_of_record(record) or CUSTOM_SETTINGS


def training_summary(record: dict | None) -> str:
    """One line on how a saved model was trained: architecture, preset, augmentation, data and epochs."""
    record = record or {}
    training, held_out = record.get("train_count"), record.get("validation_count")
    data = (
        _("{count} training images").format(count=format_number(training))
        if isinstance(training, int)
        else _("the training images")
    )
    if isinstance(held_out, int) and held_out:
        data += _(" ({count} more held out for validation)").format(count=format_number(held_out))
    epochs = record.get("epochs_run")
    epochs_text = (
        ngettext("{count} epoch", "{count} epochs", epochs).format(count=format_number(epochs))
        if isinstance(epochs, int)
        else _("? epochs")
    )
    return _(
        "{architecture}, preset: {preset}, augmentation: {augmentation}, data: {data}, {epochs}"
    ).format(
        architecture=architecture_word(record),
        preset=_(preset_label(record)),
        augmentation=_(trained_settings(record).augmentation),
        data=data,
        epochs=epochs_text,
    )


def is_photo_model(record: dict | None) -> bool:
    """True for a model trained for users' photos: on real photos or on photo-like variants."""
    settings = trained_settings(record)
    return settings.real_photos or settings.augmentation == PHOTO_ROBUST.augmentation


def best_model_for_photos(entries: list) -> tuple:
    """Of store entries, newest first: the best for photos and why (real photos, then photo-like variants)."""
    if not entries:
        return None, ""
    for entry in entries:
        if trained_settings(entry.record).real_photos:
            return entry, N_("the newest model that learnt from real photos (Photo-robust CNN preset)")
    for entry in entries:
        if is_photo_model(entry.record):
            return entry, N_("the newest model trained for photos (Photo-robust CNN preset's augmentation)")
    return entries[0], N_("the newest model: none is trained for photos yet (Photo-robust CNN preset)")


def learnt_from_fashion_mnist_alone(record: dict | None) -> bool:
    """True for a model that saw only Fashion-MNIST images: no real photos, none of a user's own."""
    settings = trained_settings(record)
    return not settings.real_photos and not settings.own_photos


def fashion_only_and_photo_model(entries: list) -> tuple | None:
    """The best Fashion-MNIST-only model (by test accuracy) and the Photo model, or None without both."""
    photo_model, _ = best_model_for_photos(entries)
    if photo_model is None or not trained_settings(photo_model.record).real_photos:
        return None
    fashion_only = [entry for entry in entries if learnt_from_fashion_mnist_alone(entry.record)]
    if not fashion_only:
        return None
    # max keeps the first of equals, and the entries come newest first
    best = max(fashion_only, key=lambda entry: float((entry.record or {}).get("test_accuracy") or 0.0))
    return best, photo_model


def preset_named(architecture_name: str, preset_name: str) -> HyperParameters:
    """The named preset of an architecture; ConfigurationError listing the known ones."""
    known = presets(architecture_name)
    if preset_name not in known:
        raise ConfigurationError(
            _("{architecture_name} has no preset {preset_name!r}; choose one of {choices}.").format(
                architecture_name=architecture_name, preset_name=preset_name, choices=", ".join(known)
            )
        )
    return known[preset_name]


def with_overrides(hyper_parameters: HyperParameters, **overrides) -> HyperParameters:
    """A copy with the given values replaced; None means keep the current value."""
    changes = {key: value for key, value in overrides.items() if value is not None}
    return replace(hyper_parameters, **changes).validated()


def build_model(architecture_name: str, hyper_parameters: HyperParameters, steps_per_epoch: int):
    """A compiled Keras model of the architecture with Adam and sparse cross-entropy."""
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    architecture = get_architecture(architecture_name)
    learning_rate = hyper_parameters.learning_rate
    if hyper_parameters.schedule == "cosine":
        total_steps = max(1, steps_per_epoch * hyper_parameters.epochs)
        learning_rate = keras.optimizers.schedules.CosineDecay(
            hyper_parameters.learning_rate, total_steps
        )
    model = keras.Sequential(architecture.build_layers(), name=architecture_name)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=outlier_exposure_loss if hyper_parameters.real_photos else "sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=hyper_parameters.steps_per_execution,
        # XLA on the CPU is slower than TensorFlow's oneDNN kernels for both networks (figures in
        # BENCHMARKS.md, "What was tried").
        jit_compile=False,
    )
    return model
