"""The Lesson page's pieces: the model it follows, and each step's explanation, code, live result and link."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fashion.data.fashion_mnist import CLASS_NAMES, dataset_summary, scale_images
from fashion.figures import descriptions
from fashion.i18n import _, current_language, format_number, format_percent, ngettext
from fashion.lesson import model_code
from fashion.lesson import steps as lesson
from fashion.lesson.steps import compile_rows, layer_rows, split_counts
from fashion.training.evaluation import summarize
from fashion.training.models import RECOMMENDED_PRESET, HyperParameters, build_model, presets
from fashion.training.tensorflow_setup import configure_tensorflow
from ui import caches
from ui.model_code_view import CODE_LANGUAGE, show_model_code
from ui.model_pages import no_model_panel
from ui.training_view import show_history_charts

MODEL_KEY = "lesson_model"
FIRST_IMAGES = 25  # the tutorial's 5x5 grid of the first training images
PREDICTED_INDEX = 0  # the test image of the step "predict"
SINGLE_INDEX = 1  # the test image of the step "use", as in the tutorial


def choose_model():
    """A picker of the saved models (the one chosen elsewhere first); None when there is none yet."""
    models = caches.saved_models()
    if not models:
        return None
    names = [entry.name for entry in models]
    if st.session_state.get(MODEL_KEY) not in names:
        active = caches.active_entry()
        st.session_state[MODEL_KEY] = active.name if active is not None else names[0]
    name = st.selectbox(_("Model the lesson follows"), names, key=MODEL_KEY)
    return models[names.index(name)]


def table(rows: list[dict]) -> None:
    """A small static table, its first column as the row names."""
    frame = pd.DataFrame(rows).rename(columns=_)
    st.table(frame.set_index(frame.columns[0]))


@st.cache_data(show_spinner=False, max_entries=4)
def explore_pngs(source: str, language: str = "en") -> tuple[bytes, bytes]:
    """The first training image with its colour bar, and the first 25 with their class names, as PNGs."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.figures import plots

    dataset = caches.cached_dataset(source)
    first = plots.image_with_colorbar(
        dataset.train_images[0], f"#0: {_(CLASS_NAMES[dataset.train_labels[0]])}"
    )
    grid = plots.sample_grid(dataset.train_images[:FIRST_IMAGES], dataset.train_labels[:FIRST_IMAGES])
    return plots.figure_to_png(first), plots.figure_to_png(grid, dpi=72)


@st.cache_resource(show_spinner=False, max_entries=2)
def untrained_model(architecture: str, settings: tuple):
    """The architecture's layers, built but not trained, for the summary before any model exists."""
    configure_tensorflow()
    return build_model(architecture, HyperParameters.from_dict(dict(settings)), 1)


@st.cache_data(show_spinner=False, max_entries=8)
def prediction_pngs(identity: tuple, source: str, language: str = "en") -> tuple[bytes, bytes]:
    """The step "predict"'s image and bars (test image 0) and the step "use"'s bar chart (test image 1)."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.figures import plots

    probabilities = caches.test_probabilities(*identity, source)
    labels = caches.cached_dataset(source).test_labels
    images = caches.cached_dataset(source).test_images
    pair = plots.prediction_pair(
        images[PREDICTED_INDEX], probabilities[PREDICTED_INDEX], int(labels[PREDICTED_INDEX])
    )
    bars = plots.value_bar_chart(probabilities[SINGLE_INDEX], int(labels[SINGLE_INDEX]))
    return plots.figure_to_png(pair), plots.figure_to_png(bars)


def show_result(title: str | None = None):
    """A bordered box for a step's live result, titled ("Result" unless said)."""
    box = st.container(border=True)
    box.markdown("**" + (title or _("Result")) + "**")
    return box


