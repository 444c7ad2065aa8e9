"""zoo.load(name, features_only=True): classifiers cut after their stages, with the classifier's weights."""

import keras
import numpy as np
import pytest

import zoo
from zoo.tasks.backbone import Backbone

RESNET18_LAYERS = ["conv1_relu", "conv2_block2_out", "conv3_block2_out", "conv4_block2_out", "conv5_block2_out"]


def digits(count: int = 4) -> np.ndarray:
    """Real handwritten digits (scikit-learn's 8x8 scans) as 0-255 images."""
    from sklearn.datasets import load_digits

    return load_digits().images[:count].astype("float32") * (255.0 / 16.0)


@pytest.fixture(scope="module")
def mnist_pair():
    """The bundled resnet18.mnist as a classifier and as a backbone (offline, package data)."""
    return zoo.load("resnet18.mnist"), zoo.load("resnet18.mnist", features_only=True)


def test_maps_equal_the_classifier_layers_on_the_same_input_with_the_bundled_weights(mnist_pair):
    classifier, backbone = mnist_pair
    assert isinstance(backbone, Backbone) and isinstance(backbone, keras.Model)
    assert backbone.weights_tag == "mnist" and backbone.preprocessing == classifier.preprocessing == "unit"
    assert [info["layer"] for info in backbone.feature_info] == RESNET18_LAYERS
    # The same weights, layer by layer (every backbone layer is one of the classifier's).
    for layer in backbone.network.layers:
        for mine, theirs in zip(layer.get_weights(), classifier.network.get_layer(layer.name).get_weights()):
            np.testing.assert_array_equal(mine, theirs)
    images = digits()
    x = classifier.preprocess(images)
    probe = keras.Model(classifier.network.input, [classifier.network.get_layer(n).output for n in RESNET18_LAYERS])
    expected = probe.predict(x, verbose=0)
    maps = backbone.feature_maps(images)  # raw pixels in: the same preprocessing as the classifier
    assert len(maps) == 5
    for got, want in zip(maps, expected):
        np.testing.assert_array_equal(got, want)
    # The CIFAR stem keeps full resolution: reductions 1, 1, 2, 4, 8 on 32x32 inputs.
    assert [(i["channels"], i["reduction"]) for i in backbone.feature_info] == [(16, 1), (16, 1), (32, 2), (64, 4),
                                                                                (128, 8)]
    assert [m.shape for m in maps] == [(4, 32, 32, 16), (4, 32, 32, 16), (4, 16, 16, 32), (4, 8, 8, 64), (4, 4, 4, 128)]
    # Not what random weights give: the tag's weights are really in.
    fresh = zoo.load("resnet18.mnist", weights=None, features_only=True, out_indices=(4,)).feature_maps(images)[0]
    assert not np.allclose(fresh, maps[4])


