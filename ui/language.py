"""The language of each run: `?lang=` in the URL, else the sidebar switch's choice, else the browser's."""

from __future__ import annotations

import json

import streamlit as st

from fashion import i18n
from fashion.i18n import _

LANGUAGE_QUERY_PARAMETER = "lang"
LANGUAGE_KEY = "language"  # this session's language, once chosen
CHOSEN_KEY = "language_chosen"  # True once the URL or the switch chose it (it is then kept in the URL)
SWITCH_KEY = "language_switch"


def choose_language() -> str:
    """Decide this run's language, make it current, keep it in the URL; call first in every run."""
    from_url = i18n.language_of(st.query_params.get(LANGUAGE_QUERY_PARAMETER))
    if from_url is not None:
        st.session_state[LANGUAGE_KEY] = from_url
        st.session_state[CHOSEN_KEY] = True
    elif LANGUAGE_KEY not in st.session_state:
        st.session_state[LANGUAGE_KEY] = i18n.language_of(st.context.locale) or i18n.DEFAULT_LANGUAGE
    language = st.session_state[LANGUAGE_KEY]
    i18n.use_language(language)
    # Kept in the URL like ?model=: a page change drops the query, and this puts it back. A first
    # visit in the default language leaves the URL as it was.
    kept = st.session_state.get(CHOSEN_KEY) or language != i18n.DEFAULT_LANGUAGE
    if kept and st.query_params.get(LANGUAGE_QUERY_PARAMETER) != language:
        st.query_params[LANGUAGE_QUERY_PARAMETER] = language
    return language


def apply_session_language() -> None:
    """Make the session's language current again (a fragment's rerun does not pass through the entry)."""
    i18n.use_language(st.session_state.get(LANGUAGE_KEY, i18n.DEFAULT_LANGUAGE))


def _switched() -> None:
    st.session_state[LANGUAGE_KEY] = st.session_state[SWITCH_KEY]
    st.session_state[CHOSEN_KEY] = True
    st.query_params[LANGUAGE_QUERY_PARAMETER] = st.session_state[SWITCH_KEY]


def language_switch() -> None:
    """The sidebar's switch between the languages, each named in itself."""
    st.session_state[SWITCH_KEY] = st.session_state[LANGUAGE_KEY]
    st.segmented_control(
        _("Language"),
        i18n.LANGUAGES,
        format_func=i18n.LANGUAGE_NAMES.get,
        key=SWITCH_KEY,
        on_change=_switched,
        required=True,
    )
    if st.session_state[LANGUAGE_KEY] != i18n.ENGLISH:
        missing_font = i18n.use_figure_fonts()
        if missing_font:
            st.warning(_(missing_font), icon=":material/font_download_off:")


def set_document_language(language: str) -> None:
    """Set <html lang> to the language (Streamlit has no setting for it), so screen readers read it right."""
    # st.html runs the script in the page itself (no iframe); it draws nothing.
    st.html(
        f"<script>document.documentElement.lang = {json.dumps(language)};</script>",
        unsafe_allow_javascript=True,
    )
