"""python -m fashion photos download: the real labelled photos' originals, each checked by SHA-256."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fashion import settings
from fashion.data import real_photos
from fashion.i18n import _


def run(arguments) -> int:
    """Download the real photos' originals at the pinned commit, each checked by SHA-256."""
    destination = Path(arguments.to) if arguments.to else real_photos.download_destination()

    def progress(number: int, total: int) -> None:
        if number % 200 == 0 or number == total:
            print(f"{number:,}/{total:,} photos", file=sys.stderr, flush=True)

    fetched = real_photos.download_photos(destination, base_url=arguments.base_url, progress=progress)
    print(f"{fetched:,} photos downloaded into {destination} (the others were already there and checked).")
    if arguments.to and real_photos.find_photos_directory() != destination:
        print(f"Set {settings.PHOTOS_DIR.name}={destination} so the app finds them.")
    return 0


def add_parser(commands) -> None:
    """The command's arguments, under python -m fashion."""
    photos_parser = commands.add_parser("photos", help=_("the real labelled photos (CC0 clothing-dataset)"))
    photos_commands = photos_parser.add_subparsers(dest="photos_command", required=True)
    download_parser = photos_commands.add_parser(
        "download", help=_("download the originals at a pinned commit, each checked by SHA-256")
    )
    download_parser.add_argument(
        "--to",
        help=_("the folder to fill (default: FASHION_PHOTOS_DIR, else real-photos in the cache folder)"),
    )
    download_parser.add_argument("--base-url", help=argparse.SUPPRESS)
    download_parser.set_defaults(handler=run)