def show_lesson(dataset, entry) -> None:
    """Every step of the lesson for a saved model (entry) or, with None, the tutorial's network untrained."""
    if entry is not None:
        architecture, hyper_parameters = model_code.record_settings(entry.record)
        steps = model_code.script_steps(architecture, hyper_parameters, entry.name, entry.record)
    else:
        architecture, hyper_parameters = "tutorial", presets("tutorial")[RECOMMENDED_PRESET]
        steps = model_code.script_steps(architecture, hyper_parameters)
    codes = {step.key: step.code for step in steps}
    with st.expander(_("Imports and settings (the top of the script)"), icon=":material/settings:"):
        st.code(codes["setup"], language=CODE_LANGUAGE, wrap_lines=True)
    if entry is not None:
        show_model_code(entry, "lesson")
    results = {
        "import": lambda: show_import(dataset),
        "explore": lambda: show_explore(dataset),
        "preprocess": lambda: show_preprocess(dataset, entry, hyper_parameters),
        "layers": lambda: show_layers(entry, architecture, hyper_parameters),
        "compile": lambda: show_compile(dataset, entry, hyper_parameters),
        "train": lambda: show_train(entry, codes.get("augment")),
        "evaluate": lambda: show_evaluate(dataset, entry),
        "predict": lambda: show_predict(dataset, entry),
        "use": lambda: show_use(dataset, entry),
    }
    for number, step in enumerate(lesson.LESSON_STEPS, start=1):
        heading = _("Step {number}: {title}").format(number=number, title=_(step.title))
        st.header(heading, anchor=f"step-{step.key}")
        st.markdown(_(step.explanation))
        st.code(codes[step.key], language=CODE_LANGUAGE, wrap_lines=True)
        with show_result():
            results[step.key]()
        st.page_link(
            step.deeper_page,
            label=_("Go deeper: {page}").format(page=_(step.deeper_label)),
            icon=":material/arrow_forward:"
        )


def show_import(dataset) -> None:
    """The arrays' shapes, types and value ranges, and the class names."""
    table(dataset_summary(dataset))
    named = _(", ").join(f"{label} {_(name)}" for label, name in enumerate(CLASS_NAMES))
    st.markdown(_("Labels 0-9 stand for: {names}.").format(names=named))


def show_explore(dataset) -> None:
    """The first image with its colour bar, and the first 25 with their class names."""
    first_png, grid_png = explore_pngs(caches.data_key(), current_language())
    image_column, grid_column = st.columns([2, 3])
    image_column.image(
        first_png,
        caption=_("The first training image"),
        alt=descriptions.sample_image_description(0, int(dataset.train_labels[0]), dataset.train_images[0]),
    )
    indices = list(range(min(FIRST_IMAGES, len(dataset.train_labels))))
    grid_column.image(
        grid_png,
        caption=_("The first {count} training images").format(count=len(indices)),
        alt=descriptions.sample_grid_description(dataset.train_labels[indices], indices),
    )


def show_preprocess(dataset, entry, hyper_parameters) -> None:
    """The first image's pixel range before and after scaling, and the split's image counts."""
    first = dataset.train_images[0]
    scaled = scale_images(first)
    if entry is not None and "train_count" in entry.record:
        train_count, validation_count = entry.record["train_count"], entry.record.get("validation_count", 0)
    else:
        train_count, validation_count = split_counts(len(dataset.train_labels), hyper_parameters)
    table(
        [
            {"": _("first image's pixels"), _("before"): f"{first.min()}-{first.max()} ({first.dtype})",
             _("after"): f"{scaled.min():.2f}-{scaled.max():.2f} ({scaled.dtype})"},
            {"": _("images"),
             _("before"): _("{count} training").format(count=format_number(len(dataset.train_labels))),
             _("after"): _("{training} training + {validation} validation").format(
                 training=format_number(train_count), validation=format_number(validation_count))},
        ]
    )


def show_layers(entry, architecture: str, hyper_parameters) -> None:
    """The model's summary: layers, output shapes and parameters."""
    if entry is not None:
        model = caches.cached_model(*caches.model_identity(entry))
        st.caption(_("The layers of **{name}**.").format(name=entry.name))
    else:
        with st.spinner(_("Building the network…")):
            model = untrained_model(architecture, tuple(sorted(hyper_parameters.to_dict().items())))
        st.caption(_("The tutorial's network, built but not trained yet."))
    table(layer_rows(model))
    st.metric(_("Parameters"), format_number(model.count_params()))


