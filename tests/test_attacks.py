"""zoo.attacks, zoo.robustness and adversarial finetune, on the bundled MNIST classifiers and tiny models."""

from __future__ import annotations

import importlib.util
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.harness import check_save_load
from tests.test_distribute import run_child

ROOT = pathlib.Path(__file__).resolve().parents[1]
pytest.importorskip("mlxtend")


def _train_robust():
    spec = importlib.util.spec_from_file_location("train_robust", ROOT / "tools" / "train_robust.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def digits():
    """The first 64 of the 1,000 held-out digits both bundled MNIST models were measured on."""
    _, x_test, _, y_test = _train_robust().mnist_split()
    return x_test[:64], y_test[:64]


@pytest.fixture(scope="module")
def standard():
    return zoo.load("resnet18.mnist")


def accuracy(model, images, labels) -> float:
    return float((zoo.attacks.predict_classes(model, images) == labels).mean())


def test_pgd_beats_fgsm_beats_nothing_and_stays_in_the_ball(standard, digits):
    images, labels = digits
    eps = 0.1
    fgsm = zoo.attacks.fgsm(standard, images, labels, eps)
    pgd = zoo.attacks.pgd(standard, images, labels, eps, steps=10)
    clean_accuracy, fgsm_accuracy, pgd_accuracy = (accuracy(standard, x, labels) for x in (images, fgsm, pgd))
    assert pgd_accuracy <= fgsm_accuracy <= clean_accuracy
    assert clean_accuracy >= 0.95 and pgd_accuracy <= 0.5, (clean_accuracy, fgsm_accuracy, pgd_accuracy)
    for adversarial in (fgsm, pgd):
        assert adversarial.shape == images.shape and adversarial.dtype == np.float32
        assert np.abs(adversarial - images).max() <= eps * 255 + 1e-3
        assert adversarial.min() >= 0 and adversarial.max() <= 255
    # FGSM moves every pixel by eps unless [0, 255] stops it (MNIST's background is 0: it can only go up).
    moved = np.abs(fgsm - images)
    inside = (images >= eps * 255) & (images <= 255 - eps * 255)
    np.testing.assert_allclose(moved[inside], eps * 255, atol=1e-3)


def test_a_targeted_attack_reaches_its_target(standard, digits):
    images, labels = digits[0][:32], digits[1][:32]
    targets = (labels + 1) % 10
    adversarial = zoo.attacks.pgd(standard, images, targets, 0.3, steps=20, targeted=True)
    hit = float((zoo.attacks.predict_classes(standard, adversarial) == targets).mean())
    assert hit >= 0.8, hit


def test_the_gradient_flows_through_zoos_resize_and_preprocessing(standard, digits):
    # resnet18.mnist resizes 28x28 digits to 32x32 and divides by 255 inside model.preprocess.
    assert standard.image_shape == (32, 32, 1) and standard.preprocessing == "unit"
    pixels = tf.constant(digits[0][:4, :, :, None])
    with tf.GradientTape() as tape:
        tape.watch(pixels)
        logits = zoo.attacks.logits_function(standard)(pixels)
        loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(digits[1][:4], logits))
    gradient = tape.gradient(loss, pixels).numpy()
    assert gradient.shape == (4, 28, 28, 1) and np.isfinite(gradient).all()
    assert (np.abs(gradient).reshape(4, -1).max(axis=1) > 0).all()


def test_a_plain_keras_classifier_with_a_saturated_softmax_is_attacked_through_its_logits():
    # A Keras classifier on raw (n, 28, 28) pixels whose softmax says exactly 1.0 in float32: the loss is
    # taken on the logits (the Dense layer before its softmax), which still say which way to go.
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax", kernel_initializer="ones")])
    scale = 50 / (2 * 784 * 100)  # logits 25 and -25 on these images: the probability of class 1 is ~2e-22
    model.layers[-1].kernel.assign(scale * np.stack([np.ones(784), -np.ones(784)], axis=1).astype("float32"))
    images = np.full((3, 28, 28), 100.0, "float32")
    assert model.predict(images, verbose=0)[:, 0].min() == 1.0
    adversarial = zoo.attacks.fgsm(model, images, np.zeros(3, "int64"), 0.2)
    np.testing.assert_allclose(adversarial, 100.0 - 0.2 * 255, atol=1e-3)  # every pixel pushed towards class 1


