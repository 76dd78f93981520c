"""Fashion-MNIST Studio: routes to the pages and draws the sidebar shared by all of them."""

import streamlit as st

from fashion.i18n import _
from ui import background, caches, focus, language, sidebar, startup

st.set_page_config(page_title="Fashion-MNIST Studio", page_icon=":material/checkroom:", layout="wide")
startup.exempt_imports_from_garbage_collection()
focus.show_focus_outline()
# This run's language (?lang=, the sidebar's switch, else the browser's), before any text is drawn
language.set_document_language(language.choose_language())

# Shared state, set once per session: the model chosen on Predictions (None means the newest).
st.session_state.setdefault(caches.ACTIVE_MODEL_KEY, st.query_params.get("model"))

pages = [
    st.Page("pages/explore.py", title=_("Explore the data"), icon=":material/grid_view:", default=True),
    st.Page("pages/train.py", title=_("Train"), icon=":material/model_training:"),
    st.Page("pages/predictions.py", title=_("Predictions"), icon=":material/fact_check:"),
    st.Page("pages/map.py", title=_("Map"), icon=":material/scatter_plot:"),
    st.Page("pages/compare.py", title=_("Compare models"), icon=":material/compare:"),
    st.Page("pages/models.py", title=_("Saved models"), icon=":material/inventory_2:"),
    st.Page("pages/try_image.py", title=_("Try your own image"), icon=":material/photo_camera:"),
    st.Page("pages/lesson.py", title=_("Lesson"), icon=":material/school:"),
]
page = st.navigation(pages)

# Counted while it runs: work on background threads (the features behind "Why?") gives way to pages.
with background.page_running():
    with st.sidebar:
        language.language_switch()
        sidebar.show_sidebar()
    page.run()
