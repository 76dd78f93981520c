"""python -m fashion predict: top classes of image files through the photo pipeline; "none of the ten"."""

from __future__ import annotations

import json
import sys

from fashion.cli.image_files import read_photo
from fashion.data.fashion_mnist import load_dataset
from fashion.errors import FashionError
from fashion.i18n import _
from fashion.photos import ood
from fashion.photos import pipeline as photo
from fashion.photos.pipeline import STEPS
from fashion.store import model_store as store
from fashion.training.inference import top_classes


def run(arguments) -> int:
    """Top 3 classes of each image file, through the photo pipeline, and whether it is none of the ten."""
    name = arguments.model or store.newest_model_name()
    entry = store.get_entry(name)
    switches = {step: not getattr(arguments, f"no_{step}") for step in photo.STEP_NAMES}
    photos = [(file_name, read_photo(file_name, switches)) for file_name in arguments.images]
    model = store.load_model(name)
    batch_of = photo.tta_batch if switches["tta"] else (lambda image: image[None])
    # A model trained on the real photos carries its own calibration, set on held-out photos.
    calibration = ood.saved_calibration(entry.saved_record, switches["tta"])
    try:
        dataset = None if calibration is not None else load_dataset()
    except FashionError as error:
        # Without the data set there is nothing to calibrate on: classify, and say so once.
        print(_("warning: no 'none of the ten' score ({error})").format(error=error), file=sys.stderr)
        calibration = None
    if dataset is not None:
        model_key = ood.model_file_key(entry.model_path, switches["tta"])
        calibration = ood.cached_calibration(model, model_key, dataset, batch_of)
    for file_name, prepared in photos:
        prediction = ood.predict_photo(model, prepared.batch, calibration)
        probabilities = prediction.probabilities
        best = top_classes(probabilities, 3)
        if arguments.json:
            print(
                json.dumps(
                    {
                        "file": file_name,
                        "label": best[0][0],
                        "class_name": best[0][1],
                        "probabilities": [round(float(value), 6) for value in probabilities],
                        "top3": [
                            {"label": label, "class_name": class_name, "probability": probability}
                            for label, class_name, probability in best
                        ],
                        "model": name,
                        "ood": None if calibration is None else {
                            "flagged": prediction.out_of_distribution,
                            "score": None if prediction.ood_score is None else round(prediction.ood_score, 4),
                            "threshold": round(calibration.threshold, 4),
                        },
                        "steps": switches,
                        "segmented": prepared.segmented,
                        "warnings": prepared.warnings,
                    }
                )
            )
        else:
            ranked = _(", ").join(
                f"{_(class_name)} {probability:.1%}" for _label, class_name, probability in best
            )
            verdict = _(" (none of the ten, it seems)") if prediction.out_of_distribution else ""
            print(f"{file_name}: {ranked}{verdict}")
    return 0


def add_parser(commands) -> None:
    """The command's arguments, under python -m fashion."""
    predict_parser = commands.add_parser("predict", help=_("classify image files"))
    predict_parser.add_argument("images", nargs="+", metavar="IMAGE")
    predict_parser.add_argument("--model")
    predict_parser.add_argument("--json", action="store_true")
    for step in STEPS:
        predict_parser.add_argument(
            f"--no-{step.name}",
            action="store_true",
            help=_("skip this step: {step}").format(step=_(step.description)),
        )
    predict_parser.set_defaults(handler=run)
