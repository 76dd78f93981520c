"""Which training job is this browser's: who asks, starting a job, the job in the URL or its own."""

from __future__ import annotations

import streamlit as st

from ui.caches import training_jobs

JOB_QUERY_PARAMETER = "job"


def session_owner() -> str:
    """Who asks for a job: the browser (its XSRF cookie's token, the same in every tab), else this session."""
    import hashlib

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
    import uuid

    return st.session_state.setdefault("training_owner", "session-" + uuid.uuid4().hex[:16])


def start_training_job(
    architecture: str, hyper_parameters, dataset, model_name: str | None = None, parent: str | None = None
) -> None:
    """Start (or queue) a job (continuing parent, if named), put its id in the URL and rerun; errors shown."""
    from fashion.errors import FashionError, JobLimitError

    try:
        snapshot = training_jobs().start(
            architecture, hyper_parameters, dataset, model_name, owner=session_owner(), parent=parent
        )
    except JobLimitError as error:
        st.error(str(error), icon=":material/hourglass_top:")
    except FashionError as error:
        st.error(str(error))
    else:
        st.query_params[JOB_QUERY_PARAMETER] = snapshot.job_id
        st.rerun()


def own_job():
    """This browser's queued or running job, or None."""
    return training_jobs().job_of(session_owner())


def current_job_id() -> str | None:
    """The job named in the URL, else this browser's queued or running job, else None."""
    job_id = st.query_params.get(JOB_QUERY_PARAMETER)
    if job_id and training_jobs().get(job_id) is not None:
        return job_id
    own = own_job()
    return own.job_id if own else job_id
