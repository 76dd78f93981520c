"""Map: test images placed in 2-D by the model's penultimate layer; click a point to open its image."""

import streamlit as st

from fashion.errors import FashionError
from fashion.figures import descriptions
from fashion.i18n import _, current_language, format_number, format_percent
from ui import caches, explanations, gallery, map_view, model_choice, model_pages, next_steps

dataset, models = model_pages.start_model_page(_("Map"), "map")

# The model: the one chosen on Predictions (or in the URL), else the newest
names = [entry.name for entry in models]
if st.session_state.get("map_model") not in names:
    wanted = st.session_state.get(caches.ACTIVE_MODEL_KEY)
    st.session_state["map_model"] = wanted if wanted in names else names[0]
name = st.selectbox(_("Model"), names, format_func=model_choice.labelled_names(models).get, key="map_model")
st.session_state[caches.ACTIVE_MODEL_KEY] = name
st.query_params["model"] = name
identity = caches.model_identity(models[names.index(name)])
source = caches.data_key()
try:
    with st.spinner(_("Building the map (once per model)…")):
        points = map_view.map_points(identity, source, current_language())
        explained = map_view.embedding(identity, source).explained_variance
except FashionError as error:
    st.error(str(error))
    st.stop()

# The map: one point per test image of a sample with the same number per class
st.caption(
    _(
        "{count} test images, the same number from each class, placed by the two main directions "
        "(PCA, {variance} of the variance) of the model's penultimate layer. Colour: the true "
        "class; crosses: the model's mistakes. Hover over a point to see the image; click it to open it."
    ).format(count=format_number(len(points)), variance=format_percent(explained.sum(), decimals=0))
)
event = st.altair_chart(
    map_view.map_chart(points),
    key="map_chart",
    on_select="rerun",
    selection_mode="point",
    width="stretch",
    alt=descriptions.embedding_map_description(points["true class"], points["predicted"]),
)

# "Why?" of a point needs the training images' features: start them while the user looks at the map
explanations.neighbour_build(identity, source)

# The point opened: the one just clicked, else the one in the URL
clicked = map_view.selected_map_index(event)
if clicked is not None:
    st.query_params["point"] = str(clicked)
point = st.query_params.get("point", "")
if point.isdigit() and int(point) < len(dataset.test_labels):
    index = int(point)
    st.subheader(_("Test image #{index}").format(index=index))
    probabilities = caches.test_probabilities(*identity, source)[index]
    st.image(
        gallery.prediction_png(identity, source, "pair", (index,), language=current_language()),
        width=600,
        alt=descriptions.prediction_pair_description(index, probabilities, int(dataset.test_labels[index])),
    )
    explanations.show_test_explanation(identity, source, index)
    next_steps.next_step("pages/try_image.py", _("try a photo of your own on this model"), {"model": name})
else:
    st.info(_("Click a point of the map to open its image, its saliency and its nearest training images."))
