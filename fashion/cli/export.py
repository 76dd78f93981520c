"""python -m fashion export: a saved model (checked against the Keras model), its history or its record."""

from __future__ import annotations

import json
from pathlib import Path

from fashion.data.fashion_mnist import load_dataset
from fashion.i18n import _
from fashion.store import export
from fashion.store import model_store as store
from fashion.store.export import FORMATS, QUANTIZATIONS


def run(arguments) -> int:
    """Export a saved model (checked against the Keras model) or its history or record."""
    store.get_entry(arguments.name)
    check_images = None
    if arguments.format in ("keras", "tflite", "savedmodel"):
        check_images = load_dataset().test_images
    result = export.export_model(arguments.name, arguments.format, check_images, arguments.quantize)
    path = export.write_export(result, Path(arguments.output))
    if arguments.json:
        print(
            json.dumps(
                {
                    "model": result.model_name,
                    "format": result.format,
                    "quantization": result.quantization,
                    "path": str(path),
                    "size_bytes": result.size_bytes,
                    "seconds": round(result.seconds, 3),
                    "agreement": result.agreement,
                    "checked_images": result.checked_images,
                }
            )
        )
    else:
        print(f"Wrote {path} ({result.summary()})")
    return 0


def add_parser(commands) -> None:
    """The command's arguments, under python -m fashion."""
    export_parser = commands.add_parser("export", help=_("export a saved model, its history or its record"))
    export_parser.add_argument("name", metavar="NAME")
    export_parser.add_argument("--format", choices=FORMATS, required=True)
    export_parser.add_argument("--output", required=True, help=_("a file, or a folder to write into"))
    export_parser.add_argument("--quantize", choices=QUANTIZATIONS, default="none", help=_("TFLite only"))
    export_parser.add_argument("--json", action="store_true")
    export_parser.set_defaults(handler=run)
