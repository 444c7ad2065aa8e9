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


def test_search_returns_a_trained_zoo_model_and_resumes_without_redoing_trials(tmp_path):
    x, y = bars()
    result = zoo.tune("resnet", (x, y), (x[:24], y[:24]), max_trials=2, epochs=1, batch_size=16,
                  directory=str(tmp_path), verbose=0)
    assert [t["status"] for t in result.trials] == ["COMPLETED", "COMPLETED"]
    assert result.trials[0]["score"] >= result.trials[1]["score"]
    assert result.best_hyperparameters == result.trials[0]["hyperparameters"]
    assert {"stage1_blocks", "block", "base_width", "stem", "dropout", "optimizer", "learning_rate"} <= set(
        result.best_hyperparameters)
    model = result.best_model
    assert type(model).__name__ == "ImageClassifier" and model.num_classes == 3
    assert model.predict(x[:4], verbose=0).shape == (4, 3)
    assert "COMPLETED" in result.table()

    finished = {p: p.stat().st_mtime_ns for p in pathlib.Path(tmp_path, "resnet").glob("trial_*/trial.json")}
    assert len(finished) == 2
    again = zoo.tune("resnet", (x, y), (x[:24], y[:24]), max_trials=3, epochs=1, batch_size=16,
                 directory=str(tmp_path), verbose=0)
    assert len(again.trials) == 3
    for path, mtime in finished.items():  # the two finished trials were not run (or rewritten) again
        assert path.stat().st_mtime_ns == mtime
    before = {t["trial_id"]: t["hyperparameters"] for t in result.trials}
    for trial in again.trials:
        if trial["trial_id"] in before:
            assert trial["hyperparameters"] == before[trial["trial_id"]]
    assert json.loads((pathlib.Path(tmp_path, "resnet", "oracle.json")).read_text())


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
    with pytest.raises(ValueError, match="no search space for 'dcgan' yet"):
        zoo.tune("dcgan", (x, y))
    with pytest.raises(ValueError, match="tuner must be one of"):
        zoo.tune("resnet", (x, y), tuner="grid")
