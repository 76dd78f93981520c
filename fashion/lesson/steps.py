"""The Lesson: the tutorial's steps in order, each with its explanation, its code and where to go deeper."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fashion.i18n import N_, _, format_number
from fashion.training.models import HyperParameters


@dataclass(frozen=True)
class LessonStep:
    """One step: the model_code step whose code it shows, its title, what it does, the page going deeper."""

    key: str
    title: str
    explanation: str
    deeper_page: str
    deeper_label: str


LESSON_STEPS = (
    LessonStep(
        "import",
        N_("Import the data set"),
        N_(
            "Fashion-MNIST is 70,000 small grey pictures of clothing, 28 by 28 pixels, each "
            "labelled with one of "
            "ten classes. Keras ships a loader for it; here the same four files are read straight from disk. "
            "Sixty thousand images are for learning, ten thousand are kept aside to test what was learnt."
        ),
        "pages/explore.py",
        N_("Explore the data: the class table and counts"),
    ),
    LessonStep(
        "explore",
        N_("Explore the data"),
        N_(
            "Before training anything, look at what the network will see: a label is only a number "
            "from 0 to 9, "
            "so the class names are kept in a list beside it. An image is a grid of numbers from 0 "
            "(black) to "
            "255 (white), which the colour bar of the first image shows."
        ),
        "pages/explore.py",
        N_("Explore the data: any sample large, filtered by class"),
    ),
    LessonStep(
        "preprocess",
        N_("Preprocess the data"),
        N_(
            "Networks learn best from small numbers, so every pixel is divided by 255 to lie "
            "between 0 and 1; "
            "the test images get exactly the same treatment. A share of the training images is held out as a "
            "validation set, to watch for over-fitting while training."
        ),
        "pages/explore.py",
        N_("Explore the data: a sample's raw and scaled pixel values"),
    ),
    LessonStep(
        "layers",
        N_("Build the layers"),
        N_(
            "A model is a stack of layers. Each one turns its input into a new representation; the last one "
            "gives ten numbers, one per class, that add up to 1. The parameters are the weights training "
            "will adjust."
        ),
        "pages/train.py",
        N_("Train: the tutorial's network or a small CNN"),
    ),
    LessonStep(
        "compile",
        N_("Compile the model"),
        N_(
            "Compiling chooses how the model learns: the optimizer (Adam) and its learning rate, the loss it "
            "tries to make small (cross-entropy between its ten probabilities and the true class), and the "
            "metric reported along the way (accuracy)."
        ),
        "pages/train.py",
        N_("Train: presets, learning rate and schedule"),
    ),
    LessonStep(
        "train",
        N_("Train the model"),
        N_(
            "Training shows the network the training images in shuffled batches; after each batch the "
            "optimizer nudges the weights to reduce the loss. One pass over all images is an epoch. The "
            "curves below gain a point per epoch: loss going down, accuracy going up, on the training and "
            "the validation images."
        ),
        "pages/train.py",
        N_("Train: live progress, Stop, continue a model"),
    ),
    LessonStep(
        "evaluate",
        N_("Evaluate accuracy"),
        N_(
            "The real test is on images the network never saw. Test accuracy a little below training "
            "accuracy is normal; far below would mean the network memorised its training images "
            "(over-fitting)."
        ),
        "pages/predictions.py",
        N_("Predictions: per-class accuracy and the confusion matrix"),
    ),
    LessonStep(
        "predict",
        N_("Make predictions"),
        N_(
            "For each image the model gives ten probabilities; the highest is its answer. The chart shows "
            "them for the first test image: blue where the answer is right, red where it is wrong."
        ),
        "pages/predictions.py",
        N_("Predictions: the gallery and every mistake"),
    ),
    LessonStep(
        "use",
        N_("Use the trained model"),
        N_(
            "Keras predicts batches, so a single image becomes a batch of one. This is what an app does with "
            "one new picture: the same scaling, one forward pass, ten probabilities."
        ),
        "pages/try_image.py",
        N_("Try your own image: a photo through the same model"),
    ),
)


def layer_rows(model) -> list[dict]:
    """The model's summary: each layer's name, kind, output shape and parameter count."""
    return [
        {
            N_("layer"): layer.name,
            N_("kind"): type(layer).__name__,
            N_("output shape"): str(tuple(layer.output.shape)).replace("None", _("batch")),
            N_("parameters"): f"{layer.count_params():,}",
        }
        for layer in model.layers
    ]


def split_counts(image_count: int, hyper_parameters: HyperParameters) -> tuple[int, int]:
    """(training, validation) image counts of the seeded split fashion.training.run makes."""
    used = min(image_count, hyper_parameters.train_limit or image_count)
    validation_count = int(round(used * hyper_parameters.validation_fraction))
    return used - validation_count, validation_count


def compile_rows(hyper_parameters: HyperParameters, train_count: int) -> list[dict]:
    """The compile and fit settings as (setting, value) rows, the learning-rate schedule spelled out."""
    steps_per_epoch = math.ceil(train_count / hyper_parameters.batch_size)
    schedule = (
        _("cosine decay from {rate} to 0 over {steps} steps").format(
            rate=f"{hyper_parameters.learning_rate:g}",
            steps=format_number(steps_per_epoch * hyper_parameters.epochs),
        )
        if hyper_parameters.schedule == "cosine"
        else _("constant {rate}").format(rate=f"{hyper_parameters.learning_rate:g}")
    )
    return [
        {N_("setting"): _("optimizer"), N_("value"): "Adam"},
        {N_("setting"): _("learning rate"), N_("value"): schedule},
        {N_("setting"): _("loss"), N_("value"): _("sparse categorical cross-entropy")},
        {N_("setting"): _("metric"), N_("value"): _("accuracy")},
        {
            N_("setting"): _("batch size"),
            N_("value"): _("{batch_size} ({batches} batches an epoch)").format(
                batch_size=hyper_parameters.batch_size, batches=format_number(steps_per_epoch)
            ),
        },
        {N_("setting"): _("epochs"), N_("value"): str(hyper_parameters.epochs)},
        {N_("setting"): _("seed"), N_("value"): str(hyper_parameters.seed)},
        {N_("setting"): _("augmentation"), N_("value"): _(hyper_parameters.augmentation)},
    ]
