"""The Train page's line on the real photos a preset learns from, with a button to download them."""

from __future__ import annotations

import streamlit as st

from fashion.data import real_photos
from fashion.errors import FashionError


def show_photo_source() -> None:
    """How many real photos the photo preset learns from, or how to get them (a button, the command)."""
    photo_count = real_photos.available_count()
    if photo_count:
        st.caption(
            f"Learns from Fashion-MNIST and {photo_count:,} real labelled photos (CC0 clothing dataset); "
            f"one in {real_photos.HELD_OUT_ONE_IN} is held out to check it and set its 'none of the ten'."
        )
        return
    st.warning(f"This preset learns from real photos, and none are here. {real_photos.FIX_HINT}")
    if st.button("Download the real photos", key="train_download_photos", icon=":material/download:"):
        bar = st.progress(0.0, text="Downloading the real photos…")

        def progress(number: int, total: int) -> None:
            bar.progress(number / total, text=f"{number:,} of {total:,} photos checked")

        try:
            fetched = real_photos.download_photos(progress=progress)
        except FashionError as error:
            st.error(str(error))
        else:
            st.success(f"{fetched:,} photos downloaded into {real_photos.download_destination()}.")
