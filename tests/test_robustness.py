"""Bad and odd uploads: each file of the corpus is either used or refused with one clear ImageError."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile
from upload_corpus import BOMB_SIDE, ERROR, OK, bomb_png, write_corpus

from fashion import cli
from fashion.errors import ImageError
from fashion.photos.pipeline import prepare_photo

REPOSITORY = Path(__file__).resolve().parent.parent
MINIMUM_CORPUS_SIZE = 25


TSHIRT_LABEL = 0


@pytest.fixture(scope="module")
def test_item(small_dataset) -> np.ndarray:
    """The first T-shirt of the small test set, as uint8: the photo-like upload is made from it."""
    return small_dataset.test_images[small_dataset.test_labels == TSHIRT_LABEL][0]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, test_item):
    """The upload corpus, written once for this module, keyed by file name."""
    files = write_corpus(tmp_path_factory.mktemp("upload-corpus"), test_item)
    return {corpus_file.name: corpus_file for corpus_file in files}


def run_cli(arguments: list[str], models_directory: Path) -> subprocess.CompletedProcess:
    """python -m fashion in a fresh process, with the given model store."""
    environment = {**os.environ, "FASHION_MODELS_DIR": str(models_directory), "PYTHONPATH": str(REPOSITORY)}
    return subprocess.run(
        [sys.executable, "-m", "fashion", *arguments],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_corpus_covers_both_outcomes(corpus):
    expected = [corpus_file.expected for corpus_file in corpus.values()]
    assert len(corpus) >= MINIMUM_CORPUS_SIZE
    assert expected.count(OK) >= 10 and expected.count(ERROR) >= 8


@pytest.mark.parametrize("preprocess", [prepare_photo], ids=["photo-pipeline"])
def test_every_file_becomes_a_model_input_or_an_image_error(corpus, preprocess):
    problems = []
    for corpus_file in corpus.values():
        data = corpus_file.path.read_bytes()
        try:
            photo = preprocess(data)
        except ImageError as error:
            message = str(error)
            if corpus_file.expected == OK:
                problems.append(f"{corpus_file.name}: refused ({message})")
            elif not message or not message.endswith((".", ")")) or "Traceback" in message:
                problems.append(f"{corpus_file.name}: unclear message {message!r}")
            continue
        except Exception as error:  # noqa: BLE001 - any other exception type is the bug under test
            problems.append(f"{corpus_file.name}: {type(error).__name__}: {error}")
            continue
        image = photo.image
        if corpus_file.expected == ERROR:
            problems.append(f"{corpus_file.name}: accepted, expected an ImageError")
        elif image.shape != (28, 28) or image.dtype != np.float32:
            problems.append(f"{corpus_file.name}: shape {image.shape} dtype {image.dtype}")
        elif np.isnan(image).any() or image.min() < 0.0 or image.max() > 1.0:
            problems.append(f"{corpus_file.name}: values outside [0, 1] or NaN")
    assert not problems, "\n".join(problems)


def test_exif_rotated_jpeg_is_turned_upright(corpus):
    rotated = prepare_photo(corpus["exif-rotated.jpg"].path.read_bytes()).image
    upright = prepare_photo(corpus["exif-upright.jpg"].path.read_bytes()).image
    sideways = np.rot90(upright)
    assert np.abs(rotated - upright).mean() < 0.05
    assert np.abs(rotated - sideways).mean() > 0.15


def test_photo_like_item_comes_back_close_to_the_test_image(corpus, test_item):
    photo = prepare_photo(corpus["photo-like.jpg"].path.read_bytes())
    correlation = np.corrcoef(photo.image.ravel(), test_item.ravel().astype(np.float32))[0, 1]
    assert correlation > 0.8


def _reject_bomb_measured(data: bytes, monkeypatch) -> tuple[str, list, float]:
    """The refusal's message, the images whose pixels were decoded meanwhile, the peak memory growth in MB."""
    decoded = []
    real_load = ImageFile.ImageFile.load

    def recording_load(image):
        decoded.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ImageError) as refused:
        prepare_photo(data)
    peak_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    return str(refused.value), decoded, peak_growth_mb


def test_40000_pixel_square_png_is_refused_before_decoding(monkeypatch):
    data = bomb_png()
    message, decoded, peak_growth_mb = _reject_bomb_measured(data, monkeypatch)
    assert len(data) < 1000
    assert "too many pixels" in message
    assert decoded == []
    assert peak_growth_mb < 50


def test_40000_pixel_square_png_is_refused_even_without_pillows_own_guard(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    message, decoded, peak_growth_mb = _reject_bomb_measured(bomb_png(), monkeypatch)
    assert f"{BOMB_SIDE:,}x{BOMB_SIDE:,}" in message
    assert decoded == []
    assert peak_growth_mb < 50


def test_cli_rejects_every_error_file_with_one_line(corpus, store_with_model, capsys):
    for corpus_file in corpus.values():
        if corpus_file.expected != ERROR:
            continue
        status = cli.main(["predict", str(corpus_file.path), "--json"])
        captured = capsys.readouterr()
        lines = captured.err.splitlines()
        assert status == 2, corpus_file.name
        assert captured.out == "", corpus_file.name
        assert len(lines) == 1 and lines[0].startswith("error: "), (corpus_file.name, captured.err)
        assert corpus_file.name in lines[0]


def test_cli_process_predicts_every_ok_file_in_one_call(corpus, store_with_model):
    ok_files = [corpus_file for corpus_file in corpus.values() if corpus_file.expected == OK]
    completed = run_cli(
        ["predict", *(str(corpus_file.path) for corpus_file in ok_files), "--json"], store_with_model
    )
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    rows = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [Path(row["file"]).name for row in rows] == [corpus_file.name for corpus_file in ok_files]
    for row in rows:
        probabilities = np.array(row["probabilities"])
        assert probabilities.shape == (10,)
        assert abs(probabilities.sum() - 1.0) < 1e-3
        assert row["model"] == "small-tutorial"


def test_cli_process_refuses_a_truncated_and_a_bomb_file_with_exit_2(corpus, store_with_model):
    for file_name in ("truncated.jpg", "bomb-40000x40000.png"):
        completed = run_cli(["predict", str(corpus[file_name].path), "--json"], store_with_model)
        lines = completed.stderr.splitlines()
        assert completed.returncode == 2
        assert completed.stdout == ""
        assert len(lines) == 1 and lines[0].startswith("error: "), completed.stderr
        assert "Traceback" not in completed.stderr
