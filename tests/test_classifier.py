"""The image classifier task: predict_top_k, features, transfer, preprocessing, loading rules."""

import numpy as np
import pytest
import keras

import zoo
from tests import harness

SHAPE = (32, 32, 3)


@pytest.fixture(scope="module")
def small_resnet():
    return zoo.create("resnet18", num_classes=3, input_shape=SHAPE, stem="cifar")


def test_predict_top_k_orders_scores_and_names_classes(small_resnet):
    model = small_resnet.transfer(4, class_names=["ant", "bee", "cat", "dog"])
    images = harness.random_images(SHAPE, n=3)
    top = model.predict_top_k(images, k=2)
    probabilities = model.predict(model.preprocess(images), verbose=0)
    assert top.ids.shape == top.scores.shape == (3, 2)
    np.testing.assert_array_equal(top.ids[:, 0], probabilities.argmax(axis=-1))
    assert np.all(top.scores[:, 0] >= top.scores[:, 1])
    assert top.names[0][0] == model.class_names[top.ids[0, 0]]
    with pytest.raises(ValueError, match="k must be between 1 and 4"):
        model.predict_top_k(images, k=5)


def test_transfer_keeps_backbone_and_makes_a_fresh_head(small_resnet):
    new = small_resnet.transfer(7)
    assert new.network.output_shape == (None, 7)
    assert new.build_config["stem"] == "cifar"
    for name in ("conv1_conv", "conv5_block2_2_conv", "conv5_block2_2_bn"):
        for old_w, new_w in zip(small_resnet.network.get_layer(name).weights, new.network.get_layer(name).weights):
            np.testing.assert_array_equal(old_w.numpy(), new_w.numpy())
    images = harness.random_images(SHAPE)
    np.testing.assert_allclose(small_resnet.features(images), new.features(images), atol=1e-6)


def test_features_are_the_pooled_backbone(small_resnet):
    images = harness.random_images(SHAPE)
    pooled = keras.Model(small_resnet.network.input, small_resnet.network.get_layer("avg_pool").output)
    np.testing.assert_allclose(
        small_resnet.features(images), pooled.predict(small_resnet.preprocess(images), verbose=0), atol=1e-6
    )


def test_preprocess_converts_channels_resizes_and_applies_named_mode():
    gray = zoo.create("resnet18", input_shape=(32, 32, 1), num_classes=2)
    rgb = np.zeros((1, 16, 16, 3), "float32") + [30.0, 60.0, 90.0]
    assert tuple(gray.preprocess(rgb).shape) == (1, 32, 32, 1)

    caffe = zoo.load("resnet50.keras_in1k", weights=None, input_shape=(32, 32, 3), num_classes=2)
    assert caffe.preprocessing == "caffe"
    pixel = np.zeros((32, 32, 1), "float32") + 255.0
    out = np.asarray(caffe.preprocess(pixel))  # grayscale -> RGB -> BGR minus ImageNet means
    np.testing.assert_allclose(out[0, 0, 0], [255 - 103.939, 255 - 116.779, 255 - 123.68], atol=1e-4)
    with pytest.raises(ValueError, match="expected images shaped"):
        caffe.preprocess(np.zeros((2, 2, 32, 32, 3), "float32"))
    assert tuple(caffe.preprocess(np.zeros((20, 20), "float32")).shape) == (1, 32, 32, 3)


def test_weights_tag_picks_the_layout_it_needs():
    model = zoo.load("resnet50.tv_in1k", weights=None, input_shape=SHAPE)
    assert model.build_config["variant"] == "v1.5"
    assert model.preprocessing == "torch"
    assert zoo.create("resnet50", input_shape=SHAPE).build_config["variant"] == "v1"


def test_models_without_weights_say_what_to_do():
    with pytest.raises(zoo.WeightsNotAvailableError, match="no pretrained weights.*weights=None"):
        zoo.load("nin")


def test_weights_file_loads_into_the_same_architecture(small_resnet, tmp_path):
    path = tmp_path / "small.weights.h5"
    small_resnet.network.save_weights(path)
    loaded = zoo.load("resnet18", weights=str(path), num_classes=3, input_shape=SHAPE, stem="cifar")
    images = harness.random_images(SHAPE)
    np.testing.assert_allclose(loaded.predict(images, verbose=0), small_resnet.predict(images, verbose=0), atol=1e-6)


def test_missing_weights_file_is_named():
    with pytest.raises(FileNotFoundError, match="no/such.weights.h5"):
        zoo.load("resnet18", weights="no/such.weights.h5")


def test_a_saved_model_refuses_build_options_instead_of_dropping_them(small_resnet, tmp_path):
    path = tmp_path / "m.keras"
    small_resnet.save(path)
    for options in ({"num_classes": 3}, {"features_only": True}, {"input_shape": (64, 64, 3)}):
        with pytest.raises(ValueError, match="loads as it was saved; " + next(iter(options))):
            zoo.load(str(path), **options)
    assert zoo.load(str(path)).num_classes == small_resnet.num_classes  # alone, it loads
