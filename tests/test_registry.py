"""Registry and manifest: listing, describing, errors — all without TensorFlow."""

import json
import subprocess
import sys

import pytest

import zoo
from zoo import manifest

RESNETS = ["resnet101", "resnet152", "resnet18", "resnet34", "resnet50"]
SOURCE_KINDS = ({"url"}, {"hf_repo", "hf_file"}, {"hf_repo", "hf_file", "revision"}, {"tfhub"}, {"bundled"})
FORMATS = {"keras_h5_legacy", "keras_weights_h5", "safetensors", "torch_pth", "tf_saved_model", "zoo_layer_weights",
           "marian"}


def test_list_models_patterns_and_filters():
    assert zoo.list_models("resnet*") == RESNETS
    assert zoo.list_models() == sorted(zoo.list_models())
    assert {"alexnet", "nin", "googlenet"} <= set(zoo.list_models())
    assert zoo.list_models(family="resnet") == RESNETS
    assert zoo.list_models("*net", family="googlenet") == ["googlenet"]
    assert "nin" not in zoo.list_models(pretrained=True)
    assert zoo.list_models(pretrained=False) == ["nin"]  # lego_cnn has lego_cnn.mnist_pgd
    assert zoo.list_models("RESNET5*") == ["resnet50"]


def test_info_describes_model_and_weights():
    record = zoo.info("resnet50")
    assert record["family"] == "resnet" and record["task"] == "image_classification"
    assert record["params"] == 25_636_712
    assert record["input_shape"] == [224, 224, 3]
    assert record["default_weights"] == "keras_in1k"
    assert set(record["weights"]) == {"keras_in1k", "keras_in1k_notop", "tv_in1k"}
    keras_weights = record["weights"]["keras_in1k"]
    assert keras_weights["md5"] == "2cb95161c43110f7111970584f804107"
    assert keras_weights["preprocessing"] == "caffe"
    assert record["licenses"]
    assert zoo.info("resnet50.tv_in1k")["name"] == "resnet50"


def test_unknown_names_suggest_close_ones():
    with pytest.raises(zoo.UnknownModelError) as caught:
        zoo.info("resnet5")
    assert isinstance(caught.value, KeyError)
    assert "resnet50" in str(caught.value)
    with pytest.raises(KeyError, match="googlenet"):
        zoo.info("googlnet")
    with pytest.raises(zoo.UnknownWeightsTagError, match="resnet50.tv_in1k"):
        zoo.load("resnet50.tv_in1", weights=None)


def test_manifest_entries_are_well_formed():
    models = manifest.load_manifest()["models"]
    assert set(models) <= set(zoo.list_models()), "manifest names a model the registry does not know"
    for name, record in models.items():
        assert record["default"] in record["tags"], name
        for tag, entry in record["tags"].items():
            where = f"{name}.{tag}"
            assert set(entry["source"]) in SOURCE_KINDS, where
            assert entry["format"] in FORMATS, where
            assert entry["license"], where
            # A hash, or an explicit note that it is pinned on first download.
            assert entry.get("sha256") or entry.get("md5") or "first verified download" in entry["notes"], where
            for key in ("sha256", "md5"):
                if entry.get(key):
                    int(entry[key], 16)
                    assert len(entry[key]) == {"sha256": 64, "md5": 32}[key], where


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout


def test_listing_does_not_import_tensorflow():
    out = _run(
        "import sys, zoo; zoo.list_models(); zoo.info('resnet50'); "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    assert out.strip() == "[]"


def test_manifest_ships_inside_the_wheel(tmp_path):
    import pathlib
    import zipfile

    root = pathlib.Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(root)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("keras_zoo-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = json.loads(archive.read("zoo/weights_manifest.json"))
    assert shipped == json.loads((root / "weights_manifest.json").read_text())
