"""The command line: python -m fashion train | predict | evaluate | models | export | explain | code | photos.

One module per command, each with `add_parser(commands)` and `run(arguments)` over the core's functions.
A command's heavy imports (TensorFlow) sit inside its `run`, so `--help` and a parse error stay fast.
"""

from __future__ import annotations

import argparse
import sys

from fashion import i18n
from fashion.cli import evaluate, explain, export, model_script, models, photos, predict, train
from fashion.cli.train import EXIT_ERROR
from fashion.errors import FashionError
from fashion.i18n import N_, _

COMMANDS = (train, predict, evaluate, models, export, explain, model_script, photos)


# argparse's own words in its help and errors, for the catalogue (translate_argparse)
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("expected one argument"),
    N_("the following arguments are required: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("unrecognized arguments: %s"),
)


def translate_argparse() -> None:
    """Let argparse's own words (usage:, options, ...) follow the run's language, as its help texts do."""
    # argparse looks its words up through its module's gettext functions at the moment it prints them;
    # English (NullTranslations) gives them back unchanged, and a word the catalogue lacks stays English.
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]


def language_of_arguments(argv: list[str]) -> str:
    """The language --lang names in argv (else LANG's), read before the parser exists: argparse takes its
    help texts as the parser is built, so they must be in that language already."""
    for index, argument in enumerate(argv):
        if argument == "--":
            break
        if argument.startswith("--lang="):
            value = argument.partition("=")[2]
        elif argument == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        else:
            continue
        if value in i18n.LANGUAGES:
            return value
    return i18n.language_from_environment()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of python -m fashion."""
    parser = argparse.ArgumentParser(
        prog="python -m fashion", description=_("Fashion-MNIST Studio on the command line.")
    )
    parser.add_argument(
        "--lang",
        choices=i18n.LANGUAGES,
        help=_("the language of the messages (default: English, or Chinese where LANG says zh_CN)"),
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors become one line on stderr and exit status 2."""
    argv = sys.argv[1:] if argv is None else argv
    i18n.use_language(language_of_arguments(argv))
    translate_argparse()
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except FashionError as error:
        print(_("error: {message}").format(message=error), file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        print(_("error: out of memory."), file=sys.stderr)
        return EXIT_ERROR
