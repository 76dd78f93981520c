"""The code of a model on a page: its standalone Keras script in an expander, with copy and download."""

from __future__ import annotations

import streamlit as st

from fashion.errors import FashionError, ModelNotFoundError
from fashion.i18n import _
from fashion.lesson import model_code
from fashion.store import model_store as store
from ui.caches import model_identity

# Plain text, not "python": Streamlit's syntax colours (strings, numbers, keywords, comments) measure
# 2.6-3.7:1 on the light theme's code background (line numbers 2.6:1 too), below WCAG AA's 4.5:1.
# Code blocks wrap their long lines: a block that scrolls sideways cannot take the keyboard focus.
CODE_LANGUAGE = None


@st.cache_data(show_spinner=False, max_entries=16)
def model_script(name: str, created: str, store_folder: str) -> str:
    """The script of a saved model, once per name and creation time."""
    return model_code.model_script(name)


def show_model_code(entry, key_prefix: str) -> None:
    """A "Code" expander: the script that reproduces the saved model, its copy button and a download."""
    try:
        store.get_entry(entry.name)
    except ModelNotFoundError:
        return  # deleted meanwhile: the page already says so, and a script of it would mislead
    with st.expander(_("Code: train this model in plain TensorFlow/Keras"), icon=":material/code:"):
        try:
            text = model_script(*model_identity(entry))
        except FashionError as error:
            st.error(_("The code of {name} cannot be written: {error}").format(name=entry.name, error=error))
            return
        # No inline code in the caption: Streamlit draws it in a green of 3:1 contrast there
        st.caption(
            _(
                "A standalone Python script (TensorFlow/Keras and NumPy, nothing from this app) "
                "with the same "
                "layers, optimizer, schedule, batch size, epochs, validation split, seed and augmentation. "
                "Run it with --data-dir pointing at the four Fashion-MNIST .gz files, or let Keras download "
                "them; --limit 2000 tries it quickly. The same comes from "
                "**python -m fashion code {name}**."
            ).format(name=entry.name)
        )
        st.download_button(
            _("Download the script (.py)"),
            text.encode("utf-8"),
            file_name=model_code.script_file_name(entry.name),
            mime="text/x-python",
            key=f"{key_prefix}_code_download",
            icon=":material/download:",
        )
        st.code(text, language=CODE_LANGUAGE, wrap_lines=True)
