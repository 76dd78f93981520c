"""Lesson: the tutorial's steps in order, each with its explanation, code and live result from your model."""

import streamlit as st

from fashion.i18n import _
from ui import caches, lesson_view, startup

startup.run_through_entry()
st.title(_("Lesson: classify images of clothing"))
st.caption(
    _(
        "The tutorial the app grew from, step by step: what each step does, "
        "its code in plain TensorFlow/Keras, and its result on the real data and your own model. "
        "Each step links to the page that goes deeper."
    )
)

dataset = caches.dataset_or_error()
if dataset is None:
    st.stop()
entry = lesson_view.choose_model()
if entry is None:
    st.info(
        _(
            "No model yet: the steps below use the tutorial's network. "
            "Train it in step 6 and the later steps fill in with its results."
        ),
        icon=":material/school:",
    )
lesson_view.show_lesson(dataset, entry)
