"""Try your own image: a photo or a test image, each preprocessing step, and what the model predicts."""

import random

import streamlit as st

from fashion.data.fashion_mnist import CLASS_NAMES, scale_images
from fashion.errors import FashionError, ImageError
from fashion.figures import descriptions, plots
from fashion.i18n import _, format_number, format_percent
from fashion.photos import ood
from fashion.photos import pipeline as photo
from fashion.training import inference
from ui import caches, explanations, figure_view, model_choice, model_pages, own_photos_view, two_models_view

PHOTO_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif"]

dataset, models = model_pages.start_model_page(_("Try your own image"), "try")
entry = model_choice.try_model_picker(models)
st.caption(_("Best results: one item, centred, on a plain background, like the Fashion-MNIST photos."))


def choose_source(source: str) -> None:
    """Remember which input the user touched last."""
    st.session_state["try_source"] = source


def pick_random_test_image() -> None:
    """Choose a random image of the test set."""
    st.session_state["try_source"] = "random"
    st.session_state["try_random_index"] = random.randrange(len(dataset.test_labels))


upload_column, camera_column = st.columns(2)
uploaded = upload_column.file_uploader(
    _("Upload a photo of one clothing item"),
    type=PHOTO_TYPES,
    key="try_upload",
    on_change=choose_source,
    args=("upload",),
)
upload_column.button(
    _("Random test image"), key="try_random", on_click=pick_random_test_image, icon=":material/casino:"
)
taken = None
if camera_column.toggle(_("Use the camera"), key="try_use_camera"):
    taken = camera_column.camera_input(
        _("Take a photo"), key="try_camera", on_change=choose_source, args=("camera",)
    )

own_photos_view.show_my_photos()

# Decide what to classify: the input touched last that still holds something
source = st.session_state.get("try_source")
true_label = None
if source == "random" and "try_random_index" in st.session_state:
    test_index = st.session_state["try_random_index"]
    model_input = dataset.test_images[test_index]
    true_label = int(dataset.test_labels[test_index])
    st.subheader(_("Test image #{index} ({name})").format(index=test_index, name=_(CLASS_NAMES[true_label])))
    st.caption(_("Test images are already 28x28, light item on black: only test-time augmentation applies."))
else:
    chosen_file = taken if source == "camera" and taken is not None else uploaded or taken
    if chosen_file is None:
        st.info(_("Upload a photo, take one with the camera, or pick a random test image."))
        st.stop()

# A switch for each step of the photo pipeline; changing one re-runs the prediction
switch_columns = st.columns(2)  # two by two: four in a row cut their names short at a 1024 px window
switches = {
    step.name: switch_columns[number % 2].toggle(
        _(step.title), value=True, key=f"try_step_{step.name}", help=_(step.description)
    )
    for number, step in enumerate(photo.STEPS)
}
if source == "random" and "try_random_index" in st.session_state:
    prepared = None
    scaled = scale_images(model_input)
    batch = photo.tta_batch(scaled) if switches["tta"] else scaled[None]
else:
    try:
        prepared = photo.prepare_photo(chosen_file.getvalue(), switches)
    except ImageError as error:
        st.error(_("{file} cannot be used: {error}").format(file=chosen_file.name, error=error))
        st.stop()
    model_input, batch = prepared.image, prepared.batch

    # Each step, from the photo to the 28x28 input: the item outlined, the item alone, the input
    st.subheader(_("From the photo to the model's input"))
    width, height = prepared.original_size
    st.caption(
        _("{file}: {width}x{height} pixels.").format(
            file=chosen_file.name, width=format_number(width), height=format_number(height)
        )
    )
    step_columns = st.columns(max(4, len(prepared.pictures)))
    # Four columns at least: fewer steps leave the last ones empty
    columns_and_steps = zip(step_columns, prepared.pictures, strict=False)
    for number, (column, (title, step_image)) in enumerate(columns_and_steps, start=1):
        shown = plots.pixel_image(step_image, 6) if step_image.shape[:2] == (28, 28) else step_image
        step_height, step_width = step_image.shape[:2]
        step_text = _("Step {number} of {count}: {title}, {width}x{height} pixels.").format(
            number=number, count=len(prepared.pictures), title=_(title), width=step_width, height=step_height
        )
        column.image(shown, caption=_(title), width="stretch", alt=step_text)
    for warning in prepared.warnings:
        st.warning(_(warning))

# The prediction: the model input, the bar chart (tutorial colours only for a known class), the top 3
try:
    with st.spinner(_("Loading the model and calibrating its 'none of the ten' score…")):
        model = caches.cached_model(*caches.model_identity(entry))
        calibration = caches.ood_calibration(
            *caches.model_identity(entry), caches.data_key(), switches["tta"]
        )
except FashionError as error:
    st.error(str(error))
    st.stop()
prediction = ood.predict_photo(model, batch, calibration)
probabilities = prediction.probabilities
st.subheader(_("Prediction"))
if len(batch) > 1:
    st.caption(
        _("The average over the input and its {count} test-time variants.").format(count=len(batch) - 1)
    )
if prediction.out_of_distribution:
    doubt, doubt_numbers = descriptions.photo_doubt_message(
        prediction.ood_score, prediction.ood_threshold, calibration.calibrated_on_text()
    )
    st.warning(doubt, icon=":material/help:")
    st.caption(_("How unsure, in numbers"), help=doubt_numbers)
input_column, chart_column, top_column = st.columns([1, 2, 1])
input_column.image(
    plots.pixel_image(model_input, 8),
    caption=_("The 28x28 model input, enlarged"),
    alt=descriptions.model_input_description(model_input),
)
with chart_column:
    figure_view.show_figure(
        plots.value_bar_chart(probabilities, true_label),
        alt=descriptions.bar_chart_description(probabilities, true_label),
    )
with top_column:
    for rank, (_label, name, probability) in enumerate(inference.top_classes(probabilities), start=1):
        st.progress(probability, text=f"{rank}. {_(name)}: {format_percent(probability, decimals=1)}")
    if true_label is not None:
        verdict = _("right") if int(probabilities.argmax()) == true_label else _("wrong")
        st.markdown(
            _("The true class is **{name}**: the model is {verdict}.").format(
                name=_(CLASS_NAMES[true_label]), verdict=verdict
            )
        )
if prepared is not None:
    own_photos_view.show_keep_form(chosen_file.getvalue(), int(probabilities.argmax()))
unsure = inference.unsure_warning(probabilities)
if unsure and not prediction.out_of_distribution:
    st.warning(unsure)
two_models_view.show_two_models(models, batch, switches["tta"], true_label)
model_choice.try_another_model(models, entry)

# Why: saliency, the nearest training images and the map, on request; the training images' features
# it needs are started now, while the user reads the prediction
explanations.neighbour_build(caches.model_identity(entry), caches.data_key())
explanations.show_photo_explanation(
    caches.model_identity(entry), caches.data_key(), model_input, true_label, averaged_over=len(batch)
)
