"""python -m fashion models: the model store's entries, newest first."""

from __future__ import annotations

import json

from fashion.i18n import _
from fashion.store import model_store as store


def run(arguments) -> int:
    """The store's entries, newest first."""
    entries = store.list_entries()
    if arguments.json:
        print(
            json.dumps(
                [
                    {
                        "name": entry.name,
                        "readable": entry.readable,
                        "error": entry.error,
                        "arch": (entry.record or {}).get("architecture"),
                        "test_accuracy": (entry.record or {}).get("test_accuracy"),
                        "created": (entry.record or {}).get("created"),
                        "path": str(entry.path),
                    }
                    for entry in entries
                ]
            )
        )
        return 0
    if not entries:
        print(_("No saved models in {folder}.").format(folder=store.store_directory()))
        return 0
    for entry in entries:
        if entry.readable:
            record = entry.saved_record
            print(
                f"{entry.name:<36} {record.get('architecture', '?'):<9} "
                f"{_('accuracy')} {record.get('test_accuracy', float('nan')):.4f}  "
                f"{record.get('created', '')}"
            )
        else:
            print(f"{entry.name:<36} " + _("UNREADABLE: {error}").format(error=entry.error))
    return 0


def add_parser(commands) -> None:
    """The command's arguments, under python -m fashion."""
    models_parser = commands.add_parser("models", help=_("list saved models"))
    models_parser.add_argument("--json", action="store_true")
    models_parser.set_defaults(handler=run)
