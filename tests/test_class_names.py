"""English ImageNet-1k class names: the shipped data file, the tool that makes it, predict_top_k's names."""

import json
import zipfile

import keras
import numpy as np
import pytest

import zoo
from tools import extract_imagenet_names as tool
from zoo.hub import classes

SHAPE = (32, 32, 3)


def test_the_shipped_names_are_torchvisions_in_class_index_order():
    document = json.loads(classes.READABLE_NAMES["imagenet1k"].read_text(encoding="utf-8"))
    names, source = document["names"], document["source"]
    assert len(names) == 1000 and len(set(names)) >= 998 and all(names)
    assert (names[0], names[1], names[281], names[999]) == ("tench", "goldfish", "tabby", "toilet tissue")
    assert source["file"] == "torchvision/models/_meta.py" and source["variable"] == "_IMAGENET_CATEGORIES"
    assert source["license"] == "BSD-3-Clause" and "BSD 3-Clause License" in source["license_text"]
    assert source["wheel"].startswith(f"torchvision-{source['version']}-")
    # The same index means the same class as tensorflow-datasets' WordNet ids.
    wnids = classes.class_names("imagenet1k")
    for index, wnid, name in ((0, "n01440764", "tench"), (281, "n02123045", "tabby"),
                              (134, "n02012849", "crane bird"), (517, "n03126707", "crane"),
                              (999, "n15075141", "toilet tissue")):
        assert (wnids[index], classes.readable_names("imagenet1k")[index]) == (wnid, name)


def fake_wheel(path, assignment: str):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("torchvision/models/_meta.py", f'"""doc"""\nimport os\n{assignment}\nOTHER = 1\n')
        archive.writestr("torchvision-9.9.9.dist-info/METADATA", "Name: torchvision\nVersion: 9.9.9\n")
        archive.writestr("torchvision-9.9.9.dist-info/LICENSE", "BSD 3-Clause License\n...")
    return path


def test_the_tool_reads_the_wheel_without_running_it(tmp_path):
    names = [f"class {i}" for i in range(1000)]
    wheel = fake_wheel(tmp_path / "torchvision-9.9.9-py3-none-any.whl", f"_IMAGENET_CATEGORIES = {names!r}")
    document = tool.extract(wheel)
    assert document["names"] == names
    assert document["source"]["version"] == "9.9.9" and document["source"]["license_text"].startswith("BSD 3-Clause")
    # Code in place of a literal is refused, not run.
    hostile = fake_wheel(tmp_path / "torchvision-9.9.9-py3-none-any.whl",
                         "_IMAGENET_CATEGORIES = [__import__('os').system('touch pwned')] * 1000")
    with pytest.raises(ValueError, match="malformed node"):
        tool.extract(hostile)
    assert not (tmp_path / "pwned").exists()
    short = fake_wheel(tmp_path / "torchvision-9.9.9-py3-none-any.whl", "_IMAGENET_CATEGORIES = ['tench']")
    with pytest.raises(SystemExit, match="is not 1000 non-empty strings"):
        tool.extract(short)
    assert tool.literal_assignment("A = 1\nB = ['x']\n", "B") == ["x"]
    with pytest.raises(SystemExit, match="no module-level assignment"):
        tool.literal_assignment("C = 2", "B")


@pytest.fixture(scope="module")
def imagenet_model():
    model = zoo.create("resnet18", num_classes=1000, input_shape=SHAPE, base_width=4)
    model.class_names = classes.class_names("imagenet1k")  # what zoo.load does for "classes": "imagenet1k"
    return model


def test_predict_top_k_names_imagenet_classes_in_english_and_keeps_wordnet_ids(imagenet_model, tmp_path):
    images = np.random.default_rng(0).uniform(0, 255, (2, *SHAPE)).astype("float32")
    top = imagenet_model.predict_top_k(images, k=3)
    english, wnids = classes.readable_names("imagenet1k"), classes.class_names("imagenet1k")
    assert top.ids.shape == (2, 3) and top.ids.dtype.kind == "i"
    assert top.names == [[english[i] for i in row] for row in top.ids]
    assert top.wnids == [[wnids[i] for i in row] for row in top.ids]
    assert all(wnid.startswith("n") and len(wnid) == 9 for row in top.wnids for wnid in row)
    assert imagenet_model.predict_top_k(images[:0], k=3).wnids == []
    imagenet_model.save(tmp_path / "m.keras")  # the ids are what a saved model remembers; names follow
    again = keras.models.load_model(tmp_path / "m.keras")
    assert again.predict_top_k(images, k=3).names == top.names


def test_other_classes_have_names_but_no_wordnet_ids():
    model = zoo.create("resnet18", num_classes=3, input_shape=SHAPE, base_width=4)
    model.class_names = ["ant", "bee", "cat"]
    top = model.predict_top_k(np.zeros((1, *SHAPE)), k=2)
    assert set(top.names[0]) <= {"ant", "bee", "cat"} and top.wnids is None
    model.class_names = None
    assert model.predict_top_k(np.zeros((1, *SHAPE)), k=2).names is None
