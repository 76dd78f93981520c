"""Train: choose an architecture and settings, train in the background and watch it live."""

import streamlit as st

from fashion.data import real_photos
from fashion.errors import FashionError
from fashion.figures import descriptions, plots
from fashion.i18n import _, format_percent, ngettext
from fashion.store import model_store as store
from fashion.training.augmentation import AUGMENTATIONS, PREVIEW_VARIANTS, preview_grid, preview_indices
from fashion.training.models import ARCHITECTURES, LIMITS, with_overrides
from ui import caches, continuation, job_session, own_photos_view, photo_source, startup, training_view
from ui import recipes as recipe_view

startup.run_through_entry()
st.title(_("Train"))
st.caption(
    _(
        "Training runs in the background on the server: you can leave this page and come back, "
        "the link keeps pointing at your job."
    )
)

dataset = caches.dataset_or_error()
if dataset is None:
    st.stop()
# A recipe link (?arch=...&epochs=...) becomes a preset and is chosen once
recipe = recipe_view.recipe_from_url()
recipe_view.apply_recipe_once(recipe)

settings_column, details_column = st.columns([1, 1])
with settings_column:
    architecture = st.selectbox(
        _("Architecture"),
        list(ARCHITECTURES),
        format_func=lambda name: _(ARCHITECTURES[name].title),
        key="train_architecture",
    )
    st.caption(_(ARCHITECTURES[architecture].description))
    # One preset choice per architecture, and one set of inputs per preset: each starts at its
    # preset's values, and no callback has to copy values into widgets the browser may still hold.
    available_presets = recipe_view.presets_with_recipe(architecture, recipe)
    preset_widget = recipe_view.preset_widget_key(architecture)
    if st.session_state.get(preset_widget) not in (None, *available_presets):
        del st.session_state[preset_widget]  # the recipe's preset, without its link now
    preset_name = st.selectbox(_("Preset"), list(available_presets), format_func=_, key=preset_widget)
    preset = available_presets[preset_name]
    st.caption(
        _("Validation hold-out {fraction}, {schedule} learning rate, {batches} per step.").format(
            fraction=format_percent(preset.validation_fraction, decimals=0),
            schedule=_(preset.schedule),
            batches=ngettext("{count} batch", "{count} batches", preset.steps_per_execution).format(
                count=preset.steps_per_execution
            ),
        )
    )
    own_photos_owner = ""
    if preset.real_photos:
        photo_source.show_photo_source()
        own_photos_owner = own_photos_view.include_switch()
with details_column:
    preset_key = recipe_view.preset_key(architecture, preset_name)
    epochs_column, batch_column = st.columns(2)
    epochs = epochs_column.number_input(
        _("Epochs"), *LIMITS["epochs"].range, value=preset.epochs, step=1, key=f"train_epochs_{preset_key}"
    )
    batch_size = batch_column.number_input(
        _("Batch size"),
        *LIMITS["batch_size"].range,
        value=preset.batch_size,
        step=32,
        key=f"train_batch_size_{preset_key}",
    )
    rate_column, seed_column = st.columns(2)
    learning_rate = rate_column.number_input(
        _("Learning rate"),
        *LIMITS["learning_rate"].range,
        value=float(preset.learning_rate),
        step=0.0005,
        format="%.5f",
        key=f"train_learning_rate_{preset_key}",
    )
    seed = seed_column.number_input(
        _("Seed"), *LIMITS["seed"].range, value=preset.seed, step=1, key=f"train_seed_{preset_key}"
    )
    subset_column, name_column = st.columns(2)
    use_subset = subset_column.checkbox(_("Train on a subset"), key="train_use_subset")
    subset_size = subset_column.number_input(
        _("Training images"),
        LIMITS["train_limit"].minimum,
        len(dataset.train_labels),
        value=min(10000, len(dataset.train_labels)),
        step=1000,
        key="train_subset_size",
        disabled=not use_subset,
    )
    model_name = name_column.text_input(
        _("Model name (optional)"),
        key="train_model_name",
        placeholder=store.default_name(architecture, preset_name),
    )
    deterministic = recipe_view.reproducible_checkbox()
    gpus = job_session.gpu_choice()
    augmentation_name = st.selectbox(
        _("Augmentation"),
        list(AUGMENTATIONS),
        index=list(AUGMENTATIONS).index(preset.augmentation),
        key=f"train_augmentation_{preset_key}",
        format_func=_,
        help=_("photo: train on photo-like variants of half the images (for the Try page's photos)"),
    )
    if AUGMENTATIONS[augmentation_name] is not None:
        with st.expander(_("Preview of augmented samples")):
            grid = preview_grid(
                dataset.train_images,
                AUGMENTATIONS[augmentation_name],
                seed=int(seed),
                labels=dataset.train_labels,
            )
            shown = preview_indices(len(dataset.train_labels), int(seed))
            caption = _("Top row: training images; below: augmented versions")
            st.image(
                plots.pixel_image(grid, 2),
                caption=caption,
                alt=descriptions.augmentation_preview_description(
                    shown, dataset.train_labels[shown], PREVIEW_VARIANTS, augmentation_name
                ),
            )


try:
    hyper_parameters = with_overrides(
        preset,
        epochs=int(epochs),
        batch_size=int(batch_size),
        learning_rate=float(learning_rate),
        seed=int(seed),
        train_limit=int(subset_size) if use_subset else None,
        deterministic=deterministic,
        augmentation=augmentation_name,
        own_photos=own_photos_owner,
    )
    settings_error = None
except FashionError as error:
    hyper_parameters, settings_error = None, error

if st.button(_("Start training"), key="train_start", type="primary", icon=":material/play_arrow:"):
    try:
        if settings_error is not None:
            raise settings_error
        if hyper_parameters.real_photos and not real_photos.available_count():
            raise FashionError(_("No real photos to learn from.") + " " + real_photos.fix_hint())
        typed = model_name.strip()
        clean_name = store.sanitize_name(typed) if typed else store.default_name(architecture, preset_name)
    except FashionError as error:
        st.error(str(error))
    else:
        job_session.start_training_job(architecture, hyper_parameters, dataset, clean_name, gpus=gpus)

if hyper_parameters is not None:
    with st.expander(_("Share this recipe"), icon=":material/link:"):
        recipe_view.share_link(architecture, hyper_parameters)
continuation.show_continue_form(dataset)

job_id = job_session.current_job_id()
if job_id:
    # A running job found without a link gets one, so its results stay here once it ends
    st.query_params[job_session.JOB_QUERY_PARAMETER] = job_id
    st.divider()
    st.header(_("Training job"))
    training_view.show_job(job_id)
