"""Which training job is this browser's: who asks, starting a job, the job in the URL or its own."""

from __future__ import annotations

import hashlib
import uuid

import streamlit as st

from fashion.errors import FashionError, JobDatabaseError, JobLimitError
from fashion.i18n import _
from ui.caches import dataset_or_error, training_jobs

JOB_QUERY_PARAMETER = "job"


def session_owner() -> str:
    """Who asks for a job: the browser (its XSRF cookie's token, the same in every tab), else this session."""
    cookie = st.context.cookies.get("_streamlit_xsrf") if st.context.cookies else None
    if cookie:
        parts = cookie.split("|")
        if len(parts) == 4 and parts[0] == "2":  # version 2: "2|mask|masked token|time", a new mask each time
            try:
                mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
                cookie = bytes(byte ^ mask[index % len(mask)] for index, byte in enumerate(masked)).hex()
            except ValueError:
                pass
        return "browser-" + hashlib.sha256(cookie.encode()).hexdigest()[:16]

    return st.session_state.setdefault("training_owner", "session-" + uuid.uuid4().hex[:16])


def start_training_job(
    architecture: str,
    hyper_parameters,
    dataset,
    model_name: str | None = None,
    parent: str | None = None,
    gpus: int = 0,
) -> None:
    """Start (or queue) a job (continuing parent, if named), put its id in the URL and rerun; errors shown."""
    owner = session_owner()
    follow_new_job(
        lambda jobs: jobs.start(
            architecture, hyper_parameters, dataset, model_name, owner=owner, parent=parent, gpus=gpus
        )
    )


def retry_training_job(job_id: str) -> None:
    """Queue a failed or interrupted job again with its settings, put the new job in the URL and rerun."""
    dataset = dataset_or_error()
    if dataset is not None:
        owner = session_owner()
        follow_new_job(lambda jobs: jobs.retry(job_id, dataset, owner=owner))


def follow_new_job(start) -> None:
    """Call start(jobs); put the job it returns in the URL and rerun, or show why it could not start."""
    try:
        snapshot = start(training_jobs())
    except JobLimitError as error:
        st.error(str(error), icon=":material/hourglass_top:")
    except FashionError as error:
        st.error(str(error))
    else:
        st.query_params[JOB_QUERY_PARAMETER] = snapshot.job_id
        st.rerun()


def gpu_choice() -> int:
    """A "Run on a GPU node" checkbox, shown only when the jobs' cluster has GPUs: 1 when ticked, else 0."""
    gpus = training_jobs().gpus_available()
    if gpus < 1:
        return 0
    chosen = st.checkbox(
        _("Run on a GPU node"),
        key="train_use_gpu",
        help=_(
            "The Ray cluster has {count} GPU(s). The job asks for one and waits in line for a free one."
        ).format(count=gpus),
    )
    return 1 if chosen else 0


def own_job():
    """This browser's queued or running job, or None."""
    return training_jobs().job_of(session_owner())


def current_job_id() -> str | None:
    """The job named in the URL, else this browser's queued or running job, else None."""
    job_id = st.query_params.get(JOB_QUERY_PARAMETER)
    try:
        if job_id and training_jobs().get(job_id) is not None:
            return job_id
        own = own_job()
    except JobDatabaseError:
        return job_id  # its view says the database cannot be reached
    return own.job_id if own else job_id