def test_resnet18_stage_shapes_match_feature_info_and_out_indices_select():
    backbone = zoo.load("resnet18", weights=None, input_shape=(64, 64, 3), features_only=True)
    info = backbone.feature_info
    assert [i["index"] for i in info] == [0, 1, 2, 3, 4]
    assert [(i["channels"], i["reduction"]) for i in info] == [(64, 2), (64, 4), (128, 8), (256, 16), (512, 32)]
    maps = backbone.feature_maps(np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3)))
    for feature_map, i in zip(maps, info):
        assert feature_map.shape == (2, 64 // i["reduction"], 64 // i["reduction"], i["channels"])

    picked = zoo.load("resnet18", weights=None, input_shape=(64, 64, 3), features_only=True, out_indices=[4, 1])
    assert [(i["index"], i["layer"]) for i in picked.feature_info] == [(1, "conv2_block2_out"), (4, "conv5_block2_out")]
    assert [tuple(o.shape) for o in picked.network.outputs] == [(None, 16, 16, 64), (None, 2, 2, 512)]
    last = zoo.load("resnet18", weights=None, input_shape=(64, 64, 3), features_only=True, out_indices=(-1,))
    assert last.out_indices == [4] and last.feature_maps(np.zeros((0, 64, 64, 3)))[0].shape == (0, 2, 2, 512)


@pytest.mark.parametrize("options, error, words", [
    ({"out_indices": (5,)}, ValueError, ["[5]", "outside the 5 stages", "conv5_block2_out"]),
    ({"out_indices": (-6,)}, ValueError, ["outside the 5 stages"]),
    ({"out_indices": (1, 1)}, ValueError, ["repeats [1]"]),
    ({"out_indices": (4, -1)}, ValueError, ["names one stage twice"]),
    ({"out_indices": ()}, ValueError, ["empty"]),
    ({"out_indices": 2}, TypeError, ["list or tuple", "got 2 (int)"]),
    ({"out_indices": (1, 2.0)}, TypeError, ["whole numbers", "2.0"]),
    ({"out_indices": (True,)}, TypeError, ["whole numbers"]),
    ({"num_classes": 3}, ValueError, ["no classifier head", "num_classes"]),
    ({"pooling": "avg"}, ValueError, ["no classifier head", "pooling"]),
    ({"features_only": "yes"}, TypeError, ["features_only must be True or False"]),
    ({"features_only": False, "out_indices": (1,)}, ValueError, ["needs features_only=True"]),
])
def test_bad_requests_are_refused_with_what_was_wrong(options, error, words):
    with pytest.raises(error) as caught:
        zoo.load("resnet18.mnist", **{"features_only": True, **options})
    assert all(word in str(caught.value) for word in words), str(caught.value)


@pytest.mark.parametrize("name", ["dcgan", "transformer"])
def test_features_only_on_a_model_that_is_not_a_backbone_lists_those_that_are(name):
    with pytest.raises(ValueError, match="features_only works for alexnet, googlenet, lego_cnn, nin, resnet101"):
        zoo.load(name, features_only=True)


def test_out_indices_are_checked_before_any_weights_are_fetched(zoo_env, monkeypatch):
    # resnet50's weights are not on this machine and the network is off: a fetch would fail differently.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValueError, match="outside the 5 stages"):
        zoo.load("resnet50.tv_in1k", input_shape=(32, 32, 3), features_only=True, out_indices=(7,))
    with pytest.raises(zoo.WeightsNotAvailableError):  # what a valid request meets here: the fetch
        zoo.load("resnet50.tv_in1k", input_shape=(32, 32, 3), features_only=True, out_indices=(4,))


def test_googlenet_and_lego_stages():
    googlenet = zoo.load("googlenet", weights=None, input_shape=(64, 64, 3), features_only=True)
    assert [(i["layer"], i["channels"], i["reduction"]) for i in googlenet.feature_info] == [
        ("conv1_relu", 64, 2), ("conv3_relu", 192, 4), ("inception3b_concat", 480, 8),
        ("inception4e_concat", 832, 16), ("inception5b_concat", 1024, 32)]
    assert [tuple(o.shape[1:3]) for o in googlenet.network.outputs] == [(32, 32), (16, 16), (8, 8), (4, 4), (2, 2)]
    # lego_cnn: one stage per block, however many blocks it was built with.
    lego = zoo.load("lego_cnn", weights=None, input_shape=(16, 16, 1), features_only=True, out_indices=(0, -1),
                    blocks=[{"filters": 4, "pool": True}, {"filters": 6}, {"filters": 8, "pool": True}])
    assert [(i["index"], i["layer"], i["channels"], i["reduction"]) for i in lego.feature_info] == [
        (0, "block1_pool", 4, 2), (2, "block3_pool", 8, 4)]


def test_keras_file_and_preset_round_trips_keep_the_stages_and_the_maps(mnist_pair, tmp_path):
    _, full = mnist_pair
    backbone = Backbone.from_classifier(mnist_pair[0], out_indices=(2, 4))
    images = digits(3)
    maps = backbone.feature_maps(images)
    for got, want in zip(maps, [full.feature_maps(images)[i] for i in (2, 4)]):
        np.testing.assert_array_equal(got, want)
    backbone.save(tmp_path / "backbone.keras")
    for again in (zoo.load(str(tmp_path / "backbone.keras")),
                  zoo.load(str(backbone.save_preset(tmp_path / "preset")))):
        assert isinstance(again, Backbone) and again.feature_info == backbone.feature_info
        assert again.preprocessing == "unit"
        for got, want in zip(again.feature_maps(images), maps):
            np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="export the model you build on it"):
        backbone.export_for_serving(tmp_path / "served")
