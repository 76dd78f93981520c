"""python -m fashion evaluate: a saved model's test accuracy, loss and per-class accuracy."""

from __future__ import annotations

import json

from fashion.data.fashion_mnist import CLASS_NAMES, load_dataset
from fashion.i18n import _
from fashion.store import model_store as store
from fashion.training.evaluation import evaluate


def run(arguments) -> int:
    """Test accuracy, loss and per-class accuracy of a saved model."""
    name = arguments.model or store.newest_model_name()
    model = store.load_model(name)
    dataset = load_dataset()
    evaluation = evaluate(model, dataset.test_images, dataset.test_labels)
    if arguments.json:
        print(
            json.dumps(
                {
                    "model": name,
                    "test_accuracy": evaluation.accuracy,
                    "test_loss": evaluation.loss,
                    "per_class_accuracy": dict(zip(CLASS_NAMES, evaluation.per_class_accuracy, strict=True)),
                }
            )
        )
    else:
        print(
            _("Model {name}: test accuracy {accuracy}, loss {loss}").format(
                name=name, accuracy=f"{evaluation.accuracy:.4f}", loss=f"{evaluation.loss:.4f}"
            )
        )
        for class_name, accuracy in zip(CLASS_NAMES, evaluation.per_class_accuracy, strict=True):
            print(f"  {_(class_name):<12} {accuracy:.4f}")
    return 0


def add_parser(commands) -> None:
    """The command's arguments, under python -m fashion."""
    evaluate_parser = commands.add_parser("evaluate", help=_("evaluate a saved model on the test set"))
    evaluate_parser.add_argument("--model")
    evaluate_parser.add_argument("--json", action="store_true")
    evaluate_parser.set_defaults(handler=run)
