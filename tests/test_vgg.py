"""VGG-11/13/16/19 (+ _bn): torchvision's counts and names for every configuration, parity with a
PyTorch reference through the state-dict converter, the shared harness, features_only."""

import keras_tuner
import numpy as np
import pytest
import torch

import zoo
from tests import harness
from tests import torch_reference as ref
from tests.weights_helpers import state_dict_numpy, torch_probabilities
from zoo import catalog
from zoo.families.vgg import TORCHVISION_PARAMS, torch_names
from zoo.hub.convert.torch_state_dict import layer_weights_from_state_dict
from zoo.models.vgg import build_vgg
from zoo.tune.vgg import VGGHyperModel

CONFIGS = sorted(TORCHVISION_PARAMS)
IDS = [f"{depth}{'_bn' if batch_norm else ''}" for depth, batch_norm in CONFIGS]
FC_UNITS = 32


def small_reference(depth: int, batch_norm: bool, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return ref.randomize_batchnorm_statistics(ref.VGG(depth, batch_norm, fc_units=FC_UNITS), seed=seed)


@pytest.mark.parametrize("depth, batch_norm", CONFIGS, ids=IDS)
def test_every_torchvision_module_has_its_layer(depth, batch_norm):
    """features.N numbering for each configuration: conv (and BN) modules map to the plan's layers in order."""
    modules = list(dict.fromkeys(key.rpartition(".")[0] for key in ref.VGG(depth, batch_norm, fc_units=1).state_dict()))
    names = torch_names(depth, batch_norm)
    assert set(names) == set(modules)
    layers = [names[module] for module in modules]
    network = build_vgg(depth=depth, batch_norm=batch_norm, input_shape=(32, 32, 3), include_top=False)
    expected = [layer.name for layer in network.layers if layer.weights] + ["fc1", "fc2", "predictions"]
    assert layers == expected


def test_torchvision_state_dict_reproduces_the_reference(depth=16, batch_norm=False):
    """The features.N map and the (C, H, W) flatten into fc1, within 1e-4 (with BN and its statistics:
    tests/test_vgg_weights.py loads vgg11_bn from a .pth through the downloader)."""
    reference = small_reference(depth, batch_norm, seed=depth)
    name = f"vgg{depth}{'_bn' if batch_norm else ''}"
    model = zoo.create(name, input_shape=(32, 32, 3), fc_units=FC_UNITS)
    weights = layer_weights_from_state_dict(state_dict_numpy(reference), "vgg",
                                            config={"depth": depth, "batch_norm": batch_norm})
    assert set(weights) == {layer.name for layer in model.network.layers if layer.weights}
    for layer, arrays in weights.items():
        model.network.get_layer(layer).set_weights(arrays)
    x = np.random.default_rng(depth).uniform(-2, 2, size=(2, 32, 32, 3)).astype("float32")
    harness.assert_same_probabilities(model.network.predict(x, verbose=0), torch_probabilities(reference, x))


def test_trainable_counts_match_torchvision():
    """Full size: trainable counts are torchvision's (Keras also counts BN's moving statistics;
    tests/test_catalog.py checks every total, which without BN is torchvision's and keras.applications')."""
    network = zoo.create("vgg19_bn").network
    assert harness.trainable_count(network) == TORCHVISION_PARAMS[19, True]
    reference = ref.VGG(19, batch_norm=True)
    assert sum(p.numel() for p in reference.parameters()) == TORCHVISION_PARAMS[19, True]


def test_keras_applications_layer_names_and_bn_names():
    plain = zoo.create("vgg16", input_shape=(32, 32, 3), include_top=False).network
    assert [layer.name for layer in plain.layers[1:4]] == ["block1_conv1", "block1_conv2", "block1_pool"]
    assert plain.get_layer("block1_conv1").activation.__name__ == "relu"  # post-ReLU, as keras.applications
    with_bn = zoo.create("vgg11_bn", input_shape=(32, 32, 3), include_top=False).network
    assert [layer.name for layer in with_bn.layers[1:5]] == [
        "block1_conv1", "block1_conv1_bn", "block1_conv1_relu", "block1_pool"]
    assert with_bn.get_layer("block1_conv1_bn").epsilon == 1e-5


def test_harness_outputs_save_load_min_size_headless_trains(tmp_path):
    harness.check_min_input_size("vgg11")
    model = harness.check_outputs("vgg11_bn", (40, 40, 1), num_classes=4, fc_units=16)
    harness.check_save_load(model, tmp_path)
    harness.check_headless("vgg11", (32, 32, 3), channels=512)
    harness.check_trains(zoo.create("vgg11_bn", num_classes=3, input_shape=(32, 32, 3), fc_units=16, dropout=0.0))


def test_features_only_one_stage_per_block_pool():
    backbone = zoo.load("vgg11", weights=None, input_shape=(64, 64, 3), features_only=True)
    info = backbone.feature_info
    assert [i["layer"] for i in info] == [f"block{b}_pool" for b in range(1, 6)]
    assert [(i["channels"], i["reduction"]) for i in info] == [(64, 2), (128, 4), (256, 8), (512, 16), (512, 32)]


def test_bad_depth_and_fc_units_are_clear_errors():
    with pytest.raises(ValueError, match=r"depth must be one of \[11, 13, 16, 19\]"):
        build_vgg(depth=12)
    with pytest.raises(ValueError, match="fc_units must be a positive integer"):
        build_vgg(depth=11, fc_units=0)


def test_tune_space_builds_the_sampled_depth_batch_norm_and_head():
    """zoo.tune("vgg16", ...) searches this space; one build per batch-norm choice (a full search costs
    ~15 s of CPU here, and tests/test_tune_families.py already proves the shared search loop)."""
    for batch_norm in (False, True):
        hp = keras_tuner.HyperParameters()
        for name, value in {"depth": 13, "batch_norm": batch_norm, "width": 0.125, "fc_units": 256}.items():
            hp.Fixed(name, value)
        model = VGGHyperModel(3, (32, 32, 3)).build(hp)
        assert model.model_name == ("vgg13_bn" if batch_norm else "vgg13")
        assert model.network.get_layer("block1_conv1").filters == 8 and model.network.get_layer("fc1").units == 256
        assert model.network.output_shape == (None, 3) and model.optimizer is not None
    assert catalog.SEARCH_SPACES["vgg"].name == "vgg"
