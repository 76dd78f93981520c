"""python -m fashion code: the standalone TensorFlow/Keras script that reproduces a saved model."""

from __future__ import annotations

import sys
from pathlib import Path

from fashion.i18n import _
from fashion.lesson import model_code


def run(arguments) -> int:
    """The standalone TensorFlow/Keras script that reproduces a saved model, to stdout or a file."""
    text = model_code.model_script(arguments.name)
    if arguments.output:
        path = model_code.write_script(text, Path(arguments.output))
        print(f"Wrote {path}")
    else:
        sys.stdout.write(text)
    return 0


def add_parser(commands) -> None:
    """The command's arguments, under python -m fashion."""
    code_parser = commands.add_parser("code", help=_("the standalone Keras script reproducing a saved model"))
    code_parser.add_argument("name", metavar="NAME")
    code_parser.add_argument("--output", help=_("write the script to this file (default: stdout)"))
    code_parser.set_defaults(handler=run)
