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
from fashion.i18n import _

COMMANDS = (train, predict, evaluate, models, export, explain, model_script, photos)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of python -m fashion."""
    parser = argparse.ArgumentParser(
        prog="python -m fashion", description="Fashion-MNIST Studio on the command line."
    )
    parser.add_argument(
        "--lang",
        choices=i18n.LANGUAGES,
        help="the language of the messages (default: English, or Chinese where LANG says zh_CN)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors become one line on stderr and exit status 2."""
    arguments = build_parser().parse_args(argv)
    i18n.use_language(arguments.lang or i18n.language_from_environment())
    try:
        return arguments.handler(arguments)
    except FashionError as error:
        print(_("error: {message}").format(message=error), file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        print(_("error: out of memory."), file=sys.stderr)
        return EXIT_ERROR
