"""VGG's weights: keras.applications' VGG16/VGG19 transplanted, and upstream-format files (a
torchvision .pth, a keras.applications notop .h5) served on 127.0.0.1 and loaded by zoo.load,
each reproducing its reference within 1e-4. keras.applications' full VGG16/VGG19 with their
top (224x224 only) are compared by tools/vgg_parity.py, too slow for the suite."""

import hashlib

import keras
import numpy as np
import tf_keras
import torch

import zoo
from tests import torch_reference as ref
from tests.harness import assert_same_probabilities
from tests.servers import LocalServer
from tests.weights_helpers import entry, pth_bytes, torch_probabilities, use_manifest


def images(size: int, n: int = 2, seed: int = 0, scale: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-scale, scale, size=(n, size, size, 3)).astype("float32")


def transplant(reference: keras.Model, ours: keras.Model) -> None:
    reference_names = {layer.name for layer in reference.layers if layer.weights}
    assert reference_names == {layer.name for layer in ours.layers if layer.weights}
    for name in reference_names:
        ours.get_layer(name).set_weights(reference.get_layer(name).get_weights())


def test_keras_applications_vgg19_headless():
    reference = keras.applications.VGG19(weights=None, include_top=False, input_shape=(32, 32, 3))
    ours = zoo.create("vgg19", input_shape=(32, 32, 3), include_top=False).network
    transplant(reference, ours)
    x = images(32, scale=120.0)
    expected = reference.predict(x, verbose=0)
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-4, rtol=1e-4)


def test_keras_applications_notop_h5_via_url(zoo_env, monkeypatch):
    reference = tf_keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    path = zoo_env / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    reference.save_weights(str(path))
    data = path.read_bytes()
    with LocalServer() as server:
        url = server.add("keras-applications/vgg16/" + path.name, data)
        use_manifest(monkeypatch, zoo_env / "m.json", {"vgg16": {"tags": {"test_keras_notop": entry(
            {"url": url}, None, "keras_h5_legacy", md5=hashlib.md5(data).hexdigest(),
            config={"include_top": False}, preprocessing="caffe")}}})
        model = zoo.load("vgg16.test_keras_notop", input_shape=(32, 32, 3), include_top=False)
    x = images(32, scale=120.0)
    np.testing.assert_allclose(model.network.predict(x, verbose=0), reference.predict(x, verbose=0),
                               atol=1e-4, rtol=1e-4)
    assert model.preprocessing == "caffe"


def test_torchvision_pth_via_url(zoo_env, monkeypatch, name="vgg11_bn"):
    depth, batch_norm = int(name[3:5]), name.endswith("_bn")
    torch.manual_seed(depth)
    reference = ref.randomize_batchnorm_statistics(ref.VGG(depth, batch_norm, fc_units=32), seed=depth)
    data = pth_bytes(reference, zoo_env)
    with LocalServer() as server:
        url = server.add(f"models/{name}-test.pth", data)
        use_manifest(monkeypatch, zoo_env / "m.json", {name: {"tags": {"test_tv": entry(
            {"url": url}, None, "torch_pth", sha256_prefix=hashlib.sha256(data).hexdigest()[:8],
            preprocessing="torch", classes="imagenet1k", config={"fc_units": 32})}}})
        model = zoo.load(f"{name}.test_tv", input_shape=(32, 32, 3))  # block5 1x1 -> adaptive 7x7
    x = images(32)
    assert_same_probabilities(model.predict(x, verbose=0), torch_probabilities(reference, x))
    assert model.class_names[0] == "n01440764"
    assert hashlib.sha256(data).hexdigest() in (zoo_env / "zoo-cache" / "pins.json").read_text()


def test_shipped_manifest_lists_the_upstream_files():
    tags = {name: zoo.info(name)["weights"] for name in ("vgg16", "vgg19", "vgg11_bn")}
    assert set(tags["vgg16"]) >= {"keras_in1k", "keras_in1k_notop", "tv_in1k"}
    assert set(tags["vgg11_bn"]) == {"tv_in1k"}
