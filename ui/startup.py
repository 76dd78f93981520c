"""Process start-up: a page opened alone runs through the entry; imported modules are spared the GC."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def run_through_entry() -> None:
    """Run streamlit_app.py instead when Streamlit started this page alone (a fresh server's first run)."""
    # Until st.navigation has run once, Streamlit treats pages/ as a legacy multipage folder and
    # runs a page opened by URL (/train) without the entry: no sidebar, no page config.
    if PagesManager.uses_pages_directory:
        entry = Path(__file__).resolve().parent.parent / "streamlit_app.py"
        code = compile(entry.read_text(encoding="utf-8"), str(entry), "exec")
        exec(code, {"__name__": "__main__"})  # noqa: S102 - our own entry script, not user input
        st.stop()


def exempt_imports_from_garbage_collection() -> None:
    """Move the objects of modules imported since the last call out of the garbage collector's reach."""
    # Streamlit runs a full collection after every script and fragment run, and a second one
    # through keras.backend.clear_session() once Keras is imported. Over TensorFlow's objects each
    # held the GIL long enough to starve page drawing and the sidebar's refresh when several
    # sessions were open (figures in BENCHMARKS.md, "Predictions warm"). Frozen objects are not scanned;
    # unfreezing first lets objects frozen last time that have become garbage be collected.
    global _modules_at_last_freeze
    if len(sys.modules) > _modules_at_last_freeze:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _modules_at_last_freeze = len(sys.modules)


_modules_at_last_freeze = 0
