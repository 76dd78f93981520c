"""The Try page's "keep this photo to teach the model" form and the My photos view (photos/own_photos)."""

from __future__ import annotations

import streamlit as st

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.errors import FashionError
from fashion.i18n import _
from fashion.photos import own_photos
from ui.job_session import session_owner

THUMBNAIL_WIDTH = 96


def show_keep_form(data: bytes, predicted_label: int) -> None:
    """ "That's actually a ___": keep the photo with the class the user says it is."""
    with st.form("try_keep_form", border=True):
        st.markdown(
            _("**Teach the model**: keep this photo with its right class for the Photo model to learn.")
        )
        label = st.selectbox(
            _("That's actually a"),
            range(len(CLASS_NAMES)),
            index=predicted_label,
            format_func=lambda index: _(CLASS_NAMES[index]),
            key="try_keep_class",
        )
        if st.form_submit_button(_("Keep this photo to teach the model"), icon=":material/school:"):
            try:
                own_photos.keep_photo(session_owner(), data, int(label))
            except FashionError as error:
                st.error(_("The photo was not kept: {error}").format(error=error))
            else:
                # Run the page again so My photos shows it; the notice waits for that run.
                st.session_state["try_kept_notice"] = _(
                    "Kept as {name}: it is in My photos, seen only by this browser."
                ).format(name=_(CLASS_NAMES[label]))
                st.rerun()
    notice = st.session_state.pop("try_kept_notice", None)
    if notice:
        st.success(notice)


def delete_photo(photo_id: str) -> None:
    """Delete one of this browser's photos (a button's callback)."""
    try:
        own_photos.delete_photo(session_owner(), photo_id)
    except FashionError as error:
        st.session_state["my_photos_error"] = str(error)


def show_my_photos() -> None:
    """This browser's kept photos by class: counts, thumbnails and a delete button each."""
    owner = session_owner()
    try:
        photos = own_photos.list_photos(owner)
    except FashionError as error:
        st.error(str(error))
        return
    with st.expander(_("My photos ({count})").format(count=len(photos)), icon=":material/photo_library:"):
        error = st.session_state.pop("my_photos_error", None)
        if error:
            st.error(error)
        if not photos:
            st.caption(
                _(
                    "Photos you keep to teach the model appear here. Only this browser sees them; "
                    "at most {count}. The Photo-robust preset can include them (Train page)."
                ).format(count=own_photos.MAX_PHOTOS)
            )
            return
        counts = own_photos.class_counts(owner)
        st.caption(
            _("Only this browser sees these.")
            + " "
            + _(", ").join(f"{_(CLASS_NAMES[label])} {count}" for label, count in enumerate(counts) if count)
        )
        for label in [label for label, count in enumerate(counts) if count]:
            st.markdown(f"**{_(CLASS_NAMES[label])}** ({counts[label]})")
            members = [photo for photo in photos if photo.label == label]
            columns = st.columns(6)
            for number, photo in enumerate(members):
                column = columns[number % len(columns)]
                column.image(
                    photo.path.read_bytes(),
                    width=THUMBNAIL_WIDTH,
                    caption=_("{name}, kept {date}").format(
                        name=_(photo.class_name), date=photo.created[:10]
                    ),
                    alt=_("Your photo kept as {name} on {date}.").format(
                        name=_(photo.class_name), date=photo.created[:10]
                    ),
                )
                column.button(
                    _("Delete"),
                    key=f"my_photos_delete_{photo.photo_id}",
                    on_click=delete_photo,
                    args=(photo.photo_id,),
                    icon=":material/delete:",
                    help=_("Delete this {name} photo for good").format(name=_(photo.class_name)),
                )


def include_switch() -> str:
    """The Train page's "include my photos (N)" switch: this browser's owner id when on, else ""."""
    owner = session_owner()
    try:
        count = len(own_photos.list_photos(owner))
    except FashionError:
        count = 0
    included = st.toggle(
        _("Include my photos ({count})").format(count=count),
        value=count > 0,
        key="train_include_own_photos",
        disabled=count == 0,
        help=_("Learn from the photos this browser kept on the Try page; no other browser sees them."),
    )
    return owner if included and count else ""
