"""Watching a model learn: per-epoch probe predictions and first-layer images, live and in the record."""

from __future__ import annotations

import json

import numpy as np
from waiting import job_when

from fashion.data.fashion_mnist import CLASS_NAMES, scale_images
from fashion.explain import explanation_plots
from fashion.jobs.local_backend import LocalJobs
from fashion.jobs.sqlite_records import JobDatabase
from fashion.store import model_store as store
from fashion.training import learning
from fashion.training.models import HyperParameters, with_overrides
from fashion.training.run import TrainingListener, train

QUICK = HyperParameters(epochs=3, batch_size=64, learning_rate=0.003, seed=5, validation_fraction=0.1)


class LearningListener(TrainingListener):
    def __init__(self):
        self.calls = []

    def on_learning(self, probes, snapshot):
        self.calls.append((probes, snapshot))


def test_each_epoch_snapshots_the_probes_and_the_first_layer(small_dataset):
    listener = LearningListener()
    result = train("tutorial", QUICK, small_dataset, listener)
    probes, snapshots = result.learning["probes"], result.learning["snapshots"]
    # Two test images of each class, the same ones every run
    assert len(probes["indices"]) == 20
    assert sorted(probes["labels"]) == sorted(list(range(10)) * 2)
    assert probes == learning.probe_set(small_dataset.test_images, small_dataset.test_labels)
    np.testing.assert_array_equal(learning.probe_images(probes), small_dataset.test_images[probes["indices"]])
    assert [snapshot["epoch"] for snapshot in snapshots] == [1, 2, 3]
    assert [call[1] for call in listener.calls] == snapshots  # told live, epoch by epoch
    decoded = [learning.decode_snapshot(snapshot, 20) for snapshot in snapshots]
    for probabilities, first_layer in decoded:
        assert probabilities.shape == (20, 10) and first_layer.shape == (8, 28, 28)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=0.03)
        assert np.abs(first_layer).max() > 0.99  # each template scaled to its own peak
    # The probes' predictions are those of the model after the last epoch
    final = np.asarray(result.model(scale_images(learning.probe_images(probes)), training=False))
    np.testing.assert_allclose(decoded[-1][0], final, atol=1 / 255 + 1e-6)
    # It learns: the first layer moves and the probes' guesses get better than at epoch 1
    assert not np.allclose(decoded[0][1], decoded[-1][1])
    right = [int((p.argmax(axis=1) == np.array(probes["labels"])).sum()) for p, _ in decoded]
    assert right[-1] >= right[0] and right[-1] >= 12, right


def test_a_cnn_records_its_first_convolution_filters(small_dataset):
    hyper_parameters = with_overrides(QUICK, epochs=1, train_limit=300)
    result = train("cnn", hyper_parameters, small_dataset)
    _, filters = learning.decode_snapshot(result.learning["snapshots"][0], 20)
    assert filters.shape == (32, 3, 3)


def test_the_saved_record_replays_the_training(store_with_model):
    record = store.get_entry("small-tutorial").record
    snapshots = record["learning"]["snapshots"]
    assert [snapshot["epoch"] for snapshot in snapshots] == [row["epoch"] for row in record["history"]]
    assert len(json.dumps(record["learning"])) < 100_000  # small enough to list the store quickly


def test_a_worker_job_reports_learning_live(small_dataset, models_dir, use_small_data, tmp_path):
    jobs = LocalJobs(JobDatabase(tmp_path / "jobs.sqlite3"), max_jobs=1)
    try:
        job = jobs.start("tutorial", with_overrides(QUICK, epochs=2), small_dataset, model_name="watched")
        assert jobs.learning(job.job_id) == {}
        job_when(jobs, job.job_id, lambda job: not job.active, "ended", seconds=120)
        snapshot = jobs.get(job.job_id)
        assert snapshot.state == "finished", snapshot.error
        reported = jobs.learning(job.job_id)
        assert [row["epoch"] for row in reported["snapshots"]] == [1, 2]
        assert reported == store.get_entry("watched").record["learning"]
    finally:
        jobs.close()


def test_the_learning_figure_captions_each_probe(small_dataset):
    probes = learning.probe_set(small_dataset.test_images, small_dataset.test_labels)
    probabilities = np.zeros((20, 10), dtype=np.float32)
    probabilities[np.arange(20), probes["labels"]] = 1.0
    figure = explanation_plots.learning_figure(
        learning.probe_images(probes), probes["labels"], probabilities, np.zeros((8, 28, 28)), 4
    )
    labels = [axes.get_xlabel() for axes in figure.axes[:20]]
    assert labels == [f"{CLASS_NAMES[label]} 100%" for label in probes["labels"]]
    assert len(figure.axes) == 28 and figure._suptitle.get_text().startswith("Epoch 4:")