def test_robustness_writes_a_table_and_a_png(standard, digits, tmp_path):
    from PIL import Image

    images, labels = digits[0][:16], digits[1][:16]
    report = zoo.robustness(standard, (images, labels), eps=(0.2, 0), attack="fgsm", png=tmp_path / "r.png", show=4)
    assert report.eps == (0.0, 0.2) and report.examples == 16
    assert report.accuracy[0] == accuracy(standard, images, labels) and report.accuracy[1] < report.accuracy[0]
    assert "accuracy under fgsm on 16 examples" in str(report) and "51.0" in str(report)  # 0.2 * 255
    with Image.open(report.png) as png:
        assert png.format == "PNG" and png.size[0] > 400 and png.size[1] > 300


def test_adversarial_finetune_trains_on_attacked_batches_and_puts_fit_back():
    x = np.random.default_rng(0).uniform(0, 255, (16, 8, 8)).astype("float32")
    y = np.arange(16) % 2
    config = dict(num_classes=2, input_shape=(8, 8, 1), blocks=[{"filters": 4}], head="dense", dense_units=8)
    losses = {}
    for adversarial in (None, "fgsm"):
        keras.utils.set_random_seed(0)
        model = zoo.create("lego_cnn", **config)
        options = {"adversarial": adversarial, "eps": 0.3} if adversarial else {}
        history = model.finetune((x, y), recipe="full", epochs=1, batch_size=16, shuffle=False, verbose=0, **options)
        losses[adversarial] = history.history["loss"][0]
        assert "train_step" not in vars(model)  # fit is itself again
    assert losses["fgsm"] > losses[None], losses  # the same first step, on harder inputs
    assert "adversarial training: fgsm at eps 0.3" in model.training_record["recipe"]


def test_the_bundled_robust_model_keeps_its_recorded_figures(digits, tmp_path):
    robust = zoo.load("lego_cnn.mnist_pgd")
    recorded = zoo.info("lego_cnn")["weights"]["mnist_pgd"]["metrics"]
    images, labels = digits
    slice_figures = _train_robust().measure(robust, images, labels)
    assert slice_figures == pytest.approx(recorded["first_64_heldout"], abs=1 / 64 + 1e-6)
    assert recorded["robustness"]["pgd40_0.3"] > recorded["standard_resnet18_mnist"]["pgd40_0.3"] + 0.3
    check_save_load(robust, tmp_path)
    robust.save_preset(tmp_path / "preset")
    again = zoo.load(str(tmp_path / "preset"))
    np.testing.assert_array_equal(zoo.attacks.predict_classes(again, images), zoo.attacks.predict_classes(robust, images))


ATTACK_UNDER_MIRRORED = """
import json, numpy as np, keras, tensorflow as tf, zoo, zoo.distribute
zoo.distribute.cpu_devices(2)
config = dict(num_classes=3, input_shape=(12, 12, 1), blocks=[{"filters": 4, "pool": True}])
keras.utils.set_random_seed(0)
one = zoo.create("lego_cnn", **config)
two = zoo.load("lego_cnn", weights=None, strategy="mirrored:2", **config)
two.network.set_weights(one.network.get_weights())
x = np.random.default_rng(0).uniform(0, 255, (10, 12, 12)).astype("float32")
y = np.arange(10) % 3
with two.distribute_strategy.scope():
    on_two = zoo.attacks.pgd(two, x, y, 0.1, steps=3, batch_size=8)
on_one = zoo.attacks.pgd(one, x, y, 0.1, steps=3, batch_size=8)
history = two.finetune((x, y), recipe="full", epochs=1, batch_size=4, adversarial="pgd", eps=0.1, attack_steps=2,
                       verbose=0)
print(json.dumps({"replicas": two.distribute_strategy.num_replicas_in_sync, "difference": float(np.abs(on_two - on_one).max()),
                  "loss": history.history["loss"][0]}))
"""


def test_attacks_and_adversarial_training_under_mirrored_strategy_on_two_cpus():
    import json

    result = json.loads(run_child(ATTACK_UNDER_MIRRORED))
    assert result["replicas"] == 2
    assert result["difference"] < 1e-3, result  # each replica attacks its half of the batch, same answer
    assert np.isfinite(result["loss"])
