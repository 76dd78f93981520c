"""Fashion-MNIST Studio: routes to the pages and draws the sidebar shared by all of them."""

import streamlit as st

from ui import background, caches, focus, sidebar, startup

st.set_page_config(page_title="Fashion-MNIST Studio", page_icon=":material/checkroom:", layout="wide")
startup.exempt_imports_from_garbage_collection()
focus.show_focus_outline()

# Shared state, set once per session: the model chosen on Predictions (None means the newest).
st.session_state.setdefault(caches.ACTIVE_MODEL_KEY, st.query_params.get("model"))

pages = [
    st.Page("pages/explore.py", title="Explore the data", icon=":material/grid_view:", default=True),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/predictions.py", title="Predictions", icon=":material/fact_check:"),
    st.Page("pages/map.py", title="Map", icon=":material/scatter_plot:"),
    st.Page("pages/compare.py", title="Compare models", icon=":material/compare:"),
    st.Page("pages/models.py", title="Saved models", icon=":material/inventory_2:"),
    st.Page("pages/try_image.py", title="Try your own image", icon=":material/photo_camera:"),
    st.Page("pages/lesson.py", title="Lesson", icon=":material/school:"),
]
page = st.navigation(pages)

# Counted while it runs: work on background threads (the features behind "Why?") gives way to pages.
with background.page_running():
    with st.sidebar:
        sidebar.show_sidebar()
    page.run()
