"""Recipes on the Train page: a link as a preset, preset widget keys, the reproducible switch, sharing."""

from __future__ import annotations

import re

import streamlit as st

from fashion.errors import FashionError
from fashion.i18n import N_, _, format_number
from fashion.training.models import presets
from fashion.training.recipes import REPRODUCIBLE_SLOWDOWN, recipe_from_query, recipe_link, recipe_query

RECIPE_PRESET = N_("From the shared link")


def recipe_from_url():
    """The (architecture, hyper-parameters) of the page's URL, or None; a bad recipe is shown as an error."""
    try:
        return recipe_from_query(st.query_params.to_dict())
    except FashionError as error:
        st.error(_("The link's recipe cannot be used: {error}").format(error=error))
        return None


def apply_recipe_once(recipe) -> None:
    """Choose the link's architecture, its preset and its subset, once per link in this session."""
    if recipe is None:
        return
    architecture, hyper_parameters = recipe
    signature = repr(recipe)
    if st.session_state.get("train_recipe_applied") == signature:
        return
    st.session_state["train_recipe_applied"] = signature
    st.session_state["train_architecture"] = architecture
    st.session_state[preset_widget_key(architecture)] = RECIPE_PRESET
    st.session_state["train_use_subset"] = hyper_parameters.train_limit is not None
    if hyper_parameters.train_limit is not None:
        st.session_state["train_subset_size"] = hyper_parameters.train_limit
    st.session_state["train_deterministic"] = hyper_parameters.deterministic
    st.info(_("The settings below come from a shared recipe link."), icon=":material/link:")


def presets_with_recipe(architecture: str, recipe) -> dict:
    """The architecture's presets, plus the link's recipe as a preset when it is for this architecture."""
    available = dict(presets(architecture))
    if recipe is not None and recipe[0] == architecture:
        available[RECIPE_PRESET] = recipe[1]
    return available


def reproducible_checkbox() -> bool:
    """The "exactly reproducible" switch, saying how much slower it is."""
    chosen = st.checkbox(
        _("Exactly reproducible"),
        key="train_deterministic",
        help=_(
            "TensorFlow op determinism: the same recipe gives the same model and the same test accuracy "
            "to the last digit."
        ),
    )
    st.caption(
        _(
            "Exactly reproducible training takes about {factor}x as long "
            "(measured on 2 shared CPU cores; see BENCHMARKS.md)."
        ).format(factor=format_number(REPRODUCIBLE_SLOWDOWN, decimals=1))
    )
    return chosen


def share_link(architecture: str, hyper_parameters) -> None:
    """A link that opens this page filled in with these settings."""
    st.caption(_("Share this recipe: the link opens the Train page with these settings."))
    st.code(recipe_link(app_root_url(), recipe_query(architecture, hyper_parameters)), language=None)


def app_root_url() -> str:
    """The app's root address as the browser sees it (http://host:port)."""
    url = st.context.url or ""
    scheme, _separator, rest = url.partition("://")
    return f"{scheme}://{rest.split('/')[0]}" if rest else ""


def preset_widget_key(architecture: str) -> str:
    """The Train page's preset select box of an architecture: train_preset_cnn."""
    return f"train_preset_{architecture}"


def preset_key(architecture: str, preset_name: str) -> str:
    """The Train page's widget key suffix of an architecture's preset: tutorial_recommended_fast."""
    preset_slug = re.sub(r"[^a-z0-9]+", "_", preset_name.lower()).strip("_")
    return f"{architecture}_{preset_slug}"
