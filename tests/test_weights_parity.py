"""Converters proved by parity: upstream-format files from reference models, served on 127.0.0.1,
loaded by zoo.load, must reproduce the reference model's outputs within 1e-4."""

import hashlib

import numpy as np
import pytest
import torch

import zoo
from tests import torch_reference as ref
from tests.harness import assert_same_probabilities
from tests.servers import LocalServer
from tests.weights_helpers import entry, pth_bytes, safetensors_bytes, torch_probabilities, use_manifest

def images(size: int, n: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, size=(n, size, size, 3)).astype("float32")


def test_keras_applications_h5_via_url(zoo_env, monkeypatch):
    import tf_keras

    shape = (64, 64, 3)
    reference = tf_keras.applications.ResNet50(weights=None, input_shape=shape)
    rng = np.random.default_rng(0)
    for layer in reference.layers:  # non-trivial BN statistics
        if isinstance(layer, tf_keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma, beta, rng.normal(0, 0.1, mean.shape), rng.uniform(0.5, 1.5, var.shape)])
    path = zoo_env / "resnet50_weights_tf_dim_ordering_tf_kernels.h5"
    reference.save_weights(str(path))
    data = path.read_bytes()
    with LocalServer() as server:
        url = server.add("keras-applications/resnet/" + path.name, data)
        use_manifest(monkeypatch, zoo_env / "m.json", {"resnet50": {"tags": {"test_keras": entry(
            {"url": url}, None, "keras_h5_legacy", md5=hashlib.md5(data).hexdigest(),
            config={"variant": "v1"}, preprocessing="caffe")}}})
        model = zoo.load("resnet50.test_keras", input_shape=shape)
    x = images(64)
    assert_same_probabilities(model.predict(x, verbose=0), reference.predict(x, verbose=0))
    assert model.weights_tag == "test_keras" and model.preprocessing == "caffe"


@pytest.mark.parametrize("depth", [18, 50])
def test_timm_safetensors_via_hugging_face_protocol(depth, zoo_env, monkeypatch):
    torch.manual_seed(depth)
    reference = ref.randomize_batchnorm_statistics(ref.ResNet(depth), seed=depth)
    data = safetensors_bytes(reference)
    repo = f"timm/resnet{depth}.tv_in1k"
    with LocalServer(hf=True) as hub:
        hub.add_hf(repo, "model.safetensors", data)
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        use_manifest(monkeypatch, zoo_env / "m.json", {f"resnet{depth}": {"tags": {"test_tv": entry(
            {"hf_repo": repo, "hf_file": "model.safetensors"}, data, "safetensors",
            config={"variant": "v1.5"}, preprocessing="torch", classes="imagenet1k")}}})
        model = zoo.load(f"resnet{depth}.test_tv", input_shape=(64, 64, 3))
        assert hub.gets[f"/{repo}/resolve/main/model.safetensors"] == 1
    x = images(64)
    assert_same_probabilities(model.predict(x, verbose=0), torch_probabilities(reference, x))
    assert model.class_names[0] == "n01440764"  # ImageNet class index 0 (tench)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip-pth", "legacy-pth"])
def test_torchvision_alexnet_pth_via_url(legacy, zoo_env, monkeypatch):
    torch.manual_seed(1)
    reference = ref.AlexNet().eval()
    data = pth_bytes(reference, zoo_env, legacy=legacy)
    with LocalServer() as server:
        url = server.add("models/alexnet-test.pth", data)
        use_manifest(monkeypatch, zoo_env / "m.json", {"alexnet": {"tags": {"test_tv": entry(
            {"url": url}, None, "torch_pth", sha256_prefix=hashlib.sha256(data).hexdigest()[:8])}}})
        model = zoo.load("alexnet.test_tv", input_shape=(127, 127, 3))  # pool5 3x3 -> adaptive 6x6
    x = images(127)
    assert_same_probabilities(model.predict(x, verbose=0), torch_probabilities(reference, x))
    pins = (zoo_env / "zoo-cache" / "pins.json").read_text()
    assert hashlib.sha256(data).hexdigest() in pins  # no published hash: pinned on first download


def test_torchvision_googlenet_legacy_pth_with_transform_input(zoo_env, monkeypatch):
    """torchvision's transform_input on ImageNet-normalised input == zoo's 'tf' preprocessing on pixels."""
    torch.manual_seed(2)
    reference = ref.randomize_batchnorm_statistics(ref.GoogLeNet(aux_logits=True, transform_input=True), seed=2)
    data = pth_bytes(reference, zoo_env, legacy=True)
    with LocalServer() as server:
        url = server.add("models/googlenet-test.pth", data)
        use_manifest(monkeypatch, zoo_env / "m.json", {"googlenet": {"tags": {"test_tv": entry(
            {"url": url}, data, "torch_pth", preprocessing="tf", ignore=["aux1.*", "aux2.*"],
            config={"aux_logits": False})}}})
        model = zoo.load("googlenet.test_tv", input_shape=(64, 64, 3))
        with_aux = zoo.load("googlenet.test_tv", input_shape=(64, 64, 3), aux_logits=True)
    pixels = np.random.default_rng(3).uniform(0, 255, size=(2, 64, 64, 3)).astype("float32")
    normalised = (pixels / 255.0 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    expected = torch_probabilities(reference, normalised.astype("float32"))
    ours = model.predict(model.preprocess(pixels), verbose=0)
    assert_same_probabilities(ours, expected)
    # aux_logits=True: same main output, auxiliary heads freshly initialised (untrained upstream).
    assert_same_probabilities(with_aux.predict(with_aux.preprocess(pixels), verbose=0), expected)
    assert len(with_aux.network.outputs) == 3


def test_other_class_counts_and_headless_keep_the_backbone(zoo_env, monkeypatch):
    torch.manual_seed(3)
    reference = ref.randomize_batchnorm_statistics(ref.ResNet(18), seed=3)
    data = safetensors_bytes(reference)
    with LocalServer() as server:
        url = server.add("resnet18.safetensors", data)
        use_manifest(monkeypatch, zoo_env / "m.json", {"resnet18": {"tags": {"test_tv": entry(
            {"url": url}, data, "safetensors", config={"variant": "v1.5"}, classes="imagenet1k")}}})
        full = zoo.load("resnet18.test_tv", input_shape=(32, 32, 3))
        seven = zoo.load("resnet18.test_tv", input_shape=(32, 32, 3), num_classes=7)
        headless = zoo.load("resnet18.test_tv", input_shape=(32, 32, 3), include_top=False, pooling="avg")
        assert server.gets["/resnet18.safetensors"] == 1  # later loads come from the converted cache
    x = images(32)
    assert seven.network.output_shape == (None, 7) and seven.class_names is None
    assert len(full.class_names) == 1000
    np.testing.assert_allclose(seven.features(x), full.features(x), atol=1e-5)
    np.testing.assert_allclose(headless.network.predict(headless.preprocess(x), verbose=0), full.features(x), atol=1e-5)


def test_weights_that_do_not_fit_name_the_first_mismatch(zoo_env, monkeypatch):
    data = safetensors_bytes(ref.ResNet(18))
    with LocalServer() as server:
        url = server.add("resnet18.safetensors", data)
        use_manifest(monkeypatch, zoo_env / "m.json", {"resnet34": {"tags": {"wrong": entry(
            {"url": url}, data, "safetensors", config={"variant": "v1.5"})}}})
        with pytest.raises(zoo.WeightsMismatchError, match="conv2_block3_1_conv"):
            zoo.load("resnet34.wrong", input_shape=(32, 32, 3))
