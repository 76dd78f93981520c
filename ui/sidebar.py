"""The sidebar on every page: the active model and this browser's training job (queued or running)."""

from __future__ import annotations

import streamlit as st

from ui.caches import active_entry, training_jobs
from ui.job_session import session_owner
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
        from fashion.figures.descriptions import count_of
        from fashion.training.models import preset_label

        epochs = record.get("epochs_run")
        epochs_text = count_of(epochs, "epoch") if isinstance(epochs, int) else "? epochs"
        st.caption(f"{record.get('architecture', '?')}, {preset_label(record)}, {epochs_text}")
    from fashion.errors import JobDatabaseError

    try:
        training = bool(training_jobs().list())
    except JobDatabaseError:
        st.caption("Training jobs cannot be shown: the job database cannot be reached.")
        return
    if training:
        sidebar_job_status()


@st.fragment(run_every=SIDEBAR_REFRESH_SECONDS)
def sidebar_job_status() -> None:
    """This browser's job (its place in line, or a small progress bar), else the job training now."""
    from fashion.errors import JobDatabaseError
    from fashion.jobs.job_queue import describe_wait

    try:
        jobs = training_jobs().list()
    except JobDatabaseError:
        st.caption("Training jobs cannot be shown: the job database cannot be reached.")
        return
    own = next((job for job in jobs if job.owner == session_owner()), None)
    shown = own or next((job for job in jobs if job.active), None)
    if shown is None:
        return  # Drawing nothing clears the last progress line; the next page run drops the fragment.
    st.subheader("Your training" if own else "Training")
    if shown.queued:
        st.caption(f"{shown.architecture}: {describe_wait(shown)}")
        if st.button("Cancel", key="sidebar_training_cancel", icon=":material/cancel:"):
            training_jobs().cancel(shown.job_id)
            st.rerun()
    else:
        st.progress(overall_fraction(shown), text=status_line(shown))
