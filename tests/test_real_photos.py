"""The real-photo data set: label file checks, bad photos skipped, the render cache, the download."""

from __future__ import annotations

import csv
import hashlib
import http.server
import json
import shutil
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from fashion import cli
from fashion.data import real_photos
from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.data.generated_negatives import generated_count
from fashion.errors import PhotoDatasetError

SHARED_PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "real-photos"
# A few photos of several classes and two "none of the ten", by the project's own label file.
WANTED = {"T-shirt/top": 2, "Trouser": 1, "Sneaker": 1, "Ankle boot": 1, "none": 2}


def pick_rows() -> list[dict]:
    """Label rows of a handful of photos, the first ones of each wanted class."""
    with open(real_photos.LABELS_PATH, newline="") as handle:
        rows = list(csv.DictReader(handle))
    picked, counts = [], dict.fromkeys(WANTED, 0)
    for row in rows:
        if row["class"] in WANTED and counts[row["class"]] < WANTED[row["class"]]:
            picked.append(row)
            counts[row["class"]] += 1
    return picked


def write_labels(path: Path, rows: list[dict]) -> Path:
    """A label file holding these rows."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=real_photos.LABEL_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def photo_folder(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A folder in the real-photos layout with a handful of photos, and its label file."""
    rows = pick_rows()
    folder = tmp_path / "photos"
    for row in rows:
        (folder / row["file"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED_PHOTOS / row["file"], folder / row["file"])
    monkeypatch.setenv("FASHION_CACHE_DIR", str(tmp_path / "cache"))
    return folder, write_labels(tmp_path / "labels.csv", rows)


def test_photos_are_rendered_as_light_items_on_black_with_their_labels(photo_folder):
    folder, labels = photo_folder
    photos = real_photos.load_real_photos(folder, labels, workers=1)
    assert photos.images.shape == (7, 28, 28) and photos.images.dtype == np.uint8
    expected = [CLASS_NAMES.index(row["class"]) if row["class"] != "none" else -1 for row in pick_rows()]
    assert photos.labels.tolist() == expected
    assert photos.skipped == () and photos.missing_count == 0
    # The pipeline negates: the corners (background) are dark, the item is lighter.
    corners = photos.images[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners.mean() < 20 and photos.images.mean(axis=(1, 2)).min() > corners.mean()
    assert "none of the ten 2" in photos.summary()


def test_a_pool_of_processes_renders_the_same_photos(photo_folder, monkeypatch):
    folder, _ = photo_folder
    paths = [str(folder / row["file"]) for row in pick_rows()[:3]]
    monkeypatch.setattr(real_photos, "POOL_MINIMUM", 2)
    pooled = real_photos.render_photos(paths, workers=2)
    alone = real_photos.render_photos(paths, workers=1)
    pairs = zip(pooled, alone, strict=True)
    assert all(np.array_equal(first[0], second[0]) for first, second in pairs)


def test_a_corrupt_photo_is_named_and_skipped_and_a_missing_one_counted(photo_folder):
    folder, labels = photo_folder
    rows = pick_rows()
    (folder / rows[0]["file"]).write_bytes(b"not a jpeg at all")
    (folder / rows[1]["file"]).unlink()
    photos = real_photos.load_real_photos(folder, labels, workers=1)
    assert len(photos.labels) == 5
    assert [file for file, _ in photos.skipped] == [rows[0]["file"]]
    assert "not an image" in photos.skipped[0][1] or "cannot" in photos.skipped[0][1]
    assert photos.missing_count == 1


def test_the_render_cache_is_used_until_a_photo_or_the_pipeline_changes(photo_folder, monkeypatch):
    folder, labels = photo_folder
    first = real_photos.load_real_photos(folder, labels, workers=1)
    rendered = []
    original = real_photos.render_photos
    monkeypatch.setattr(
        real_photos, "render_photos", lambda paths, workers=None: rendered.append(paths) or original(paths, 1)
    )
    again = real_photos.load_real_photos(folder, labels)
    assert rendered == [] and np.array_equal(again.images, first.images)
    monkeypatch.setattr(real_photos, "PIPELINE_VERSION", real_photos.PIPELINE_VERSION + 1)
    real_photos.load_real_photos(folder, labels)
    assert len(rendered) == 1
    changed = folder / pick_rows()[0]["file"]
    changed.write_bytes(changed.read_bytes() + b"\0")
    real_photos.load_real_photos(folder, labels)
    assert len(rendered) == 2
    cache_files = [path.name for path in (folder.parent / "cache").iterdir()]
    assert not [name for name in cache_files if name.startswith(".incomplete")]


def test_a_missing_label_file_is_a_clear_error(photo_folder):
    folder, labels = photo_folder
    with pytest.raises(PhotoDatasetError, match="label file is missing"):
        real_photos.load_real_photos(folder, labels.parent / "nowhere.csv")


def test_a_label_outside_the_classes_names_its_line(photo_folder):
    folder, labels = photo_folder
    rows = pick_rows()
    rows[2]["class"] = "Sock"
    write_labels(labels, rows)
    with pytest.raises(PhotoDatasetError, match=r"line 4: 'Sock' is not a class"):
        real_photos.load_real_photos(folder, labels)


def test_a_folder_without_the_photos_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_PHOTOS_DIR", str(tmp_path))
    with pytest.raises(PhotoDatasetError, match="python -m fashion photos download"):
        real_photos.load_real_photos()


def test_the_validation_split_is_fixed_by_file_name():
    rows = real_photos.read_label_file()
    held_out = [real_photos.is_held_out(row.file) for row in rows]
    assert 0.17 < np.mean(held_out) < 0.23
    assert held_out == [real_photos.is_held_out(row.file) for row in rows]


@pytest.fixture
def source_server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving a folder of 'originals'; yields (folder, base URL)."""
    served = tmp_path / "served"
    served.mkdir()

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *arguments):
            pass

    handler = partial(QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def served_labels(tmp_path: Path, served: Path, count: int = 3) -> tuple[Path, list[dict]]:
    """Serve a few photos and write a label file whose checksums match them."""
    rows = pick_rows()[:count]
    for row in rows:
        data = (SHARED_PHOTOS / row["file"]).read_bytes()
        (served / row["file"]).parent.mkdir(parents=True, exist_ok=True)
        (served / row["file"]).write_bytes(data)
        row.update(source_sha256=hashlib.sha256(data).hexdigest(), source_bytes=str(len(data)))
    return write_labels(tmp_path / "labels.csv", rows), rows


def test_download_fetches_each_photo_checked_and_then_loads(tmp_path, source_server, monkeypatch):
    served, base_url = source_server
    labels, rows = served_labels(tmp_path, served)
    destination = tmp_path / "downloaded"
    assert real_photos.download_photos(destination, labels, base_url) == 3
    for row in rows:
        assert (destination / row["file"]).read_bytes() == (served / row["file"]).read_bytes()
    # A second run finds them there and fetches nothing.
    assert real_photos.download_photos(destination, labels, base_url) == 0
    monkeypatch.setenv("FASHION_CACHE_DIR", str(tmp_path / "cache"))
    assert len(real_photos.load_real_photos(destination, labels, workers=1).labels) == 3


def test_a_download_failing_its_checksum_keeps_nothing(tmp_path, source_server):
    served, base_url = source_server
    labels, rows = served_labels(tmp_path, served)
    (served / rows[1]["file"]).write_bytes(b"changed at the source")
    destination = tmp_path / "downloaded"
    with pytest.raises(PhotoDatasetError, match="does not match its SHA-256"):
        real_photos.download_photos(destination, labels, base_url)
    written = sorted(path.name for path in (destination / "images").iterdir())
    assert written == [Path(rows[0]["file"]).name]


def test_the_cli_reports_a_failed_download_in_one_line(tmp_path, source_server, monkeypatch, capsys):
    served, base_url = source_server
    labels, rows = served_labels(tmp_path, served)
    (served / rows[0]["file"]).unlink()
    monkeypatch.setattr(real_photos, "LABELS_PATH", labels)
    status = cli.main(["photos", "download", "--to", str(tmp_path / "downloaded"), "--base-url", base_url])
    error = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(error) == 1 and error[0].startswith("error: downloading") and "404" in error[0]
    assert not (tmp_path / "downloaded" / rows[0]["file"]).exists()


@pytest.fixture
def forty_photos(tmp_path, monkeypatch) -> Path:
    """FASHION_PHOTOS_DIR at a folder holding the first 40 photos of the project's label file."""
    folder = tmp_path / "forty"
    for row in real_photos.read_label_file()[:40]:
        (folder / row.file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED_PHOTOS / row.file, folder / row.file)
    monkeypatch.setenv("FASHION_PHOTOS_DIR", str(folder))
    monkeypatch.setenv("FASHION_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def test_the_photo_preset_learns_from_the_photos_and_says_so(small_dataset, forty_photos, models_dir, capsys):
    from fashion.training.models import PHOTO_ROBUST, with_overrides
    from fashion.training.workflow import train_evaluate_save

    settings = with_overrides(PHOTO_ROBUST, epochs=1, train_limit=300)
    finished = train_evaluate_save("cnn", settings, small_dataset, name="photo-model")
    photos = real_photos.load_real_photos()
    record = finished.entry.record
    assert record["trained_on"]["fashion_mnist"] == 270
    assert record["trained_on"]["real_photos"] == int((~photos.held_out).sum()) > 0
    assert record["trained_on"]["real_photos_summary"] == photos.summary()
    generated = record["trained_on"]["generated_negatives"]
    assert generated == generated_count(record["trained_on"]["real_photos"]) > 0
    sentence = real_photos.trained_on_sentence(record["trained_on"])
    assert f"{generated} generated non-clothing photos" in sentence
    # More images than Fashion-MNIST's 270: the photos, the scarce classes repeated, the generated ones.
    assert finished.result.train_count > 270 + record["trained_on"]["real_photos"] + generated
    calibration = record["ood"]
    assert calibration["held_out_photos"] == int((photos.labels[photos.held_out] >= 0).sum())
    assert calibration["tta"]["threshold"] > 0 and 0 <= calibration["tta"]["fashion_flagged"] <= 1
    # predict --json uses the record's threshold, not a new one set on the test set.
    photo_path = forty_photos / photos.files[0]
    assert cli.main(["predict", str(photo_path), "--json", "--model", "photo-model"]) == 0
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert answer["ood"]["threshold"] == round(calibration["tta"]["threshold"], 4)
    assert isinstance(answer["ood"]["flagged"], bool)
    # Continued for one more epoch: the outlier loss is restored with the optimizer, the photos again.
    more = with_overrides(settings, epochs=2)
    continued = train_evaluate_save("cnn", more, small_dataset, name="photo-model-2", parent="photo-model")
    assert continued.result.epochs_run == 1
    assert continued.entry.record["trained_on"]["real_photos"] == record["trained_on"]["real_photos"]
    assert "ood" in continued.entry.record


def test_the_photo_preset_without_photos_says_in_one_line_how_to_get_them(
    small_dataset, tmp_path, monkeypatch
):
    from fashion.training.models import PHOTO_ROBUST, with_overrides
    from fashion.training.run import train

    monkeypatch.setenv("FASHION_PHOTOS_DIR", str(tmp_path))
    with pytest.raises(PhotoDatasetError) as raised:
        train("cnn", with_overrides(PHOTO_ROBUST, epochs=1, train_limit=300), small_dataset)
    assert "python -m fashion photos download" in str(raised.value) and "\n" not in str(raised.value)


def test_the_train_pages_button_downloads_the_photos(
    use_small_data, models_dir, tmp_path, source_server, monkeypatch
):
    from app_pages import open_page

    from fashion.training.models import PHOTO_PRESET

    served, base_url = source_server
    labels, rows = served_labels(tmp_path, served)
    monkeypatch.setattr(real_photos, "LABELS_PATH", labels)
    monkeypatch.setenv("FASHION_PHOTOS_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("FASHION_PHOTOS_URL", base_url)
    app = open_page("pages/train.py")
    app.selectbox(key="train_architecture").set_value("cnn").run()
    app.selectbox(key="train_preset_cnn").set_value(PHOTO_PRESET).run()
    assert any("none are here" in warning.value for warning in app.warning)
    app.button(key="train_download_photos").click().run()
    assert not app.exception
    assert any("3 photos downloaded" in message.value for message in app.success)
    assert sorted(path.name for path in (tmp_path / "mine" / "images").iterdir()) == sorted(
        Path(row["file"]).name for row in rows
    )
    app.run()
    assert any("3 real labelled photos" in caption.value for caption in app.caption)


def files_under(folder: Path) -> list[str]:
    """Every file under a folder (temporary ones included), as paths relative to it."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def open_train_page_offering_the_download(monkeypatch, labels: Path, destination: Path, base_url: str):
    """The Train page on the Photo-robust preset, with no photos here and the download pointed at base_url."""
    from app_pages import open_page

    from fashion.training.models import PHOTO_PRESET

    monkeypatch.setattr(real_photos, "LABELS_PATH", labels)
    monkeypatch.setenv("FASHION_PHOTOS_DIR", str(destination))
    monkeypatch.setenv("FASHION_PHOTOS_URL", base_url)
    app = open_page("pages/train.py")
    app.selectbox(key="train_architecture").set_value("cnn").run()
    app.selectbox(key="train_preset_cnn").set_value(PHOTO_PRESET).run()
    assert any("none are here" in warning.value for warning in app.warning)
    return app


def test_the_download_button_offline_says_what_failed_and_writes_nothing(
    use_small_data, models_dir, tmp_path, source_server, monkeypatch
):
    import socket

    served, _ = source_server
    labels, rows = served_labels(tmp_path, served)
    with socket.socket() as closed:  # a port on 127.0.0.1 that nothing listens on: as if offline
        closed.bind(("127.0.0.1", 0))
        offline_url = f"http://127.0.0.1:{closed.getsockname()[1]}/"
    destination = tmp_path / "mine"
    app = open_train_page_offering_the_download(monkeypatch, labels, destination, offline_url)
    app.button(key="train_download_photos").click().run()
    assert not app.exception
    (error,) = [element.value for element in app.error]
    assert error.startswith(f"downloading {offline_url}{rows[0]['file']} failed (")
    assert error.endswith("0 photos were fetched and are kept: run the download again.") and "\n" not in error
    assert not app.success
    assert not destination.exists() or files_under(destination) == []
    # The page still offers the download, and the other presets train as before.
    app.run()
    assert any("none are here" in warning.value for warning in app.warning) and not app.exception


def test_the_download_button_stops_at_a_checksum_mismatch_keeping_only_whole_photos(
    use_small_data, models_dir, tmp_path, source_server, monkeypatch
):
    served, base_url = source_server
    labels, rows = served_labels(tmp_path, served)
    (served / rows[1]["file"]).write_bytes(b"changed at the source")
    destination = tmp_path / "mine"
    app = open_train_page_offering_the_download(monkeypatch, labels, destination, base_url)
    app.button(key="train_download_photos").click().run()
    assert not app.exception
    (error,) = [element.value for element in app.error]
    assert error == (
        f"{base_url}{rows[1]['file']}: the download does not match its SHA-256 in the label file (corrupt "
        "or changed at the source); it was not kept."
    )
    assert not app.success
    # The photo before it is there whole; the changed one and any temporary file are not.
    assert files_under(destination) == [rows[0]["file"]]
    assert (destination / rows[0]["file"]).read_bytes() == (served / rows[0]["file"]).read_bytes()
