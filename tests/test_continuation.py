"""Continue training: a new model naming its parent, its history going on, its optimizer restored."""

from __future__ import annotations

import json

import keras
import pytest

from fashion.cli import main
from fashion.errors import ConfigurationError
from fashion.store import model_store as store
from fashion.training.models import HyperParameters
from fashion.training.run import continue_training, continued_hyper_parameters
from fashion.training.workflow import train_evaluate_save


def optimizer_steps(name: str) -> int:
    """The step count of the optimizer saved in a model's .keras file."""
    model = keras.saving.load_model(store.get_entry(name).model_path, safe_mode=True, compile=True)
    return int(model.optimizer.iterations.numpy())


def test_continued_model_names_its_parent_and_continues_the_epochs(store_with_model, small_dataset):
    parent = store.get_entry("small-tutorial").record
    total = continued_hyper_parameters(parent, 2)
    finished = train_evaluate_save("tutorial", total, small_dataset, name="child", parent="small-tutorial")
    record = finished.entry.record
    assert record["parent"] == "small-tutorial" and record["continued_epochs"] == 2
    assert [row["epoch"] for row in record["history"]] == [1, 2, 3, 4, 5]
    assert record["history"][:3] == parent["history"] and record["epochs_run"] == 5
    assert record["hyper_parameters"] == {**parent["hyper_parameters"], "epochs": 5}
    # The optimizer went on from the parent's state: 15 steps per epoch (900 images, batch 64)
    assert optimizer_steps("small-tutorial") == 3 * 15
    assert optimizer_steps("child") == 5 * 15


def test_epoch_reports_count_on_from_the_parent(store_with_model, small_dataset):
    from fashion.training.run import TrainingListener

    class Recorder(TrainingListener):
        def __init__(self):
            self.epochs, self.batch_epochs = [], set()

        def on_batch(self, report):
            self.batch_epochs.add((report.epoch, report.epochs))

        def on_epoch(self, report):
            self.epochs.append((report.epoch, report.epochs))

    recorder = Recorder()
    result = continue_training("small-tutorial", 1, small_dataset, recorder)
    assert recorder.epochs == [(4, 4)] and recorder.batch_epochs == {(4, 4)}
    assert result.parent == "small-tutorial" and result.epochs_run == 1


def test_a_cosine_schedule_restarts_over_the_new_epochs(models_dir, small_dataset):
    cosine = HyperParameters(epochs=2, batch_size=100, learning_rate=0.01, seed=1, schedule="cosine")
    train_evaluate_save("tutorial", cosine, small_dataset, name="cosine")
    result = continue_training("cosine", 2, small_dataset)
    optimizer = result.model.optimizer
    schedule = optimizer.learning_rate if callable(optimizer.learning_rate) else optimizer._learning_rate
    parent_steps = 2 * 9
    # The parent's cosine had decayed to 0; the new one starts again at the parent's rate
    assert float(schedule(parent_steps)) == pytest.approx(0.01)
    assert float(schedule(parent_steps + 9)) == pytest.approx(0.005, rel=1e-3)
    assert int(optimizer.iterations.numpy()) == 4 * 9


def test_more_epochs_must_be_in_range(store_with_model):
    with pytest.raises(ConfigurationError, match="more epochs"):
        continued_hyper_parameters(store.get_entry("small-tutorial").record, 0)


def test_cli_train_from_a_saved_model(store_with_model, use_small_data, capsys):
    assert main(["train", "--from", "small-tutorial", "--epochs", "1", "--name", "more", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (
        summary["parent"] == "small-tutorial" and summary["total_epochs"] == 4 and summary["epochs_run"] == 1
    )
    assert store.get_entry("more").record["parent"] == "small-tutorial"


def test_cli_train_from_refuses_other_settings(store_with_model, capsys):
    assert main(["train", "--from", "small-tutorial"]) == 2
    assert main(["train", "--from", "small-tutorial", "--epochs", "1", "--batch-size", "8"]) == 2
    assert main(["train", "--from", "nobody", "--epochs", "1"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert "needs --epochs" in errors[0] and "drop --batch-size" in errors[1] and "'nobody'" in errors[2]


def test_an_older_job_database_gains_the_parent_columns(tmp_path):
    import sqlite3

    from fashion.jobs.sqlite_records import SCHEMA, JobDatabase

    path = tmp_path / "old.sqlite3"
    old_schema = SCHEMA.replace(",\n    parent TEXT,\n    parent_epochs INTEGER NOT NULL DEFAULT 0", "")
    assert "parent" not in old_schema
    connection = sqlite3.connect(path)
    connection.executescript(old_schema)
    connection.close()
    JobDatabase(path)
    connection = sqlite3.connect(path)
    columns = {row[1] for row in connection.execute("PRAGMA table_info(jobs)")}
    connection.close()
    assert {"parent", "parent_epochs"} <= columns
