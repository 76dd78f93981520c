"""The Train page's line on the real photos a preset learns from, with a button to download them."""

from __future__ import annotations

import streamlit as st

from fashion.data import real_photos
from fashion.errors import FashionError
from fashion.i18n import _, format_number


def show_photo_source() -> None:
    """How many real photos the photo preset learns from, or how to get them (a button, the command)."""
    photo_count = real_photos.available_count()
    if photo_count:
        st.caption(
            _(
                "Learns from Fashion-MNIST and {count} real labelled photos (CC0 clothing dataset); "
                "one in {one_in} is held out to check it and set its 'none of the ten'."
            ).format(count=format_number(photo_count), one_in=real_photos.HELD_OUT_ONE_IN)
        )
        return
    st.warning(_("This preset learns from real photos, and none are here.") + " " + real_photos.fix_hint())
    if st.button(_("Download the real photos"), key="train_download_photos", icon=":material/download:"):
        bar = st.progress(0.0, text=_("Downloading the real photos…"))

        def progress(number: int, total: int) -> None:
            bar.progress(
                number / total,
                text=_("{number} of {total} photos checked").format(
                    number=format_number(number), total=format_number(total)
                ),
            )

        try:
            fetched = real_photos.download_photos(progress=progress)
        except FashionError as error:
            st.error(str(error))
        else:
            st.success(
                _("{count} photos downloaded into {folder}.").format(
                    count=format_number(fetched), folder=real_photos.download_destination()
                )
            )
