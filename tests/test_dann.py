"""Domain-adversarial training: the gradient reversal layer, the schedules, MNIST-M, the dann task and its weights."""

import importlib
import importlib.util
import json
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.test_distribute import run_child
from zoo.models.gradient_reversal import GradientReversal, ganin_lambda
from zoo.tasks.dann import DANN, AnnealedLearningRate
from zoo.tasks.dann_figure import domain_figure

ROOT = pathlib.Path(__file__).resolve().parents[1]
mnist_m_module = importlib.import_module("zoo.datasets.mnist_m")  # zoo.datasets.mnist_m is the function
TINY = dict(input_shape=(16, 16, 3), num_classes=3, base_filters=4, hidden_units=8, domain_units=8)
RNG = np.random.default_rng(0)
DIGITS = RNG.integers(0, 256, (12, 16, 16)).astype("uint8")
LABELS = np.arange(12) % 3


def tiny(**config) -> DANN:
    keras.utils.set_random_seed(0)
    return zoo.create("dann", **{**TINY, **config})


def test_gradient_reversal_is_identity_forward_and_minus_lambda_backward():
    layer = GradientReversal(0.5)
    x = tf.constant([[1.0, -2.0, 3.0]])
    upstream = tf.constant([[2.0, 4.0, -6.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        objective = tf.reduce_sum(y * upstream)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_allclose(tape.gradient(objective, x).numpy(), [[-1.0, -2.0, 3.0]])
    layer.lambda_.assign(2.0)  # settable between steps, no rebuild
    with tf.GradientTape() as tape:
        tape.watch(x)
        objective = tf.reduce_sum(layer(x) * upstream)
    np.testing.assert_allclose(tape.gradient(objective, x).numpy(), [[-4.0, -8.0, 12.0]])
    assert GradientReversal.from_config(layer.get_config()).lambda_.numpy() == 2.0


def test_the_papers_schedules():
    np.testing.assert_allclose(ganin_lambda([0.0, 0.1, 0.5, 1.0]),
                               [0.0, 2 / (1 + np.exp(-1)) - 1, 0.9866142, 0.9999092], rtol=1e-5)
    rate = AnnealedLearningRate(0.01, total_steps=100)
    np.testing.assert_allclose([float(rate(step)) for step in (0, 50, 100, 500)],
                               [0.01, 0.01 / 6**0.75, 0.01 / 11**0.75, 0.01 / 11**0.75], rtol=1e-6)
    assert AnnealedLearningRate.from_config(rate.get_config()).total_steps == 100


def test_mnist_m_pixels_are_the_absolute_difference_of_digit_and_crop():
    digit = np.array([[[0, 200], [255, 10]]], "uint8")
    patch = np.array([[[[10, 20, 30], [100, 250, 0]], [[255, 0, 128], [10, 10, 10]]]], "uint8")
    np.testing.assert_array_equal(mnist_m_module.blend(digit, patch)[0],
                                  [[[10, 20, 30], [100, 50, 200]], [[0, 255, 127], [0, 0, 0]]])
    images, labels = zoo.datasets.mnist_m(DIGITS, LABELS, seed=3)
    crops = mnist_m_module.random_patches(12, 16, 16, np.random.default_rng(3))
    expected = np.abs(crops.astype(int) - DIGITS.astype(int)[..., None])
    np.testing.assert_array_equal(images, expected)
    assert images.dtype == np.uint8 and images.shape == (12, 16, 16, 3)
    np.testing.assert_array_equal(labels, LABELS)
    photographs = mnist_m_module.photographs()
    assert len(photographs) == 2 and photographs[0].shape == (427, 640, 3)


def test_mnist_m_is_seeded():
    first, _ = zoo.datasets.mnist_m(DIGITS, seed=1)
    again, _ = zoo.datasets.mnist_m(DIGITS, seed=1)
    other, _ = zoo.datasets.mnist_m(DIGITS, seed=2)
    np.testing.assert_array_equal(first, again)
    assert (first != other).mean() > 0.5


def test_a_few_domain_steps_lower_the_label_loss_and_follow_the_lambda_schedule():
    model = tiny()
    target, _ = zoo.datasets.mnist_m(DIGITS, seed=0)
    history = model.fit_domains((DIGITS, LABELS), target, epochs=8, batch_size=6, learning_rate=0.05,
                                validation_data=(target, LABELS), verbose=0)
    losses = history.history["label_loss"]
    assert 0 <= history.history["val_label_accuracy"][-1] <= 1
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], losses
    assert {"domain_loss", "domain_accuracy", "label_accuracy", "loss"} <= set(history.history)
    # 16 steps: the last batch began at progress 15/16
    assert float(model.gradient_reversal.lambda_) == pytest.approx(float(ganin_lambda(15 / 16)), rel=1e-5)
    assert model.predict_top_k(target, k=1).ids.shape == (12, 1)


def test_the_domain_loss_responds_and_its_gradient_reaches_the_features_reversed():
    # lambda 0: the domain classifier learns to tell black images from bright ones, the features are untouched
    model = tiny()
    dark, bright = np.zeros((12, 16, 16, 3)), np.full((12, 16, 16, 3), 250.0)
    history = model.fit_domains((dark, LABELS), bright, epochs=6, batch_size=6, lambda_=0.0, learning_rate=0.05,
                                verbose=0)
    assert history.history["domain_loss"][-1] < history.history["domain_loss"][0] - 0.05
    # Through the reversal, the features get -lambda times the gradient they would get without it.
    model.gradient_reversal.lambda_.assign(0.7)
    inputs = model.preprocess(np.concatenate([dark[:2], bright[:2]]).astype("float32"))
    domains = tf.constant([[0.0], [0.0], [1.0], [1.0]])
    features_model = model.shared_features()

    def gradient(through_reversal: bool):
        with tf.GradientTape() as tape:
            features = features_model(inputs)
            layers = model.domain_classifier.layers[1 if through_reversal else 2:]
            logits = features
            for layer in layers:
                logits = layer(logits)
            loss = tf.reduce_mean(keras.losses.binary_crossentropy(domains, logits, from_logits=True))
        return tape.gradient(loss, features_model.trainable_variables)

    for reversed_, plain in zip(gradient(True), gradient(False)):
        np.testing.assert_allclose(reversed_.numpy(), -0.7 * plain.numpy(), rtol=1e-5, atol=1e-8)
    assert any(float(tf.reduce_max(tf.abs(g))) > 0 for g in gradient(False))


def test_keras_file_and_preset_round_trips(tmp_path):
    model = tiny()
    model.class_names = ["a", "b", "c"]
    target, _ = zoo.datasets.mnist_m(DIGITS, seed=0)
    model.fit_domains((DIGITS, LABELS), target, epochs=1, batch_size=6, verbose=0)
    model.gradient_reversal.lambda_.assign(0.25)
    expected = model.predict_top_k(target, k=3)
    model.save(tmp_path / "dann.keras")
    restored = zoo.load(str(tmp_path / "dann.keras"))
    assert type(restored) is DANN and restored.build_config == model.build_config
    np.testing.assert_allclose(restored.predict_top_k(target, k=3).scores, expected.scores, rtol=1e-6)
    for ours, theirs in zip(restored.domain_classifier.get_weights(), model.domain_classifier.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert float(restored.gradient_reversal.lambda_) == 0.25
    model.save_preset(tmp_path / "preset")
    from_preset = zoo.load(str(tmp_path / "preset"))
    assert type(from_preset) is DANN and from_preset.class_names == ["a", "b", "c"]
    np.testing.assert_allclose(from_preset.predict_top_k(target, k=3).scores, expected.scores, rtol=1e-6)
    assert json.loads((tmp_path / "preset" / "config.json").read_text())["task"] == "domain_adaptation"


def test_any_zoo_backbone_and_transfer():
    model = tiny(backbone="resnet18", backbone_config={"base_width": 4, "stem": "cifar"}, input_shape=(32, 32, 3))
    assert model.shared_features().output_shape == (None, 32)  # resnet18's pooled features at base width 4
    moved = model.transfer(5)
    assert type(moved) is DANN and moved.num_classes == 5
    assert moved.predict_top_k(DIGITS, k=5).ids.shape == (12, 5)


def test_domain_figure_is_written(tmp_path):
    model = tiny()
    target, _ = zoo.datasets.mnist_m(DIGITS, seed=0)
    path = domain_figure({"before": model, "after": model}, DIGITS, target, tmp_path / "domains.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


MIRRORED = """
import json, numpy as np, keras, zoo, zoo.distribute
zoo.distribute.cpu_devices(2)
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
digits, labels = rng.integers(0, 256, (16, 16, 16)), np.arange(16) % 3
model = zoo.create("dann", input_shape=(16, 16, 3), num_classes=3, base_filters=4, hidden_units=8, domain_units=8)
history = model.fit_domains((digits, labels), zoo.datasets.mnist_m(digits)[0], epochs=4, batch_size=4,
                            learning_rate=0.05, strategy="mirrored:2", verbose=0)
print(json.dumps({"replicas": model.distribute_strategy.num_replicas_in_sync, "label_loss": history.history["label_loss"],
                  "lambda": float(keras.ops.convert_to_numpy(model.gradient_reversal.lambda_))}))
"""


def test_mirrored_strategy_on_two_logical_cpus():
    result = json.loads(run_child(MIRRORED))
    assert result["replicas"] == 2
    losses = result["label_loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], losses
    assert result["lambda"] == pytest.approx(float(ganin_lambda(7 / 8)), rel=1e-5)  # 8 steps of 8 (2 x 4) images


def test_bundled_weights_reproduce_the_recorded_target_accuracy(zoo_env, monkeypatch):
    pytest.importorskip("mlxtend")
    pytest.importorskip("sklearn")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = importlib.util.spec_from_file_location("train_dann", ROOT / "tools" / "train_dann.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    _, _, _, target_test, test_labels, source_test = tool.domains()
    model = zoo.load("dann.mnist_m")
    metrics = zoo.info("dann")["weights"]["mnist_m"]["metrics"]
    assert tool.accuracy(model, target_test, test_labels) == pytest.approx(metrics["mnist_m_test_top1"], abs=0.002)
    assert tool.accuracy(model, source_test, test_labels) == pytest.approx(metrics["mnist_test_top1"], abs=0.002)
    assert model.class_names == [str(d) for d in range(10)]
    by_background = tool.by_background(model, target_test, test_labels)
    assert by_background["light_background"] == pytest.approx(metrics["mnist_m_test_top1_dann_light_background"],
                                                              abs=0.005)
    # The same command's references: labelled target images are far above both. DANN vs source only is not
    # asserted: here they differ by less than a change of seed moves either (README).
    assert metrics["mnist_m_test_top1"] + 0.3 < metrics["mnist_m_test_top1_train_on_target"]
    assert metrics["mnist_m_test_top1_source_only"] + 0.3 < metrics["mnist_m_test_top1_train_on_target"]
