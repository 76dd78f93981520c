"""The sidebar on every page: the active model and this browser's training job (queued or running)."""

from __future__ import annotations

import streamlit as st

from fashion.errors import JobDatabaseError
from fashion.i18n import _, format_percent, ngettext
from fashion.jobs.job_queue import describe_wait
from fashion.training.models import architecture_word, preset_label
from ui import language
from ui.caches import active_entry, training_jobs
from ui.job_session import session_owner
from ui.training_view import overall_fraction, status_line

SIDEBAR_REFRESH_SECONDS = 2.0


def show_sidebar() -> None:
    """The active model and, while one runs, the training job's progress."""
    entry = active_entry()
    st.subheader(_("Active model"))
    if entry is None:
        st.caption(_("No model yet: train one on the Train page."))
    else:
        record = entry.record or {}
        st.markdown(f"**{entry.name}**")
        accuracy = record.get("test_accuracy")
        if isinstance(accuracy, (int, float)):
            st.metric(_("Test accuracy"), format_percent(accuracy))

        epochs = record.get("epochs_run")
        epochs_text = (
            ngettext("{count} epoch", "{count} epochs", epochs).format(count=epochs)
            if isinstance(epochs, int)
            else _("? epochs")
        )
        st.caption(_(", ").join([architecture_word(record), _(preset_label(record)), epochs_text]))

    try:
        training = bool(training_jobs().list())
    except JobDatabaseError:
        st.caption(_("Training jobs cannot be shown: the job database cannot be reached."))
        return
    if training:
        sidebar_job_status()


@st.fragment(run_every=SIDEBAR_REFRESH_SECONDS)
def sidebar_job_status() -> None:
    """This browser's job (its place in line, or a small progress bar), else the job training now."""
    language.apply_session_language()  # a fragment's rerun skips the entry

    try:
        jobs = training_jobs().list()
    except JobDatabaseError:
        st.caption(_("Training jobs cannot be shown: the job database cannot be reached."))
        return
    own = next((job for job in jobs if job.owner == session_owner()), None)
    shown = own or next((job for job in jobs if job.active), None)
    if shown is None:
        return  # Drawing nothing clears the last progress line; the next page run drops the fragment.
    st.subheader(_("Your training") if own else _("Training"))
    if shown.queued:
        st.caption(f"{shown.architecture}: {describe_wait(shown)}")
        if st.button(_("Cancel"), key="sidebar_training_cancel", icon=":material/cancel:"):
            training_jobs().cancel(shown.job_id)
            st.rerun()
    else:
        st.progress(overall_fraction(shown), text=status_line(shown))
