"""An image file named on the command line, read within the upload cap and run through the photo pipeline."""

from __future__ import annotations

from pathlib import Path

from fashion.errors import FashionError
from fashion.i18n import _
from fashion.photos.image_file import MAX_FILE_BYTES
from fashion.photos.pipeline import prepare_photo


def read_photo(file_name: str, switches: dict[str, bool] | None = None):
    """Read one image file and run it through the photo pipeline; FashionError naming the file."""
    path = Path(file_name)
    try:
        # One byte past the cap is enough for the pipeline to refuse a file that is too large.
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise FashionError(
            _("{file_name}: is a folder, not an image file.").format(file_name=file_name)
        ) from None
    except OSError as error:
        raise FashionError(
            _("{file_name}: cannot be read ({reason}).").format(file_name=file_name, reason=error.strerror)
        ) from None
    try:
        return prepare_photo(data, switches)
    except FashionError as error:
        raise FashionError(_("{file_name}: {error}").format(file_name=file_name, error=error)) from None
