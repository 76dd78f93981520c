"""The Try page's lesson: the same image through a Fashion-MNIST-only model and the Photo model."""

from __future__ import annotations

import numpy as np
import streamlit as st

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.errors import FashionError
from fashion.figures import descriptions
from fashion.i18n import _, format_percent
from fashion.photos import ood
from fashion.training import inference
from fashion.training.models import fashion_only_and_photo_model
from ui import caches
from ui.model_choice import model_label


def show_two_models(models: list, batch: np.ndarray, tta: bool, true_label: int | None = None) -> None:
    """Both models' answers to the same input side by side, and why they differ; nothing without both."""
    pair = fashion_only_and_photo_model(models)
    if pair is None:
        return
    st.subheader(_("The same image, two models"))
    columns = st.columns(2)
    for column, entry, role in zip(columns, pair, (_("Fashion-MNIST only"), _("Photo model")), strict=True):
        with column:
            st.markdown(f"**{role}: {model_label(entry)}**")
            try:
                identity = caches.model_identity(entry)
                model = caches.cached_model(*identity)
                calibration = caches.ood_calibration(*identity, caches.data_key(), tta)
            except FashionError as error:
                st.error(str(error))
                continue
            prediction = ood.predict_photo(model, batch, calibration)
            for rank, (_label, name, probability) in enumerate(
                inference.top_classes(prediction.probabilities), start=1
            ):
                st.progress(probability, text=f"{rank}. {_(name)}: {format_percent(probability, 1)}")
            answer = int(prediction.probabilities.argmax())
            if prediction.out_of_distribution:
                st.caption(_("It doubts this is any of the ten classes."))
            elif true_label is not None:
                if answer == true_label:
                    verdict = _("{answer}: right.").format(answer=_(CLASS_NAMES[answer]))
                else:
                    verdict = _("{answer}: wrong (it is {truth}).").format(
                        answer=_(CLASS_NAMES[answer]), truth=_(CLASS_NAMES[true_label])
                    )
                st.caption(verdict)
    st.info(descriptions.data_difference_sentence(*pair), icon=":material/school:")