def show_compile(dataset, entry, hyper_parameters) -> None:
    """The optimizer, learning rate, loss, metric, batch size and epochs."""
    if entry is not None and "train_count" in entry.record:
        train_count = entry.record["train_count"]
    else:
        train_count = split_counts(len(dataset.train_labels), hyper_parameters)[0]
    table(compile_rows(hyper_parameters, train_count))


def show_train(entry, augmentation_code: str | None) -> None:
    """The saved model's per-epoch curves, or the offer to train the tutorial's network live."""
    if augmentation_code:
        with st.expander(_("The augmentation, written out")):
            st.code(augmentation_code, language=CODE_LANGUAGE, wrap_lines=True)
    if entry is None:
        no_model_panel("lesson")
        return
    record = entry.record
    history = record.get("history", [])
    st.caption(
        ngettext(
            "{count} epoch in {seconds} s on {images} images.",
            "{count} epochs in {seconds} s on {images} images.",
            len(history),
        ).format(
            count=len(history),
            seconds=format_number(record.get("train_seconds", 0), decimals=0),
            images=format_number(record.get("train_count", 0)),
        )
    )
    parent = record.get("parent")
    continued_after = len(history) - record.get("continued_epochs", len(history)) if parent else 0
    show_history_charts(history, continued_after, parent)


def no_model_yet() -> None:
    """Say that a result waits for a trained model."""
    st.info(
        _("Train the model in step 6 first; this result then shows here."), icon=":material/hourglass_top:"
    )


def show_evaluate(dataset, entry) -> None:
    """The test accuracy and loss of the model, computed on the test set loaded here."""
    if entry is None:
        no_model_yet()
        return

    with caches.predicting_spinner():
        probabilities = caches.test_probabilities(*caches.model_identity(entry), caches.data_key())
    evaluation = summarize(probabilities, dataset.test_labels)
    accuracy_column, loss_column = st.columns(2)
    accuracy_column.metric(_("Test accuracy"), format_percent(evaluation.accuracy))
    loss_column.metric(_("Test loss"), format_number(evaluation.loss, decimals=4))
    st.caption(_("On {count} test images.").format(count=format_number(len(dataset.test_labels))))


def show_predict(dataset, entry) -> None:
    """Test image 0 with the model's ten probabilities."""
    if entry is None:
        no_model_yet()
        return

    probabilities = caches.test_probabilities(*caches.model_identity(entry), caches.data_key())
    pair_png, _bars_png = prediction_pngs(caches.model_identity(entry), caches.data_key(), current_language())
    st.image(
        pair_png,
        caption=_("Test image {index} and its probabilities").format(index=PREDICTED_INDEX),
        alt=descriptions.prediction_pair_description(
            PREDICTED_INDEX, probabilities[PREDICTED_INDEX], int(dataset.test_labels[PREDICTED_INDEX])
        ),
    )


def show_use(dataset, entry) -> None:
    """One image, as a batch of one, and the bars of its ten probabilities."""
    if entry is None:
        no_model_yet()
        return
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.figures import plots

    probabilities = caches.test_probabilities(*caches.model_identity(entry), caches.data_key())
    _pair_png, bars_png = prediction_pngs(caches.model_identity(entry), caches.data_key(), current_language())
    image_column, bars_column = st.columns([1, 3])
    image = dataset.test_images[SINGLE_INDEX]
    image_column.image(
        plots.pixel_image(image, 6),
        caption=_("Test image {index}").format(index=SINGLE_INDEX),
        alt=descriptions.model_input_description(image),
    )
    bars_column.image(
        bars_png,
        caption=_("Its ten probabilities"),
        alt=descriptions.bar_chart_description(
            probabilities[SINGLE_INDEX], int(dataset.test_labels[SINGLE_INDEX])
        ),
    )
