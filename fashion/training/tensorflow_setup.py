"""TensorFlow's set-up, once per process: thread pools sized to the machine, op determinism on request.

Apart from the trainer so that loading a saved model (fashion.store) sets TensorFlow up without importing
the training run. TensorFlow itself is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import os
import threading

_configured_lock = threading.Lock()


@contextlib.contextmanager
def _native_stderr_silenced():
    """Hide the C++ start-up chatter TensorFlow writes straight to file descriptor 2."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
_configured = False


def configure_tensorflow() -> None:
    """Size TensorFlow's thread pools to this machine's cores, once per process."""
    global _configured
    with _configured_lock:
        if _configured:
            return
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with _native_stderr_silenced():
            # deferred: TensorFlow takes seconds to import
            import tensorflow as tf

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        try:
            tf.config.threading.set_intra_op_parallelism_threads(cores or 1)
            tf.config.threading.set_inter_op_parallelism_threads(min(2, cores or 1))
        except RuntimeError:
            pass  # TensorFlow's runtime was already started by someone else; keep its pools.
        _configured = True


def set_op_determinism(deterministic: bool) -> None:
    """Turn TensorFlow's op determinism on for an exactly reproducible run, else off (its default)."""
    # deferred: TensorFlow takes seconds to import
    import tensorflow as tf
    from tensorflow.python.framework import config as tensorflow_config

    if deterministic:
        tf.config.experimental.enable_op_determinism()
    else:
        tensorflow_config.disable_op_determinism()
