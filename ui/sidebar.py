"""The sidebar on every page: the active model and, while one runs, the training job's progress."""

from __future__ import annotations

import streamlit as st

from ui.caches import active_entry, job_registry
from ui.training_view import overall_fraction, status_line

SIDEBAR_REFRESH_SECONDS = 2.0


def show_sidebar() -> None:
    """The active model and, while one runs, the training job's progress."""
    entry = active_entry()
    st.subheader("Active model")
    if entry is None:
        st.caption("No model yet: train one on the Train page.")
    else:
        record = entry.record or {}
        st.markdown(f"**{entry.name}**")
        accuracy = record.get("test_accuracy")
        if isinstance(accuracy, (int, float)):
            st.metric("Test accuracy", f"{accuracy:.2%}")
        st.caption(f"{record.get('architecture', '?')}, {record.get('epochs_run', '?')} epochs")
    if job_registry().active_jobs():
        sidebar_job_status()


@st.fragment(run_every=SIDEBAR_REFRESH_SECONDS)
def sidebar_job_status() -> None:
    """A small progress bar of the running training job, refreshed every few seconds."""
    active = job_registry().active_jobs()
    if not active:
        return  # Drawing nothing clears the last progress line; the next page run drops the fragment.
    snapshot = active[0].snapshot()
    st.subheader("Training")
    st.progress(overall_fraction(snapshot), text=status_line(snapshot))

