"""python -m fashion explain: top classes, nearest training images and a saliency PNG of one image."""

from __future__ import annotations

import json
from pathlib import Path

from fashion.cli.image_files import read_photo
from fashion.data.fashion_mnist import CLASS_NAMES, load_dataset
from fashion.errors import FashionError
from fashion.explain import explanations as explain
from fashion.i18n import _
from fashion.store import model_store as store
from fashion.training.inference import top_classes


def run(arguments) -> int:
    """Top classes, nearest training images and a saliency PNG for a test image or an image file."""
    # deferred: matplotlib loads only when a figure is drawn
    from fashion.explain import explanation_plots
    from fashion.figures import plots

    name = arguments.model or store.newest_model_name()
    entry = store.get_entry(name)
    dataset = load_dataset()
    target = arguments.image
    if target.isdigit():
        index = int(target)
        if index >= len(dataset.test_labels):
            raise FashionError(
                _("test index {index} is out of range; the test set has {test_count:,} images.").format(
                    index=index, test_count=len(dataset.test_labels)
                )
            )
        image, true_label = dataset.test_images[index], int(dataset.test_labels[index])
        source = f"test-{index}"
    else:
        image, true_label, source = read_photo(target).image, None, Path(target).stem
    model = store.load_model(name)
    neighbours = explain.neighbour_index(model, entry.path, dataset.train_images)
    explanation = explain.explain_image(model, image, neighbours, true_label)
    output = Path(arguments.output or f"saliency-{source}.png")
    figure = explanation_plots.saliency_figure(
        image, explanation.probabilities, true_label, explanation.saliency_maps, explanation.method
    )
    try:
        output.write_bytes(plots.figure_to_png(figure))
    except OSError as error:
        raise FashionError(
            _("cannot write {output}: {reason}.").format(output=output, reason=error.strerror)
        ) from None
    best = top_classes(explanation.probabilities, 3)
    neighbour_rows = [
        {
            "index": int(index),
            "label": int(dataset.train_labels[index]),
            "class_name": CLASS_NAMES[dataset.train_labels[index]],
            "distance": round(float(distance), 4),
        }
        for index, distance in zip(
            explanation.neighbour_indices, explanation.neighbour_distances, strict=True
        )
    ]
    if arguments.json:
        print(
            json.dumps(
                {
                    "model": name,
                    "image": target,
                    "true_label": true_label,
                    "top3": [
                        {"label": label, "class_name": class_name, "probability": probability}
                        for label, class_name, probability in best
                    ],
                    "saliency_method": explanation.method,
                    "saliency_png": str(output),
                    "neighbours": neighbour_rows,
                }
            )
        )
    else:
        ranked = _(", ").join(
            f"{_(class_name)} {probability:.1%}" for _label, class_name, probability in best
        )
        print(f"{target}: {ranked}")
        nearest = _(", ").join(f"#{row['index']} {_(row['class_name'])}" for row in neighbour_rows)
        print(_("Nearest training images: {names}").format(names=nearest))
        print(_("Saliency ({method}) written to {path}").format(method=_(explanation.method), path=output))
    return 0


def add_parser(commands) -> None:
    """The command's arguments, under python -m fashion."""
    explain_parser = commands.add_parser(
        "explain", help=_("saliency and nearest training images of one image")
    )
    explain_parser.add_argument("image", metavar="IMAGE_OR_TEST_INDEX")
    explain_parser.add_argument("--model")
    explain_parser.add_argument(
        "--output", help=_("where to write the saliency PNG (default saliency-<image>.png)")
    )
    explain_parser.add_argument("--json", action="store_true")
    explain_parser.set_defaults(handler=run)
