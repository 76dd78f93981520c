"""The app's two languages: gettext catalogues (made with Babel) and the language of the current run.

Streamlit runs many sessions at once on threads, so no global `gettext.install`: the entry sets the
language of each script run in a context variable (`use_language`), and `_()`, `ngettext()` and the
number formats read it. The catalogues live in `fashion/locale/` (messages.pot, zh_CN's .po and .mo);
`scripts/translations.sh` extracts, updates and compiles them.
"""

from __future__ import annotations

import gettext
import logging
import os
import shutil
import subprocess
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_format_percent

ENGLISH = "en"
CHINESE = "zh-CN"
LANGUAGES = (ENGLISH, CHINESE)
DEFAULT_LANGUAGE = ENGLISH
# Each language's name in itself, as a language switch shows it
LANGUAGE_NAMES = {ENGLISH: "English", CHINESE: "简体中文"}
LOCALE_DIRECTORY = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
# The language tags above as gettext and Babel spell a locale
_LOCALE_NAMES = {ENGLISH: "en", CHINESE: "zh_CN"}

# The figures' font for Chinese: Debian's fonts-wqy-microhei (scripts/install.sh), found by its family name
CJK_FONT_FAMILY = "WenQuanYi Micro Hei"
CJK_FONT_PACKAGE = "fonts-wqy-microhei"
FIGURE_LATIN_FONT_FAMILY = "DejaVu Sans"  # matplotlib's own default, kept for Latin text and digits

_logger = logging.getLogger(__name__)
_current_language: ContextVar[str] = ContextVar("fashion_language", default=DEFAULT_LANGUAGE)


def language_of(tag: str | None) -> str | None:
    """The app's language for a browser or POSIX locale tag ('zh-CN', 'zh_CN.UTF-8', 'en-GB'), or None."""
    if not tag:
        return None
    primary = tag.replace("_", "-").split(".")[0].split("-")[0].strip().lower()
    if primary == "zh":
        return CHINESE
    if primary == "en":
        return ENGLISH
    return None


def use_language(language: str) -> None:
    """Make this language the current one for the rest of this thread's run (one of LANGUAGES)."""
    if language not in LANGUAGES:
        raise ValueError(f"Unknown language {language!r}: use one of {', '.join(LANGUAGES)}.")
    _current_language.set(language)


def current_language() -> str:
    """The language of the current run ('en' unless use_language said otherwise)."""
    return _current_language.get()


def locale_name(language: str | None = None) -> str:
    """The language (default: the current one) as a Babel/gettext locale name ('zh_CN')."""
    return _LOCALE_NAMES[language or current_language()]


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (English needs none: its messages are the msgids)."""
    if language == ENGLISH:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIRECTORY, languages=[_LOCALE_NAMES[language]])


def _(message: str) -> str:
    """The message in the current language ("" stays "": gettext would give the catalogue's header)."""
    return translations(current_language()).gettext(message) if message else message


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural message for this count, in the current language."""
    return translations(current_language()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a message for the catalogue where it is defined; `_()` translates it where it is shown."""
    return message


# Shown (translated) and logged where the CJK font is missing
MISSING_FONT_MESSAGE = N_(
    "No Chinese font for the figures: install fonts-wqy-microhei (scripts/install.sh does); "
    "until then their Chinese text shows as empty boxes."
)


def format_number(value: float, decimals: int | None = None) -> str:
    """A number with the current language's grouping and decimal signs (`decimals` fixed when given)."""
    if decimals is None:
        return format_decimal(value, locale=locale_name())
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale_name(), decimal_quantization=True)


def format_percent(fraction: float, decimals: int = 2) -> str:
    """A fraction as a percentage in the current language (0.8765 -> '87.65%')."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    return babel_format_percent(fraction, format=pattern, locale=locale_name(), decimal_quantization=True)


def language_from_environment(environment: dict | None = None) -> str:
    """The CLI's language from LC_ALL, LC_MESSAGES or LANG (English unless one of them says Chinese)."""
    variables = os.environ if environment is None else environment
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = variables.get(variable)
        if value:
            return language_of(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def _font_files(family: str) -> list[str]:
    """The files fontconfig knows for a font family (none where fc-list is missing)."""
    if shutil.which("fc-list") is None:
        return []
    listing = subprocess.run(
        ["fc-list", f":family={family}", "file"], capture_output=True, text=True, timeout=30, check=False
    )
    return [line.split(":")[0].strip() for line in listing.stdout.splitlines() if line.strip()]


@lru_cache(maxsize=1)
def use_figure_fonts() -> str | None:
    """Let matplotlib draw Chinese: DejaVu Sans first, the CJK font for the glyphs it lacks.

    Returns None, or MISSING_FONT_MESSAGE (also logged) when the CJK font is not installed.
    """
    # deferred: matplotlib loads only when a figure is drawn
    import matplotlib
    from matplotlib import font_manager

    known = {font.name for font in font_manager.fontManager.ttflist}
    if CJK_FONT_FAMILY not in known:
        # Installed after matplotlib built its font cache: add it by the file fontconfig names
        for path in _font_files(CJK_FONT_FAMILY):
            font_manager.fontManager.addfont(path)
        known = {font.name for font in font_manager.fontManager.ttflist}
    if CJK_FONT_FAMILY not in known:
        _logger.warning(MISSING_FONT_MESSAGE)
        return MISSING_FONT_MESSAGE
    # Matplotlib falls back glyph by glyph along the families named here (not along a generic alias)
    matplotlib.rcParams["font.family"] = [FIGURE_LATIN_FONT_FAMILY, CJK_FONT_FAMILY]
    return None
