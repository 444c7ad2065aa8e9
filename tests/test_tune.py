"""zoo.tune (issue #8, first slice): the ResNet search space, a search, its resume."""

import json
import pathlib

import numpy as np

import zoo


def bars(n=48, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 100, (n, 16, 16, 1)).astype("float32")
    y = np.arange(n) % classes
    for label, image in zip(y, x):  # a bright bar whose position is the class
        image[:, label * 5 : label * 5 + 4] = 255
    return x, y


# Small, shallow ResNets: tracing a deep one costs more than the search under test.
SMALL_RESNET = {"base_width": 8, "block": "basic", "stage3_blocks": 1, "stage4_blocks": 1}


def test_search_resumes_without_redoing_trials_then_reports_and_exports(tmp_path, zoo_env, monkeypatch):
    x, y = bars()
    result = zoo.tune("resnet", (x, y), (x[:24], y[:24]), max_trials=2, epochs=1, batch_size=16,
                  directory=str(tmp_path), verbose=0, fixed=SMALL_RESNET)
    assert [t["status"] for t in result.trials] == ["COMPLETED", "COMPLETED"]
    assert result.trials[0]["score"] >= result.trials[1]["score"]
    assert result.best_hyperparameters == result.trials[0]["hyperparameters"]
    assert {"stage1_blocks", "block", "base_width", "stem", "dropout", "optimizer", "learning_rate"} <= set(
        result.best_hyperparameters)
    model = result.best_model
    assert type(model).__name__ == "ImageClassifier" and model.num_classes == 3
    assert model.predict(model.preprocess(x[:4]), verbose=0).shape == (4, 3)
    assert model.preprocessing == "unit"  # trials train on preprocessed pixels, as finetune() does
    assert "COMPLETED" in result.table()
    record = model.training_record  # what save_preset's model card reports
    assert record["final"] == {"val_accuracy": result.trials[0]["score"]} and "zoo.tune('resnet'" in record["command"]

    finished = {p: p.stat().st_mtime_ns for p in pathlib.Path(tmp_path, "resnet").glob("trial_*/trial.json")}
    assert len(finished) == 2
    again = zoo.tune("resnet", (x, y), (x[:24], y[:24]), max_trials=3, epochs=1, batch_size=16,
                 directory=str(tmp_path), verbose=0, fixed=SMALL_RESNET)
    assert len(again.trials) == 3
    for path, mtime in finished.items():  # the two finished trials were not run (or rewritten) again
        assert path.stat().st_mtime_ns == mtime
    before = {t["trial_id"]: t["hyperparameters"] for t in result.trials}
    for trial in again.trials:
        if trial["trial_id"] in before:
            assert trial["hyperparameters"] == before[trial["trial_id"]]
    assert json.loads((pathlib.Path(tmp_path, "resnet", "oracle.json")).read_text())
    runners_up = again.best_models(2)  # each restored from its own trial's checkpoint
    assert [m.count_params() for m in runners_up] == [
        again.tuner.hypermodel.build(again.tuner.oracle.get_trial(t["trial_id"]).hyperparameters).count_params()
        for t in again.trials[:2]]

    # Report and export: a PNG, and a manifest entry that makes the best trial a loadable zoo model.
    assert again.plot(tmp_path / "report.png").stat().st_size > 5_000
    manifest = again.export(tmp_path / "export")
    monkeypatch.setenv("ZOO_MANIFEST", str(manifest))
    loaded = zoo.load("resnet18.searched")
    np.testing.assert_allclose(loaded.predict(x[:8], verbose=0), again.best_model.predict(x[:8], verbose=0),
                               atol=1e-6)
    assert zoo.info("resnet18")["weights"]["searched"]["metrics"]["val_accuracy"] == again.trials[0]["score"]
    assert zoo.load(str(tmp_path / "export" / "model.keras")).num_classes == 3


def test_searched_resnet_layout_builds_through_the_factory():
    model = zoo.create("resnet18", num_classes=2, input_shape=(16, 16, 1), stem="cifar", base_width=4,
                       blocks_per_stage=[1, 1, 2, 1], block="bottleneck", dropout=0.2)
    names = [layer.name for layer in model.network.layers]
    assert "conv4_block2_3_conv" in names and "conv4_block3_1_conv" not in names and "head_dropout" in names
    reference = zoo.create("resnet50", num_classes=10, input_shape=(32, 32, 3))
    same = zoo.create("resnet18", num_classes=10, input_shape=(32, 32, 3), variant="v1",
                      blocks_per_stage=[3, 4, 6, 3], block="bottleneck")
    assert same.count_params() == reference.count_params()


def test_unknown_family_and_tuner_are_refused():
    import pytest

    x, y = bars(8)
    with pytest.raises(zoo.UnknownModelError, match="Unknown model .resnt.*resnet"):
        zoo.tune("resnt", (x, y))
    with pytest.raises(ValueError, match="cgan space trains on \\(images, labels\\)"):
        zoo.tune("cgan", x, x)
    with pytest.raises(ValueError, match="tuner must be one of"):
        zoo.tune("resnet", (x, y), tuner="grid")


def test_cli_tune_prints_the_table_and_writes_the_report(tmp_path):
    import subprocess
    import sys

    x, y = bars(24)
    np.savez(tmp_path / "data.npz", x_train=x, y_train=y, x_val=x[:12], y_val=y[:12])
    completed = subprocess.run(
        [sys.executable, "-m", "zoo.cli", "tune", "resnet", "--data", str(tmp_path / "data.npz"), "--max-trials", "1",
         "--epochs", "1", "--batch-size", "12", "--directory", str(tmp_path / "search"),
         "--report", str(tmp_path / "report.png"), "--fixed", "base_width=8", "block=basic"],
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "COMPLETED" in completed.stdout and "val_accuracy" in completed.stdout
    assert "base_width=8," in completed.stdout and "block=basic," in completed.stdout  # pinned, not searched
    assert (tmp_path / "report.png").stat().st_size > 5_000
    np.savez(tmp_path / "bad.npz", images=x)
    completed = subprocess.run([sys.executable, "-m", "zoo.cli", "tune", "resnet", "--data", str(tmp_path / "bad.npz")],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 2 and "needs an array x_train" in completed.stderr


def test_bayesian_and_hyperband_tuners_run(tmp_path):
    x, y = bars(24, classes=2)
    for tuner in ("bayesian", "hyperband"):  # hyperband: epochs is its max_epochs
        result = zoo.tune("lego_cnn", (x, y), (x, y), tuner=tuner, max_trials=2, epochs=2, batch_size=12,
                          directory=str(tmp_path / tuner), verbose=0,
                          fixed={"blocks": 2, "block1_filters": 16, "block2_filters": 16})  # small: tracing dominates
        assert len(result.trials) >= 2 and all(t["status"] == "COMPLETED" for t in result.trials), tuner
        assert type(result.tuner).__name__ == {"bayesian": "BayesianOptimization", "hyperband": "Hyperband"}[tuner]
