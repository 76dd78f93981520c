"""The translation catalogues, with Babel: extract the messages into messages.pot, merge them into each
language's .po (translate the new, empty msgstr there), compile the .mo files the app reads.

    python3 scripts/translations.py          # all three steps
tests/test_translations.py runs the same extraction and fails when a catalogue is out of date.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

REPOSITORY = Path(__file__).resolve().parents[1]
LOCALE_DIRECTORY = REPOSITORY / "fashion" / "locale"
TEMPLATE = LOCALE_DIRECTORY / "messages.pot"
TRANSLATED_LOCALES = ("zh_CN",)


def po_path(locale: str) -> Path:
    """A language's editable catalogue."""
    return LOCALE_DIRECTORY / locale / "LC_MESSAGES" / "messages.po"


def babel(*arguments: str) -> None:
    """Run a pybabel command from the repository's root."""
    CommandLineInterface().run(["pybabel", "-q", *arguments])


def extract(template: Path = TEMPLATE) -> None:
    """Write every _(), ngettext() and N_() message of the app's code (babel.cfg) into a .pot file."""
    babel(
        "extract", "-F", str(REPOSITORY / "babel.cfg"), "--no-location", "--sort-output", "--no-wrap",
        "--project=Fashion-MNIST Studio", "--add-comments=Translators:", "-o", str(template), str(REPOSITORY),
    )  # fmt: skip


def update() -> None:
    """Merge the template's messages into each language's .po (new ones with an empty msgstr)."""
    babel(
        "update", "-i", str(TEMPLATE), "-d", str(LOCALE_DIRECTORY), "-D", "messages",
        "--no-wrap", "--ignore-obsolete", "--no-fuzzy-matching",
    )  # fmt: skip


def compiled(locale: str) -> bytes:
    """The .mo bytes a language's .po compiles to."""
    with po_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def compile_all() -> None:
    """Write each language's .mo next to its .po."""
    for locale in TRANSLATED_LOCALES:
        po_path(locale).with_suffix(".mo").write_bytes(compiled(locale))


if __name__ == "__main__":
    import os

    os.chdir(REPOSITORY)
    extract()
    update()
    compile_all()
    sys.exit(0)
