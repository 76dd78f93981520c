"""A training job on a page: its live progress with Stop, and its results once ended."""

from __future__ import annotations

import streamlit as st

from fashion.data.real_photos import trained_on_sentence
from fashion.errors import FashionError, JobDatabaseError
from fashion.figures.descriptions import training_curves_description
from fashion.i18n import _, current_language, format_number, format_percent, ngettext
from fashion.jobs.job_queue import describe_wait
from fashion.jobs.records import JobState
from fashion.store import model_store as store
from fashion.training.run import HISTORY_COLUMNS
from ui import language
from ui.caches import training_jobs
from ui.job_session import retry_training_job
from ui.learning_view import show_learning
from ui.model_code_view import show_model_code
from ui.next_steps import next_step

LIVE_REFRESH_SECONDS = 1.0


def overall_fraction(snapshot) -> float:
    """How much of the whole training run is done, 0 to 1."""
    if snapshot.batch is None:
        return 0.0
    batch = snapshot.batch
    done = (batch.epoch - 1 + batch.step / max(1, batch.steps)) / max(1, batch.epochs)
    return min(1.0, max(0.0, done))


def status_line(snapshot) -> str:
    """One line: architecture, epochs done and state."""
    return _("{architecture}: epoch {done} of {epochs} done ({state})").format(
        architecture=snapshot.architecture,
        done=len(snapshot.history),
        epochs=snapshot.epochs,
        state=_(snapshot.state),
    )


def history_frame(history: list[dict]):
    """The training history as a table indexed by epoch."""
    # deferred: pandas loads only when a table is built
    import pandas as pd

    frame = pd.DataFrame(history, columns=list(HISTORY_COLUMNS))
    return frame.set_index("epoch")


