"""Bad calls on zoo.style_transfer: images, numbers, options, backbones and layer names, refused before it optimises."""

from __future__ import annotations

import numpy as np

from tests.bad_inputs import Case

import zoo

IMAGE = np.random.default_rng(0).uniform(0, 255, (16, 16, 3)).astype("float32")
_MODEL = {}


def net():
    """One tiny random ResNet shared by the cases (built once)."""
    if "net" not in _MODEL:
        _MODEL["net"] = zoo.create("resnet18", input_shape=(16, 16, 3), base_width=4, stem="cifar")
    return _MODEL["net"]


def transfer(content=IMAGE, style=IMAGE, **options):
    return lambda ctx: zoo.style_transfer(content, style, **{"backbone": net(), "verbose": 0, **options})


CASES = [
    Case("style-backbone-not-registered", lambda ctx: zoo.style_transfer(IMAGE, IMAGE, backbone="vgg_missing"),
         ValueError, ("'vgg_missing'", "available backbones", "resnet18"), 5),
    Case("style-backbone-not-a-classifier", lambda ctx: zoo.style_transfer(IMAGE, IMAGE, backbone="dcgan"),
         ValueError, ("'dcgan'", "available backbones"), 5),
    Case("style-backbone-wrong-type", transfer(backbone=3), TypeError, ("backbone", "zoo classifier", "int"), 5),
    Case("style-weights-with-a-model", transfer(weights=None), ValueError,
         ("weights=None", "backbone given by name"), 5),
    Case("style-content-in-unit-range", transfer(content=IMAGE / 255.0, steps=0),
         None, ("[0, 1]", "0-255", "content * 255"), 10, warns=zoo.PixelRangeWarning),
    Case("style-content-empty", transfer(content=np.zeros((0, 16, 3))), ValueError, ("content is empty",), 5),
    Case("style-content-batch", transfer(content=np.zeros((2, 16, 16, 3))), ValueError,
         ("content must be one image", "(2, 16, 16, 3)"), 5),
    Case("style-style-rgba", transfer(style=np.zeros((16, 16, 4))), ValueError,
         ("style must be one image", "alpha"), 5),
    Case("style-content-nan", transfer(content=np.full((16, 16, 3), np.nan)), ValueError,
         ("NaN or infinite",), 5),
    Case("style-content-above-255", transfer(content=IMAGE * 4), ValueError, ("outside 0-255",), 5),
    Case("style-missing-file", transfer(content="/nonexistent/cat.png"), FileNotFoundError,
         ("content file", "does not exist"), 5),
    Case("style-negative-steps", transfer(steps=-1), ValueError, ("steps", ">= 0", "-1"), 5),
    Case("style-zero-learning-rate", transfer(learning_rate=0), ValueError, ("learning_rate", "> 0"), 5),
    Case("style-negative-style-weight", transfer(style_weight=-1.0), ValueError, ("style_weight", ">= 0"), 5),
    Case("style-all-weights-zero", transfer(content_weight=0, style_weight=0), ValueError,
         ("nothing to optimise",), 5),
    Case("style-unknown-init", transfer(init="style"), ValueError, ("init must be one of", "'noise'"), 5),
    Case("style-save-every-without-out-dir", transfer(save_every=5), ValueError, ("save_every needs out_dir",), 5),
    Case("style-unknown-style-layer", transfer(style_layers=["block1_conv1"]), ValueError,
         ("'block1_conv1'", "available:", "conv2_block1_out"), 10),
    Case("style-empty-content-layers", transfer(content_layers=[]), ValueError,
         ("content_layers is empty", "conv4_block2_out"), 10),
    Case("style-image-too-small-for-alexnet",
         lambda ctx: zoo.style_transfer(IMAGE, IMAGE, backbone="alexnet", weights=None, verbose=0),
         ValueError, ("alexnet needs images of at least 63x63", "16x16"), 20),
]
