"""Bad calls on VGG: its configuration, inputs below 32x32, torchvision weights of another depth."""

from __future__ import annotations

import numpy as np

from tests.bad_inputs import Case
from zoo.hub.convert.torch_state_dict import layer_weights_from_state_dict

import zoo

# vgg11's block2_conv1 is torchvision's features.3; in vgg16 features.3 is a ReLU.
VGG11_TENSORS = {"features.3.weight": np.zeros((128, 64, 3, 3), "float32"), "features.3.bias": np.zeros(128, "float32")}

CASES = [
    Case("vgg-unknown-depth", lambda ctx: zoo.create("vgg16", depth=12),
         ValueError, ("vgg: depth must be one of [11, 13, 16, 19]", "got 12"), 5),
    Case("vgg-fc-units-zero", lambda ctx: zoo.create("vgg11", fc_units=0),
         ValueError, ("vgg11", "fc_units must be a positive integer", "0"), 5),
    Case("vgg-input-below-32", lambda ctx: zoo.create("vgg19_bn", input_shape=(31, 31, 3)),
         ValueError, ("vgg19_bn needs inputs of at least 32x32", "31x31"), 5),
    Case("vgg-width-zero", lambda ctx: zoo.create("vgg13", width=0, input_shape=(32, 32, 3)),
         ValueError, ("vgg13", "width must be a multiplier in (0, 4]"), 5),
    Case("vgg-torch-weights-of-another-depth",
         lambda ctx: layer_weights_from_state_dict(VGG11_TENSORS, "vgg", config={"depth": 16, "batch_norm": False}),
         zoo.WeightsMismatchError, ("features.3.weight", "no place in a vgg model"), 5),
]
