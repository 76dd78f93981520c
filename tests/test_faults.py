"""Training faults: stop at every phase, a server killed while saving, corrupted files in the store."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from fashion import cli
from fashion.errors import ModelStoreError
from fashion.store import model_store as store
from fashion.training.models import HyperParameters
from fashion.training.run import TrainingListener, train
from fashion.training.workflow import train_evaluate_save

REPOSITORY = Path(__file__).resolve().parent.parent
# Two short epochs of 6 batches: enough to stop before, inside and between epochs, and cheap on a shared CPU.
FAULT_HYPER_PARAMETERS = HyperParameters(
    epochs=2, batch_size=64, learning_rate=0.003, seed=7, validation_fraction=0.1, train_limit=400
)


class StopAt(TrainingListener):
    """Sets the stop event after a given batch of a given epoch (both counted from 1)."""

    def __init__(self, stop_event: threading.Event, epoch: int, step: int):
        self.stop_event, self.epoch, self.step = stop_event, epoch, step

    def on_batch(self, report) -> None:
        if report.epoch == self.epoch and report.step == self.step:
            self.stop_event.set()


def test_stop_before_start_trains_nothing(small_dataset):
    stop_event = threading.Event()
    stop_event.set()
    result = train("tutorial", FAULT_HYPER_PARAMETERS, small_dataset, stop_event=stop_event)
    assert result.epochs_run == 0 and result.history == []
    assert result.stopped


def test_stop_before_start_saves_nothing(small_dataset, models_dir):
    stop_event = threading.Event()
    stop_event.set()
    finished = train_evaluate_save("tutorial", FAULT_HYPER_PARAMETERS, small_dataset, stop_event=stop_event)
    assert finished.entry is None and finished.evaluation is None
    assert store.list_entries(models_dir) == []


def test_stop_in_the_first_epoch_keeps_no_history_and_saves_nothing(small_dataset, models_dir):
    stop_event = threading.Event()
    listener = StopAt(stop_event, epoch=1, step=3)
    finished = train_evaluate_save(
        "tutorial", FAULT_HYPER_PARAMETERS, small_dataset, listener=listener, stop_event=stop_event
    )
    assert finished.result.epochs_run == 0
    assert finished.entry is None
    assert store.list_entries(models_dir) == []


def test_stop_mid_epoch_keeps_only_completed_epochs_and_saves(small_dataset, models_dir):
    stop_event = threading.Event()
    listener = StopAt(stop_event, epoch=2, step=3)
    finished = train_evaluate_save(
        "tutorial", FAULT_HYPER_PARAMETERS, small_dataset, listener=listener, stop_event=stop_event
    )
    assert finished.result.stopped
    assert [row["epoch"] for row in finished.result.history] == [1]
    entry = store.get_entry(finished.entry.name, models_dir)
    assert entry.record["epochs_run"] == 1 and entry.record["stopped_early"] is True
    assert len(entry.record["history"]) == 1
    store.load_model(entry.name, models_dir)


# A server process that is SIGKILLed while store.save_model is writing: its model file is half written.
SAVING_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from fashion.store import model_store as store

    class SlowModel:
        def save(self, path):
            with open(path, "wb") as handle:
                handle.write(b"PK" + b"half a model" * 1000)
                handle.flush()
                print("saving", flush=True)
                time.sleep(60)

    store.save_model(SlowModel(), {"architecture": "tutorial"}, "killed-mid-save", Path(sys.argv[1]))
    """
)


def test_server_killed_during_a_save_leaves_no_half_written_model(store_with_model):
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    child = subprocess.Popen(
        [sys.executable, "-c", SAVING_CHILD, str(store_with_model)],
        cwd=REPOSITORY, env=environment, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout.readline().strip() == "saving"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    leftovers = list(store_with_model.glob(store.TEMPORARY_PREFIX + "*"))
    assert len(leftovers) == 1 and (leftovers[0] / store.MODEL_FILE).is_file()
    assert [entry.name for entry in store.list_entries()] == ["small-tutorial"]
    assert store.list_entries()[0].readable
    assert store.clean_incomplete(older_than_seconds=3600) == 0
    assert store.clean_incomplete(older_than_seconds=0) == 1
    assert sorted(path.name for path in store_with_model.iterdir()) == ["small-tutorial"]
    store.load_model("small-tutorial")


@pytest.fixture
def corrupt_store(store_with_model) -> Path:
    """The trained store plus copies of its model: a garbage model.keras, a truncated one, a broken record."""
    original = store_with_model / "small-tutorial"
    for name in ("corrupt", "truncated", "bad-record"):
        shutil.copytree(original, store_with_model / name)
    (store_with_model / "corrupt" / store.MODEL_FILE).write_bytes(b"this is not a keras archive\n" * 100)
    model_bytes = (original / store.MODEL_FILE).read_bytes()
    (store_with_model / "truncated" / store.MODEL_FILE).write_bytes(model_bytes[: len(model_bytes) // 2])
    (store_with_model / "bad-record" / store.RECORD_FILE).write_text(
        '{"architecture": "tutor', encoding="utf-8"
    )
    return store_with_model


def test_corrupted_entries_are_listed_as_unreadable_with_a_reason(corrupt_store):
    entries = {entry.name: entry for entry in store.list_entries()}
    assert set(entries) == {"small-tutorial", "corrupt", "truncated", "bad-record"}
    assert entries["small-tutorial"].readable
    for name in ("corrupt", "truncated", "bad-record"):
        assert not entries[name].readable, name
        assert entries[name].error, name
    assert "model.keras" in entries["corrupt"].error
    assert "record.json" in entries["bad-record"].error
    assert [entry.name for entry in store.list_models()] == ["small-tutorial"]


def test_corrupted_entries_fail_to_load_and_others_still_load(corrupt_store):
    for name in ("corrupt", "truncated", "bad-record"):
        with pytest.raises(ModelStoreError):
            store.load_model(name)
    store.load_model("small-tutorial")


def test_a_model_archive_with_a_broken_config_fails_to_load_with_a_store_error(store_with_model):
    import zipfile

    broken = store_with_model / "broken-config"
    shutil.copytree(store_with_model / "small-tutorial", broken)
    with zipfile.ZipFile(store_with_model / "small-tutorial" / store.MODEL_FILE) as source, zipfile.ZipFile(
        broken / store.MODEL_FILE, "w"
    ) as target:
        for member in source.namelist():
            data = b'{"class_name": "NoSuchLayer"' if member == "config.json" else source.read(member)
            target.writestr(member, data)
    with pytest.raises(ModelStoreError, match="delete it and train again"):
        store.load_model("broken-config")
    store.load_model("small-tutorial")


def test_cli_lists_corrupted_entries_as_unreadable(corrupt_store, capsys):
    assert cli.main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    unreadable = sorted(line.split()[0] for line in lines if "UNREADABLE:" in line)
    assert unreadable == ["bad-record", "corrupt", "truncated"]
    assert any(line.startswith("small-tutorial") and "accuracy" in line for line in lines)


def test_cli_predict_with_a_corrupted_model_exits_2_with_one_line(corrupt_store, capsys, tmp_path):
    image_path = tmp_path / "shirt.png"
    from PIL import Image

    Image.new("L", (40, 40), 255).save(image_path)
    for name in ("corrupt", "bad-record"):
        status = cli.main(["predict", str(image_path), "--model", name])
        captured = capsys.readouterr()
        lines = captured.err.splitlines()
        assert status == 2
        assert captured.out == ""
        assert len(lines) == 1 and lines[0].startswith("error: ") and name in lines[0], captured.err
