"""Checkpoints a user has: zoo.load(name.tag, weights=file or URL, key_map=..., strict=...) and `zoo convert`.

Every checkpoint is written by real PyTorch from a reference ResNet-18 (tests/torch_reference.py,
torchvision's names, random BatchNorm statistics) and must reproduce its outputs within 1e-4.
"""

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import zoo
from tests import torch_reference as ref
from tests.harness import assert_same_probabilities
from tests.servers import LocalServer
from tests.weights_helpers import entry, safetensors_bytes, torch_probabilities, use_manifest
from zoo.cli import main as cli_main

SHAPE = (32, 32, 3)
ROOT = Path(__file__).resolve().parents[1]


def images(n: int = 2) -> np.ndarray:
    return np.random.default_rng(7).uniform(-2, 2, size=(n, *SHAPE)).astype("float32")


@pytest.fixture(scope="module")
def reference():
    torch.manual_seed(18)
    return ref.randomize_batchnorm_statistics(ref.ResNet(18), seed=18)


@pytest.fixture(scope="module")
def expected(reference):
    return torch_probabilities(reference, images())


def probabilities(model) -> np.ndarray:
    return np.asarray(model(images(), training=False))  # eager: no predict() tracing per model


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wrapped_checkpoint(reference, path: Path, extra=None, drop=()) -> Path:
    """A training checkpoint as DataParallel code around a wrapper module saves it (timm-style extras)."""
    state = {f"module.features.{name}": tensor for name, tensor in reference.state_dict().items()
             if not name.startswith(drop)}
    state.update(extra or {})
    torch.save({"state_dict": state, "epoch": 12, "args": argparse.Namespace(model="resnet18", lr=0.1),
                "optimizer": {"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]}}, path)
    return path


def test_wrapped_checkpoint_with_key_map_reproduces_torch(reference, expected, zoo_env):
    path = wrapped_checkpoint(reference, zoo_env / "ckpt.pth")
    before = sha256(path)
    model = zoo.load("resnet18.tv_in1k", weights=str(path), key_map={"features.": ""}, input_shape=SHAPE)
    assert_same_probabilities(probabilities(model), expected)
    assert model.preprocessing == "torch" and len(model.class_names) == 1000  # the tag's, as the checkpoint fits it
    report = model.load_report
    assert report.clean and report.loaded == 41 and report.source == str(path) and "41 layers loaded" in str(report)
    assert sha256(path) == before  # read in place: never copied over, modified or deleted
    assert not (zoo_env / "zoo-cache" / "pins.json").exists()  # a local file is yours to overwrite: never pinned
    # A callable key_map does the same.
    again = zoo.load("resnet18.tv_in1k", weights=path, input_shape=SHAPE,
                     key_map=lambda name: name.removeprefix("features."))
    assert_same_probabilities(probabilities(again), expected)
    assert sha256(path) == before


def test_safetensors_file_with_its_own_class_count(zoo_env):
    torch.manual_seed(3)
    ten = ref.randomize_batchnorm_statistics(ref.ResNet(18, num_classes=10), seed=3)
    path = zoo_env / "model.safetensors"
    path.write_bytes(safetensors_bytes(ten))
    model = zoo.load("resnet18", weights=path, input_shape=SHAPE)  # no tag: the default tag with that format
    assert model.num_classes == 10 and model.class_names is None  # from the checkpoint's head
    assert model.preprocessing == "torch" and model.build_config["variant"] == "v1.5"
    assert_same_probabilities(probabilities(model), torch_probabilities(ten, images()))


def test_url_is_downloaded_into_the_cache_pinned_and_loaded(reference, expected, zoo_env):
    data = wrapped_checkpoint(reference, zoo_env / "upload.pth").read_bytes()
    with LocalServer() as server:
        url = server.add("checkpoints/resnet18-ours.pth", data)
        model = zoo.load("resnet18.tv_in1k", weights=url, key_map={"features.": ""}, input_shape=SHAPE)
        again = zoo.load("resnet18.tv_in1k", weights=url, key_map={"features.": ""}, input_shape=SHAPE)
        assert server.gets["/checkpoints/resnet18-ours.pth"] == 1  # the second load reads the verified cache
    for loaded in (model, again):
        assert_same_probabilities(probabilities(loaded), expected)
    [download] = (zoo_env / "zoo-cache" / "downloads" / "resnet18").glob("checkpoint-url-*/resnet18-ours.pth")
    assert download.read_bytes() == data
    pins = json.loads((zoo_env / "zoo-cache" / "pins.json").read_text())
    assert pins[f"resnet18.{download.parent.name}"] == {"sha256": hashlib.sha256(data).hexdigest(), "source": url}


def test_an_unreachable_checkpoint_url_says_to_pass_a_downloaded_file(zoo_env):
    with LocalServer() as server:
        url = server.url + "/checkpoints/missing.pth"  # the server answers 404
        with pytest.raises(zoo.WeightsNotAvailableError) as raised:
            zoo.load("resnet18.tv_in1k", weights=url, input_shape=SHAPE)
    message = str(raised.value)
    assert message.startswith(f"Checkpoint {url} could not be fetched") and "weights=" in message
    assert "zoo download" not in message  # the URL is no manifest tag: `zoo download` could not fetch it


def test_strict_false_reports_missing_unexpected_and_mismatched(reference, zoo_env):
    extra = {"module.features.aux_head.weight": torch.ones(3, 512), "module.features.aux_head.bias": torch.ones(3)}
    path = wrapped_checkpoint(reference, zoo_env / "partial.pth", extra=extra, drop="layer4.1.bn2.")
    model = zoo.load("resnet18.tv_in1k", weights=str(path), key_map={"features.": ""}, input_shape=SHAPE,
                     num_classes=10, strict=False)
    report = model.load_report
    assert report.missing == ("conv5_block2_2_bn",)
    assert report.unexpected == ("aux_head.weight", "aux_head.bias")
    assert report.mismatched == (("predictions", ((512, 1000), (1000,)), ((512, 10), (10,))),)
    assert report.loaded == 39 and not report.strict
    assert "missing, kept freshly initialised (1): conv5_block2_2_bn" in str(report)
    assert "predictions: checkpoint [(512, 1000), (1000,)], model [(512, 10), (10,)]" in str(report)
    # What matched is loaded; what did not keeps its fresh initialisation.
    np.testing.assert_array_equal(model.network.get_layer("conv1_conv").get_weights()[0],
                                  reference.conv1.weight.detach().numpy().transpose(2, 3, 1, 0))
    gamma, beta, mean, variance = model.network.get_layer("conv5_block2_2_bn").get_weights()
    assert np.all(gamma == 1) and np.all(mean == 0) and np.all(variance == 1)
    assert model.network.output_shape == (None, 10)


def test_strict_names_the_first_offender(reference, zoo_env):
    extra = {"module.features.aux_head.weight": torch.ones(3, 512)}
    path = wrapped_checkpoint(reference, zoo_env / "extra.pth", extra=extra)
    with pytest.raises(zoo.WeightsMismatchError, match="tensor aux_head.weight in the weights file has no place"):
        zoo.load("resnet18.tv_in1k", weights=path, key_map={"features.": ""}, input_shape=SHAPE)
    with pytest.raises(zoo.WeightsMismatchError, match="tensor features.conv1.weight .* key_map=\\{'features.': ''\\}"):
        zoo.load("resnet18.tv_in1k", weights=path, input_shape=SHAPE)  # the message says what to pass
    # Rules apply in order, the first match wins: None drops the extra head before "features." is stripped.
    model = zoo.load("resnet18.tv_in1k", weights=path, key_map={"features.aux_head.": None, "features.": ""},
                     input_shape=SHAPE)
    assert model.load_report.clean
    path = wrapped_checkpoint(reference, zoo_env / "missing.pth", drop="layer4.1.bn2.")
    with pytest.raises(zoo.WeightsMismatchError, match="no tensors for layer 'conv5_block2_2_bn'"):
        zoo.load("resnet18.tv_in1k", weights=path, key_map={"features.": ""}, input_shape=SHAPE)


def test_zoo_convert_writes_a_preset_that_loads_identically(reference, expected, zoo_env, capsys):
    path = wrapped_checkpoint(reference, zoo_env / "ckpt.pth")
    before = sha256(path)
    out = zoo_env / "resnet18-ours"
    assert cli_main(["convert", str(path), "--model", "resnet18.tv_in1k", "--out", str(out),
                     "--key-map", "features.=", "--license", "MIT"]) == 0
    printed = capsys.readouterr().out
    assert "41 layers loaded" in printed and f"zoo push {out}" in printed
    preset = zoo.load(str(out))
    direct = zoo.load("resnet18.tv_in1k", weights=path, key_map={"features.": ""})
    x = np.random.default_rng(1).uniform(0, 255, size=(2, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(preset(preset.preprocess(x), training=False),
                               direct(direct.preprocess(x), training=False), atol=1e-6)
    assert preset.preprocessing == "torch" and json.loads((out / "manifest.json").read_text())[
        "models"]["resnet18"]["tags"]["resnet18-ours"]["license"] == "MIT"
    assert sha256(path) == before
    assert cli_main(["convert", str(path), "--model", "resnet18", "--out", str(out)]) == 2  # exists: refused
    assert "exists and is not empty" in capsys.readouterr().err


def test_manifest_entries_take_a_key_map(reference, expected, zoo_env, monkeypatch):
    data = safetensors_bytes(torch.nn.ModuleDict({"backbone": reference}))  # names "backbone.conv1.weight", ...
    with LocalServer() as server:
        url = server.add("wrapped.safetensors", data)
        use_manifest(monkeypatch, zoo_env / "m.json", {"resnet18": {"tags": {"wrapped": entry(
            {"url": url}, data, "safetensors", config={"variant": "v1.5"}, key_map={"backbone.": ""})}}})
        model = zoo.load("resnet18.wrapped", input_shape=SHAPE)
    assert_same_probabilities(probabilities(model), expected)
    assert zoo.info("resnet18.wrapped")["weights"]["wrapped"]["key_map"] == {"backbone.": ""}
    use_manifest(monkeypatch, zoo_env / "bad.json", {"resnet18": {"tags": {"bad": entry(
        {"url": url}, data, "safetensors", key_map={"backbone.": 3})}}})
    with pytest.raises(zoo.ManifestError, match="resnet18.bad.*key_map maps 'backbone.' to number 3"):
        zoo.info("resnet18")


@pytest.mark.parametrize("arguments, error, words", [
    ({"key_map": 5}, TypeError, ("key_map", "mapping", "callable", "5")),
    ({"key_map": {}}, ValueError, ("key_map", "empty")),
    ({"key_map": {"features.": 3}}, TypeError, ("key_map", "'features.'", "3")),
    ({"key_map": {1: ""}}, TypeError, ("key_map", "prefixes", "1")),
    ({"strict": "no"}, TypeError, ("strict", "True", "False", "'no'")),
    ({"weights": "no/such/ckpt.pth"}, FileNotFoundError, ("no/such/ckpt.pth", "does not exist")),
    ({"weights": "ftp://example.org/w.pth"}, ValueError, ("http://", "https://")),
    ({"weights": "model.keras"}, ValueError, ("whole saved model", "zoo.load('model.keras')")),
    ({"key_map": {"x.": ""}, "weights": "default"}, ValueError, ("key_map", "checkpoint", "weights=")),
])
def test_bad_arguments_are_refused_before_anything_is_built(arguments, error, words):
    with pytest.raises(error) as raised:
        zoo.load("resnet18.tv_in1k", **{"weights": None, **arguments})
    for word in words:
        assert word in str(raised.value)


def test_bad_files_are_refused_before_tensorflow_loads(reference, tmp_path):
    """Run in a fresh interpreter: every refusal below must come without importing TensorFlow."""
    wrapped_checkpoint(reference, tmp_path / "ckpt.pth")
    (tmp_path / "notes.bin").write_text("not a checkpoint at all")
    (tmp_path / "saved.keras").write_bytes(b"")
    script = f"""
import sys, zoo
def refused(call, words):
    try:
        call()
    except Exception as error:
        assert all(word in str(error) for word in words), (words, str(error))
        return type(error).__name__
    raise AssertionError("not refused")
d = {str(tmp_path)!r}
print(refused(lambda: zoo.load("resnet18", weights=d + "/notes.bin"), ["not a checkpoint format", "safetensors"]))
print(refused(lambda: zoo.load(d + "/saved.keras", weights=d + "/ckpt.pth"), ["brings its own weights"]))
print(refused(lambda: zoo.load("resnet18", weights=d), ["is a folder"]))
assert "tensorflow" not in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["WeightsFormatError", "ValueError", "IsADirectoryError"]


def test_a_key_map_that_renames_nothing_is_named(reference, zoo_env):
    path = wrapped_checkpoint(reference, zoo_env / "ckpt.pth")
    with pytest.raises(zoo.WeightsMismatchError, match="renames none of the 122 tensors.*'features.conv1.weight'"):
        zoo.load("resnet18.tv_in1k", weights=path, key_map={"backbone.": ""}, input_shape=SHAPE)
