"""Explore the data: shapes, classes, a sample grid, one sample's pixels and each class's mean image."""

import random

import streamlit as st

from fashion.data.fashion_mnist import (
    CLASS_NAMES,
    TEST_IMAGES,
    TRAIN_IMAGES,
    class_counts,
    dataset_summary,
    mean_images,
    sample_indices,
    scale_images,
)
from fashion.figures import descriptions
from fashion.figures.tables import pixel_table_html
from fashion.i18n import _, current_language, format_number
from ui import caches, next_steps, startup

SAMPLE_GRID_WIDTH = 640  # pixels; drawn at this size, since Streamlit would shrink a wider PNG on every run

startup.run_through_entry()
st.title(_("Explore the data"))
st.caption(
    _(
        "Fashion-MNIST: {total} grayscale 28x28 images of clothing in 10 classes, "
        "{train} for training and {test} for testing."
    ).format(
        total=format_number(TRAIN_IMAGES.full_count + TEST_IMAGES.full_count),
        train=format_number(TRAIN_IMAGES.full_count),
        test=format_number(TEST_IMAGES.full_count),
    )
)
next_steps.start_here()
st.session_state.setdefault("explore_seed", 0)

dataset = caches.dataset_or_error()
if dataset is None:
    st.stop()


# Figures are kept on disk across server restarts (persist="disk") and matplotlib is imported only
# to draw one that is not there yet: that keeps the app's first page quick to appear.
@st.cache_data(show_spinner=False, persist="disk")
def overview_pngs(source: str, language: str) -> tuple[bytes, bytes]:
    """The class count chart and the mean image grid as PNG bytes, in this language."""
    from fashion.figures import plots

    data = caches.cached_dataset(source)
    counts = plots.figure_to_png(plots.class_count_chart(class_counts(data.train_labels)))
    means = plots.figure_to_png(plots.mean_image_grid(mean_images(data.train_images, data.train_labels)))
    return counts, means


@st.cache_data(show_spinner=False, persist="disk", max_entries=200)
def sample_grid_png(
    source: str, classes: tuple[int, ...], seed: int, language: str
) -> tuple[bytes, list[int]]:
    """A 5x5 grid of random training images of the chosen classes, with their indices (in this language)."""
    from fashion.figures import plots

    data = caches.cached_dataset(source)
    indices = sample_indices(data.train_labels, 25, seed, list(classes))
    figure = plots.sample_grid(data.train_images[indices], data.train_labels[indices], indices=indices)
    dpi = SAMPLE_GRID_WIDTH / figure.get_figwidth()
    return plots.figure_to_png(figure, dpi=dpi), [int(index) for index in indices]


@st.cache_data(show_spinner=False, persist="disk", max_entries=200)
def sample_png(source: str, index: int, language: str) -> bytes:
    """One training image with its colour bar, as PNG bytes (its title in this language)."""
    from fashion.figures import plots

    data = caches.cached_dataset(source)
    title = f"#{index}: {_(CLASS_NAMES[data.train_labels[index]])}"
    return plots.figure_to_png(plots.image_with_colorbar(data.train_images[index], title))


def markdown_table(rows: list[dict]) -> str:
    """A small table as Markdown (no pandas needed for a handful of rows), its headers translated."""
    header = list(rows[0])
    lines = ["| " + " | ".join(_(column) for column in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row[column]) for column in header) + " |" for row in rows]
    return "\n".join(lines)


counts_png, means_png = overview_pngs(caches.data_key(), current_language())

# Shapes and label ranges, as the tutorial prints them
st.header(_("Shapes"))
st.markdown(markdown_table(dataset_summary(dataset)))
st.caption(_("Loaded from {source}.").format(source=dataset.source))

# The class table and how many images each class has
st.header(_("Classes"))
table_column, chart_column = st.columns([2, 3])
with table_column:
    train_counts, test_counts = class_counts(dataset.train_labels), class_counts(dataset.test_labels)
    st.markdown(
        markdown_table(
            [
                {
                    _("label"): label,
                    _("class"): _(name),
                    _("training images"): format_number(train_counts[label]),
                    _("test images"): format_number(test_counts[label]),
                }
                for label, name in enumerate(CLASS_NAMES)
            ]
        )
    )
with chart_column:
    st.image(
        counts_png,
        caption=_("Training images per class"),
        alt=descriptions.class_count_description(train_counts),
    )

# A 5x5 grid of random samples, like the tutorial's first 25 images
st.header(_("Samples"))
filter_column, button_column = st.columns([4, 1], vertical_alignment="bottom")
chosen_names = filter_column.multiselect(
    _("Show only these classes"),
    CLASS_NAMES,
    format_func=_,
    key="explore_class_filter",
    placeholder=_("All classes"),
)
if button_column.button(_("New random samples"), key="explore_new_samples", icon=":material/shuffle:"):
    st.session_state["explore_seed"] += random.randrange(1, 1_000_000)
chosen_classes = tuple(CLASS_NAMES.index(name) for name in chosen_names)
grid_png, grid_indices = sample_grid_png(
    caches.data_key(), chosen_classes, st.session_state["explore_seed"], current_language()
)
shown_classes = _(", ").join(_(name) for name in chosen_names) if chosen_names else _("all classes")
st.markdown(
    _("Showing {count} training images of {classes}.").format(count=len(grid_indices), classes=shown_classes)
)
st.image(
    grid_png,
    width=SAMPLE_GRID_WIDTH,
    alt=descriptions.sample_grid_description(dataset.train_labels[grid_indices], grid_indices),
)
st.expander(_("The samples as text")).markdown(
    "\n".join(f"- #{index}: {_(CLASS_NAMES[dataset.train_labels[index]])}" for index in grid_indices)
)

# One sample, large, with its pixel values; a new class filter moves it to the filtered grid's first image
st.header(_("One sample"))
st.session_state.setdefault("explore_sample_index", grid_indices[0] if grid_indices else 0)
if st.session_state.get("explore_sample_filter", ()) != chosen_classes:
    st.session_state["explore_sample_filter"] = chosen_classes
    shown_index = st.session_state["explore_sample_index"]
    if grid_indices and chosen_classes and int(dataset.train_labels[shown_index]) not in chosen_classes:
        st.session_state["explore_sample_index"] = grid_indices[0]
sample_index = st.number_input(
    _("Training image index (the # under each image above)"),
    min_value=0,
    max_value=len(dataset.train_labels) - 1,
    step=1,
    key="explore_sample_index",
)
sample = dataset.train_images[sample_index]
st.image(
    sample_png(caches.data_key(), int(sample_index), current_language()),
    width=420,
    alt=descriptions.sample_image_description(
        int(sample_index), int(dataset.train_labels[sample_index]), sample
    ),
)
# The 28x28 values under the image, at the page's full width; the table scrolls where a window is narrow
st.caption(
    _("Its 28x28 pixel values. If the table is cut off on the right or at the bottom, scroll inside it.")
)
raw_tab, scaled_tab = st.tabs([_("Raw values 0–255"), _("Scaled values 0–1 (what the model sees)")])
raw_tab.html(
    pixel_table_html(
        sample, "{:d}", _("Raw pixel values of training image #{index}").format(index=sample_index)
    )
)
scaled_tab.html(
    pixel_table_html(
        scale_images(sample),
        "{:.2f}",
        _("Scaled pixel values of training image #{index}").format(index=sample_index),
    )
)

# The mean image of each class
st.header(_("Mean image of each class"))
st.image(means_png, alt=descriptions.mean_images_description())
next_steps.next_step("pages/train.py", _("train a model on these images"))
