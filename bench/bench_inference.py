"""The inference section of the benchmark: one uploaded photo through the photo pipeline to a prediction.

`python -m bench.benchmark --only inference`. The worker runs in its own process (bench.benchmark
starts it); the section takes the benchmark's `repeated` runner.
"""

from __future__ import annotations

import statistics
import time

INFERENCE_MS_TARGET = 20.0


def make_test_photo() -> bytes:
    """A ~1000x1000 JPEG photo of a dark trouser-like shape on a light, slightly noisy background."""
    import io

    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    generator = np.random.default_rng(0)
    background = 225 + generator.normal(0, 6, (1000, 1000, 3))
    image = Image.fromarray(np.clip(background, 0, 255).astype("uint8"), "RGB")
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [(380, 120), (620, 120), (700, 900), (560, 900), (500, 400), (440, 900), (300, 900)],
        fill=(40, 50, 90),
    )
    image = image.filter(ImageFilter.GaussianBlur(2))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _median_ms(function, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(timings)


def worker_inference(config: dict) -> dict:
    """Warm per-image time: prepare_photo + predict_one, against model.predict (the tutorial's way)."""
    import numpy as np

    from fashion.data.fashion_mnist import load_dataset
    from fashion.photos.pipeline import prepare_photo
    from fashion.training import inference
    from fashion.training.models import build_model, get_architecture, with_overrides
    from fashion.training.tensorflow_setup import configure_tensorflow

    configure_tensorflow()
    import keras

    dataset = load_dataset(allow_download=False)
    photo = make_test_photo()
    calls = config.get("calls", 50)
    figures = {"photo_bytes": len(photo)}
    figures["preprocess_ms"] = _median_ms(lambda: prepare_photo(photo), calls)
    image = prepare_photo(photo).image
    for architecture in ("tutorial", "cnn"):
        hyper_parameters = with_overrides(get_architecture(architecture).defaults, epochs=1)
        keras.utils.set_random_seed(0)
        model = build_model(architecture, hyper_parameters, steps_per_epoch=10)
        model.fit(
            inference.as_model_input(dataset.train_images[:512]), dataset.train_labels[:512],
            batch_size=128, epochs=1, verbose=0,
        )
        batch = np.expand_dims(image, 0)
        model.predict(batch, verbose=0)
        figures[f"{architecture}_model_predict_ms"] = _median_ms(
            lambda: model.predict(batch, verbose=0), calls
        )
        inference.predict_one(model, image)
        figures[f"{architecture}_predict_one_ms"] = _median_ms(
            lambda: inference.predict_one(model, image), calls
        )
        figures[f"{architecture}_photo_to_prediction_ms"] = _median_ms(
            lambda: inference.predict_one(model, prepare_photo(photo).image), calls
        )
        expected = np.asarray(model(batch, training=False))[0]
        figures[f"{architecture}_max_probability_difference"] = float(
            np.max(np.abs(inference.predict_one(model, image) - expected))
        )
    return figures


def section_inference(repeats: int, quick: bool, repeated) -> dict:
    """Warm time of one uploaded photo to a prediction, medians over repeated worker runs."""
    print("Inference, one uploaded photo", flush=True)
    runs = repeated("inference", {"calls": 20 if quick else 50}, 1 if quick else min(3, repeats), "inference")
    keys = [key for key in runs[0] if isinstance(runs[0][key], float)]
    medians = {key: statistics.median(run[key] for run in runs) for key in keys}
    medians["target_met"] = medians["tutorial_photo_to_prediction_ms"] <= INFERENCE_MS_TARGET
    medians["runs"] = runs
    return medians
