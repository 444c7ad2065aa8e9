"""ResNet-18/34/50/101/152: parity with keras.applications (v1), torchvision's counts (v1.5), shapes."""

import collections

import numpy as np
import pytest
import keras
import tensorflow as tf

import zoo
from tests import harness

# torchvision's published parameter counts (num_params in its weights metadata).
TORCHVISION_PARAMS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
}
KERAS_APPLICATIONS = {
    "resnet50": keras.applications.ResNet50,
    "resnet101": keras.applications.ResNet101,
    "resnet152": keras.applications.ResNet152,
}


def test_resnet50_v1_counts_match_keras_applications():
    network = zoo.create("resnet50").network
    assert network.count_params() == 25_636_712
    assert harness.trainable_count(network) == 25_583_592


@pytest.mark.parametrize("name", sorted(TORCHVISION_PARAMS))
def test_v15_trainable_params_match_torchvision(name):
    network = zoo.create(name, variant="v1.5").network
    assert harness.trainable_count(network) == TORCHVISION_PARAMS[name]
    # v1.5 has no conv biases: every conv carries a kernel only.
    assert all(len(layer.weights) == 1 for layer in network.layers if isinstance(layer, keras.layers.Conv2D))


@pytest.mark.parametrize("name", sorted(KERAS_APPLICATIONS))
def test_v1_reproduces_keras_applications_outputs(name):
    """Same weights (copied by layer name) -> same outputs, within 1e-4."""
    shape = (64, 64, 3)
    reference = KERAS_APPLICATIONS[name](weights=None, input_shape=shape, classes=1000)
    ours = zoo.create(name, variant="v1", input_shape=shape).network
    reference_names = {layer.name for layer in reference.layers if layer.weights}
    our_names = {layer.name for layer in ours.layers if layer.weights}
    assert reference_names == our_names
    for layer in ours.layers:
        if layer.weights:
            layer.set_weights(reference.get_layer(layer.name).get_weights())
    x = np.random.default_rng(0).normal(size=(2, *shape)).astype("float32")
    harness.assert_same_probabilities(ours.predict(x, verbose=0), reference.predict(x, verbose=0))
    # float32 inference runs keras.applications' ops, op for op (zoo's fused BatchNorm is for training and bf16).
    assert inference_ops(ours, shape) == inference_ops(reference, shape)


def inference_ops(model: keras.Model, shape) -> collections.Counter:
    """Op types of a traced forward pass, without constants and reshapes: keras.applications' BatchNorm
    axis is 3, ours -1, and Keras reshapes the four statistics vectors for an axis other than -1."""
    step = tf.function(lambda t: model(t, training=False))
    graph = step.get_concrete_function(tf.TensorSpec((1, *shape), tf.float32)).graph
    return collections.Counter(op.type for op in graph.get_operations() if op.type not in ("Const", "Reshape"))


def test_strided_3x3_in_v15_and_strided_1x1_in_v1():
    v1 = zoo.create("resnet50", variant="v1", input_shape=(64, 64, 3)).network
    v15 = zoo.create("resnet50", variant="v1.5", input_shape=(64, 64, 3)).network
    assert v1.get_layer("conv3_block1_1_conv").strides == (2, 2)
    assert v1.get_layer("conv3_block1_2_conv").strides == (1, 1)
    assert v15.get_layer("conv3_block1_1_conv").strides == (1, 1)
    assert v15.get_layer("conv3_block1_2_conv").strides == (2, 2)
    assert v15.get_layer("conv3_block1_2_bn").epsilon == 1e-5


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50"])
def test_small_inputs_and_any_channel_count(name):
    harness.check_outputs(name, (32, 32, 1), num_classes=10)
    harness.check_outputs(name, (32, 32, 3), num_classes=10, stem="cifar")


def test_headless_and_pooling():
    harness.check_headless("resnet18", (32, 32, 3), channels=512)
    harness.check_headless("resnet50", (32, 32, 3), channels=2048)


def test_dynamic_spatial_size_without_top():
    network = zoo.create("resnet18", input_shape=(None, None, 3), include_top=False, pooling="avg").network
    for size in (32, 48):
        assert network.predict(np.zeros((1, size, size, 3)), verbose=0).shape == (1, 512)


def test_save_load_and_training(tmp_path):
    model = harness.check_outputs("resnet18", (32, 32, 3), stem="cifar")
    harness.check_save_load(model, tmp_path)
    harness.check_trains(model)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="variant must be one of"):
        zoo.create("resnet18", variant="v2")
    with pytest.raises(ValueError, match="stem must be one of"):
        zoo.create("resnet18", stem="tiny")
    with pytest.raises(ValueError, match="pooling must be one of"):
        zoo.create("resnet18", include_top=False, pooling="mean")
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        zoo.create("resnet18", num_classes=0)
    with pytest.raises(ValueError, match=r"input_shape must be \(height, width, channels\)"):
        zoo.create("resnet18", input_shape=(32, 32))
