"""The Compare page's pieces: models from the URL, cached figures, and disagreement pairs with links."""

from __future__ import annotations

import streamlit as st

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.figures.descriptions import prediction_pair_description
from fashion.i18n import _, current_language, format_number
from fashion.store.comparison import mistake_position
from ui.caches import ACTIVE_MODEL_KEY, cached_dataset, model_identity, test_probabilities
from ui.model_pages import say_models_gone

MODELS_QUERY_PARAMETER = "models"
DISAGREEMENTS_SHOWN = 8


def models_from_url(names: list[str]) -> list[str]:
    """The chosen models named in the URL (?models=a,b), those still saved, else the newest two."""
    wanted = [name for name in st.query_params.get(MODELS_QUERY_PARAMETER, "").split(",") if name]
    chosen = [name for name in dict.fromkeys(wanted) if name in names][:4]
    say_models_gone([name for name in wanted if name not in names])
    return chosen if len(chosen) >= 2 else names[:2]


def keep_saved_choices(names: list[str]) -> None:
    """Drop chosen models that are no longer saved (saying so on any run), keeping at least two chosen."""
    if "compare_models" not in st.session_state:
        st.session_state["compare_models"] = models_from_url(names)
        return
    chosen = st.session_state["compare_models"]
    kept = [name for name in chosen if name in names]
    missing = [name for name in chosen if name not in names]
    replacements = []
    if missing and len(kept) < 2:
        replacements = [name for name in names if name not in kept][: 2 - len(kept)]
    st.session_state["compare_models"] = kept + replacements
    # The pair shown under "Where they disagree" may have named a model that is gone
    for key in ("compare_first", "compare_second"):
        if st.session_state.get(key) in missing:
            del st.session_state[key]
    instead = _(", ").join(f"**{name}**" for name in replacements)
    say_models_gone(missing, _("comparing {names} instead").format(names=instead) if replacements else "")


@st.cache_data(show_spinner=False, max_entries=8)
def curves_png(histories: tuple[tuple[str, tuple[tuple, ...]], ...], language: str = "en") -> bytes:
    """The overlaid curves of several histories (name, rows as sorted item tuples), as PNG bytes."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.figures import plots

    figure = plots.comparison_curves({name: [dict(row) for row in rows] for name, rows in histories})
    return plots.figure_to_png(figure, dpi=80)


def history_rows(record: dict) -> tuple[tuple, ...]:
    """A record's history as hashable rows for the curve cache."""
    return tuple(tuple(sorted(row.items())) for row in record.get("history", []))


@st.cache_data(show_spinner=False, max_entries=64)
def pair_png(identity: tuple, source: str, index: int, language: str = "en") -> bytes:
    """The tutorial's image + bar chart pair of one model for one test image, as PNG bytes."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.figures import plots

    probabilities = test_probabilities(*identity, source)
    data = cached_dataset(source)
    figure = plots.prediction_pair(
        data.test_images[index], probabilities[index], int(data.test_labels[index])
    )
    return plots.figure_to_png(figure, dpi=60)


def open_mistake(model_name: str, position: int) -> None:
    """Go to the Predictions page's mistake view at this model's mistake number position."""
    st.session_state["predictions_model"] = model_name
    st.session_state[ACTIVE_MODEL_KEY] = model_name
    st.session_state["predictions_order"] = "index"
    st.session_state["predictions_wrong"] = position
    st.switch_page(
        "pages/predictions.py",
        query_params={"model": model_name, "order": "index", "wrong": str(position)},
    )


def show_disagreements(right_entry, wrong_entry, indices, source: str, labels) -> None:
    """Pairs of test images one model gets right (blue) and the other wrong (red), with a link each."""
    right_identity, wrong_identity = model_identity(right_entry), model_identity(wrong_entry)

    right_probabilities = test_probabilities(*right_identity, source)
    wrong_probabilities = test_probabilities(*wrong_identity, source)
    st.markdown(
        _("**{count} test images** that **{right}** gets right and **{wrong}** gets wrong").format(
            count=format_number(len(indices)), right=right_entry.name, wrong=wrong_entry.name
        )
        + (_("; the first {count}:").format(count=DISAGREEMENTS_SHOWN) if len(indices) else _("."))
    )
    for index in indices[:DISAGREEMENTS_SHOWN]:
        index = int(index)
        right_column, wrong_column, link_column = st.columns([4, 4, 3], vertical_alignment="center")
        true_label = int(labels[index])
        right_column.image(
            pair_png(right_identity, source, index, current_language()),
            caption=_("{name}: right").format(name=right_entry.name),
            alt=f"{right_entry.name}: "
            + prediction_pair_description(index, right_probabilities[index], true_label),
        )
        wrong_column.image(
            pair_png(wrong_identity, source, index, current_language()),
            caption=_("{name}: wrong").format(name=wrong_entry.name),
            alt=f"{wrong_entry.name}: "
            + prediction_pair_description(index, wrong_probabilities[index], true_label),
        )
        position = mistake_position(wrong_probabilities, labels, index)
        link_column.caption(
            _("Test image #{index} ({name})").format(index=index, name=_(CLASS_NAMES[int(labels[index])]))
        )
        if link_column.button(
            _("Open in the mistake view"),
            key=f"compare_open_{wrong_entry.name}_{index}",
            icon=":material/open_in_new:",
        ):
            open_mistake(wrong_entry.name, position)
