"""GoogLeNet: torchvision's counts and ceil-mode shapes, auxiliary classifiers and their loss."""

import numpy as np
import pytest
import keras

import zoo
from tests import harness


def test_trainable_params_match_torchvision():
    network = zoo.create("googlenet").network
    assert harness.trainable_count(network) == 6_624_904
    assert network.count_params() == zoo.info("googlenet")["params"]
    bns = [layer for layer in network.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bns and all(layer.epsilon == 1e-3 for layer in bns)


def test_torchvision_tensor_shapes_by_name():
    network = zoo.create("googlenet", aux_logits=True).network
    expected = {
        "conv1_conv": [(7, 7, 3, 64)],
        "conv3_conv": [(3, 3, 64, 192)],
        # torchvision's "5x5" branch uses a 3x3 kernel; its weights depend on it.
        "inception3a_branch3_1_conv": [(3, 3, 16, 32)],
        "inception5b_branch4_1_conv": [(1, 1, 832, 128)],
        "aux1_conv_conv": [(1, 1, 512, 128)],
        "aux2_conv_conv": [(1, 1, 528, 128)],
        "aux1_fc1": [(2048, 1024), (1024,)],
        "aux2_fc2": [(1024, 1000), (1000,)],
        "predictions": [(1024, 1000), (1000,)],
    }
    for name, shapes in expected.items():
        assert [tuple(w.shape) for w in network.get_layer(name).weights] == shapes, name


@pytest.mark.parametrize("size,expected", [(224, (56, 28, 14, 7)), (225, (56, 28, 14, 7)), (200, (50, 25, 12, 6))])
def test_ceil_mode_pooling_sizes(size, expected):
    # PyTorch ceil mode: out = ceil((n - k) / s) + 1. Keras "same" pooling would give
    # 57 at 225 (conv1 113 -> 57) and 50, 25, 13, 7 at 200.
    network = zoo.create("googlenet", input_shape=(size, size, 3)).network
    got = tuple(network.get_layer(name).output.shape[1] for name in ("maxpool1", "maxpool2", "maxpool3", "maxpool4"))
    assert got == expected


def test_aux_heads_train_with_weight_03_and_predict_main_only():
    model = zoo.create("googlenet", num_classes=4, input_shape=(32, 32, 3), aux_logits=True)
    assert len(model.network.outputs) == 3
    x = harness.random_images((32, 32, 3), n=4) / 255.0
    y = np.array([0, 1, 2, 3])
    assert model(x, training=False).shape == (4, 4)  # inference: main output only
    assert model.predict(x, verbose=0).shape == (4, 4)
    assert len(model(x, training=True)) == 3

    model.compile()
    rng = np.random.default_rng(0)
    outputs = tuple(keras.ops.softmax(rng.normal(size=(4, 4)).astype("float32")) for _ in range(3))
    crossentropy = [float(keras.losses.sparse_categorical_crossentropy(y, p).numpy().mean()) for p in outputs]
    total = float(model.compute_loss(x, y, outputs))
    assert total == pytest.approx(crossentropy[0] + 0.3 * (crossentropy[1] + crossentropy[2]), rel=1e-5)
    harness.check_trains(model)


def test_min_size_save_load_and_headless(tmp_path):
    harness.check_min_input_size("googlenet")
    model = harness.check_outputs("googlenet", (32, 32, 3), aux_logits=True)
    harness.check_save_load(model, tmp_path)
    harness.check_headless("googlenet", (64, 64, 3), channels=1024)
    with pytest.raises(ValueError, match="aux_logits=True needs include_top=True"):
        zoo.create("googlenet", include_top=False, aux_logits=True)
