"""Network in Network: structure (no dense layer), sizes, save/load, training."""

import keras

import zoo
from tests import harness


def test_no_dense_head_and_counts():
    network = zoo.create("nin").network
    assert network.count_params() == zoo.info("nin")["params"]
    assert not any(isinstance(layer, keras.layers.Dense) for layer in network.layers)
    assert network.get_layer("predictions").filters == 1000
    # Four mlpconv blocks: 4 spatial convs and 7 1x1 convs plus the class-map conv.
    convs = [layer for layer in network.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 12


def test_min_input_size_save_load_and_training(tmp_path):
    harness.check_min_input_size("nin", channels=1)
    model = harness.check_outputs("nin", (96, 96, 3), num_classes=4)
    harness.check_save_load(model, tmp_path)
    harness.check_headless("nin", (96, 96, 3), channels=1024)
    harness.check_trains(zoo.create("nin", num_classes=3, input_shape=(96, 96, 3), dropout=0.0))
