"""AlexNet: torchvision's counts and shapes, small-input limits, save/load, training."""

import numpy as np

import zoo
from tests import harness

# torchvision's AlexNet parameter tensors, in Keras layout (kernel HWIO / (in, out)).
TORCHVISION_SHAPES = {
    "conv1": [(11, 11, 3, 64), (64,)],
    "conv2": [(5, 5, 64, 192), (192,)],
    "conv3": [(3, 3, 192, 384), (384,)],
    "conv4": [(3, 3, 384, 256), (256,)],
    "conv5": [(3, 3, 256, 256), (256,)],
    "fc6": [(9216, 4096), (4096,)],
    "fc7": [(4096, 4096), (4096,)],
    "predictions": [(4096, 1000), (1000,)],
}


def test_parameter_count_and_tensor_shapes_match_torchvision():
    network = zoo.create("alexnet").network
    assert network.count_params() == 61_100_840
    shapes = {layer.name: [tuple(w.shape) for w in layer.weights] for layer in network.layers if layer.weights}
    assert shapes == TORCHVISION_SHAPES


def test_min_input_size_and_small_inputs(tmp_path):
    harness.check_min_input_size("alexnet")
    model = harness.check_outputs("alexnet", (64, 64, 1), num_classes=4)
    harness.check_save_load(model, tmp_path)


def test_headless_and_training():
    harness.check_headless("alexnet", (64, 64, 3), channels=256)
    harness.check_trains(zoo.create("alexnet", num_classes=3, input_shape=(64, 64, 3), dropout=0.0))


def test_adaptive_pooling_follows_pytorch_windows():
    from zoo.models.layers import AdaptiveAveragePooling2D, adaptive_windows

    rng = np.random.default_rng(0)
    for size, out in [(1, 6), (2, 4), (5, 6), (13, 6), (14, 4), (6, 6)]:
        x = rng.normal(size=(2, size, size, 3)).astype("float32")
        expected = np.zeros((2, out, out, 3), "float32")
        windows = adaptive_windows(size, out)
        for i, (h0, h1) in enumerate(windows):
            for j, (w0, w1) in enumerate(windows):
                expected[:, i, j] = x[:, h0:h1, w0:w1].mean(axis=(1, 2))
        np.testing.assert_allclose(np.asarray(AdaptiveAveragePooling2D(out)(x)), expected, atol=1e-6)