@st.cache_data(show_spinner=False, max_entries=16)
def training_curves_png(history: tuple[tuple, ...], continued_after: int = 0, language: str = "en") -> bytes:
    """The loss and accuracy curves of a training history (rows as sorted item tuples), as PNG bytes."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.figures import plots

    figure = plots.training_curves([dict(row) for row in history], continued_after)
    return plots.figure_to_png(figure, dpi=72)


def show_history_charts(history: list[dict], continued_after: int = 0, parent: str | None = None) -> None:
    """Loss and accuracy per epoch, training and validation, side by side."""
    if parent:
        st.caption(
            _("Continues **{parent}**: epochs 1-{epochs} are its own, the later ones are new.").format(
                parent=parent, epochs=continued_after
            )
        )
    if len(history) <= continued_after:
        st.caption(_("The charts gain a point at the end of each epoch."))
        if not history:
            return
    st.caption(
        ngettext("{count} epoch plotted.", "{count} epochs plotted.", len(history)).format(count=len(history))
    )
    # One PNG, cached per history: the live view redraws every second, and two interactive charts
    # rebuilt that often were remounted before the second (accuracy) one had drawn.
    rows = tuple(tuple(sorted(row.items())) for row in history)

    st.image(
        training_curves_png(rows, continued_after, current_language()),
        caption=_("Loss and accuracy per epoch"),
        width="stretch",
        alt=training_curves_description(history),
    )


def show_job(job_id: str | None) -> None:
    """A training job: its place in line while queued, live progress while it runs, then its results."""
    try:
        snapshot = training_jobs().get(job_id)
    except JobDatabaseError as error:
        st.error(str(error), icon=":material/cloud_off:")
        return
    if snapshot is None:
        st.info(_("That training job is not known to this server."))
        return
    if snapshot.active or snapshot.queued:
        live_job_progress(job_id)
    else:
        show_job_result(snapshot)


@st.fragment(run_every=LIVE_REFRESH_SECONDS)
def live_job_progress(job_id: str) -> None:
    """Charts, a progress bar with speed and time left, and a Stop button; refreshed every second."""
    language.apply_session_language()  # a fragment's rerun skips the entry

    try:
        jobs = training_jobs()
        snapshot = jobs.get(job_id)
        learning = jobs.learning(job_id)
    except JobDatabaseError as error:
        # Shown until the database is back: the next refresh, a second later, tries again
        st.error(str(error), icon=":material/cloud_off:")
        return
    if snapshot is None or not (snapshot.active or snapshot.queued):
        st.rerun()
    if snapshot.gpus:
        st.caption(
            _("This job asked for {count} GPU; Ray runs it on a node that has one.").format(
                count=snapshot.gpus
            )
        )
    if snapshot.queued:
        st.info(
            _("Your job is {wait}.").format(wait=describe_wait(snapshot)), icon=":material/hourglass_top:"
        )
        if st.button(_("Cancel"), key="training_cancel", icon=":material/cancel:"):
            try:
                jobs.cancel(job_id)
            except JobDatabaseError as error:
                st.error(str(error), icon=":material/cloud_off:")
                return
            st.rerun()
        return
    batch = snapshot.batch
    if batch is None:
        st.progress(0.0, text=_("Starting TensorFlow and preparing the data…"))
    else:
        # Batches run in groups (steps_per_execution), so the last group can report past the end.
        step = min(batch.step, batch.steps)
        st.progress(
            step / max(1, batch.steps),
            text=_(
                "Epoch {epoch} of {epochs}: batch {step} of {steps} · {speed} img/s"
                " · epoch ends in {epoch_left} s · training ends in {total_left} s"
            ).format(
                epoch=batch.epoch,
                epochs=batch.epochs,
                step=format_number(step),
                steps=format_number(batch.steps),
                speed=format_number(batch.images_per_second, decimals=0),
                epoch_left=format_number(max(0.0, batch.epoch_seconds_left), decimals=0),
                total_left=format_number(max(0.0, batch.total_seconds_left), decimals=0),
            ),
        )
    if snapshot.state == JobState.SAVING:
        st.info(_("Training is over; evaluating on the test set and saving the model…"))
    # The Stop button before the curves: drawing them is the slow part of each refresh.
    if snapshot.stop_requested:
        st.warning(_("Stopping after the current batch; the epochs completed so far are kept."))
    elif st.button(_("Stop"), key="training_stop", icon=":material/stop_circle:"):
        try:
            jobs.stop(job_id)
        except JobDatabaseError as error:
            st.error(str(error), icon=":material/cloud_off:")
            return
        st.rerun(scope="fragment")
    show_history_charts(snapshot.history, snapshot.parent_epochs, snapshot.parent)
    show_learning(learning)


def offer_retry(job_id: str) -> None:
    """A Retry button that queues the same settings again as a new job."""
    if st.button(_("Retry with the same settings"), key="training_retry", icon=":material/replay:"):
        retry_training_job(job_id)


def show_job_result(snapshot) -> None:
    """Test accuracy and loss, the saved model, the history table and downloads of a finished job."""
    if snapshot.state == JobState.FAILED:
        st.error(snapshot.error or _("Training failed."))
        offer_retry(snapshot.job_id)
        return
    if snapshot.state == JobState.CANCELLED:
        st.info(_("This job was cancelled before it started."))
        return
    if snapshot.state == JobState.INTERRUPTED:
        st.warning(snapshot.error or _("The server stopped while this job was training."))
        offer_retry(snapshot.job_id)
        show_history_charts(snapshot.history, snapshot.parent_epochs, snapshot.parent)
        return
    if snapshot.model_name is None:
        st.warning(_("Training was stopped before the first epoch ended, so nothing was saved."))
        return
    if snapshot.stop_requested:
        st.info(
            _("Stopped early after {done} of {epochs} epochs; the model trained so far was saved.").format(
                done=len(snapshot.history), epochs=snapshot.epochs
            )
        )
    else:
        st.success(
            _("Training finished in {seconds} s.").format(
                seconds=format_number(snapshot.finished_at - snapshot.started_at, decimals=0)
            )
        )
    st.markdown(_("Saved as **{name}**").format(name=snapshot.model_name))
    try:
        trained_on = store.get_entry(snapshot.model_name).record.get("trained_on")
    except FashionError:
        trained_on = None
    if trained_on:
        st.caption(_("Trained on {what}.").format(what=trained_on_sentence(trained_on)))

    next_step("pages/predictions.py", _("see its predictions"), {"model": snapshot.model_name})
    accuracy_column, loss_column, parameters_column = st.columns(3)
    accuracy_column.metric(_("Test accuracy"), format_percent(snapshot.test_accuracy))
    loss_column.metric(_("Test loss"), format_number(snapshot.test_loss, decimals=4))
    parameters_column.metric(_("Parameters"), format_number(snapshot.parameter_count))
    show_history_charts(snapshot.history, snapshot.parent_epochs, snapshot.parent)
    try:
        recorded = store.get_entry(snapshot.model_name).record.get("learning")
    except FashionError:
        recorded = None
    show_learning(recorded or training_jobs().learning(snapshot.job_id), slider_key="train_learning_epoch")
    frame = history_frame(snapshot.history)
    st.dataframe(frame.rename(columns=_).rename_axis(_(frame.index.name)), width="stretch")
    csv_column, model_column = st.columns(2)
    csv_column.download_button(
        _("Download the history (CSV)"),
        frame.to_csv().encode("utf-8"),
        file_name=f"{snapshot.model_name}-history.csv",
        mime="text/csv",
        key="training_history_download",
    )
    try:
        model_bytes = store.get_entry(snapshot.model_name).model_path.read_bytes()
    except (FashionError, OSError) as error:
        model_column.error(_("The saved model file cannot be read: {error}").format(error=error))
        return
    model_column.download_button(
        _("Download the model (.keras)"),
        model_bytes,
        file_name=f"{snapshot.model_name}.keras",
        mime="application/octet-stream",
        key="training_model_download",
    )

    show_model_code(store.get_entry(snapshot.model_name), "training")
