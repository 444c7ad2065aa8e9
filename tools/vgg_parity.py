"""Measure zoo's VGG against its two upstreams at full size (the README's VGG figures).

    PYTHONPATH=. python tools/vgg_parity.py

keras.applications: VGG16/VGG19(weights=None), weights copied by layer name, 224x224
inputs in the caffe-preprocessed range. torchvision: the reference module of
tests/torch_reference.py (torchvision does not install here), its state dict through
zoo's converter. Prints the largest difference of log-probabilities (logits up to a
constant) over 4 random images. Random weights; no network.
"""

from __future__ import annotations

import time

import keras
import numpy as np
import torch

import zoo
from tests import torch_reference as ref
from tests.weights_helpers import state_dict_numpy, torch_probabilities
from zoo.hub.convert.torch_state_dict import layer_weights_from_state_dict

KERAS_APPLICATIONS = {"vgg16": keras.applications.VGG16, "vgg19": keras.applications.VGG19}


def log_gap(ours: np.ndarray, reference: np.ndarray) -> float:
    return float(np.abs(np.log(ours.astype(np.float64)) - np.log(reference.astype(np.float64))).max())


def keras_applications_gap(name: str, x: np.ndarray) -> float:
    reference = KERAS_APPLICATIONS[name](weights=None)
    ours = zoo.create(name).network
    for layer in ours.layers:
        if layer.weights:
            layer.set_weights(reference.get_layer(layer.name).get_weights())
    return log_gap(ours.predict(x, verbose=0), reference.predict(x, verbose=0))


def torchvision_gap(depth: int, batch_norm: bool, x: np.ndarray) -> float:
    torch.manual_seed(depth)
    reference = ref.randomize_batchnorm_statistics(ref.VGG(depth, batch_norm), seed=depth)
    ours = zoo.create(f"vgg{depth}{'_bn' if batch_norm else ''}").network
    weights = layer_weights_from_state_dict(state_dict_numpy(reference), "vgg",
                                            config={"depth": depth, "batch_norm": batch_norm})
    for layer, arrays in weights.items():
        ours.get_layer(layer).set_weights(arrays)
    return log_gap(ours.predict(x, verbose=0), torch_probabilities(reference, x))


def main() -> None:
    rng = np.random.default_rng(0)
    caffe_range = rng.uniform(-120, 120, size=(4, 224, 224, 3)).astype("float32")
    normalised = rng.uniform(-2, 2, size=(4, 224, 224, 3)).astype("float32")
    for name in KERAS_APPLICATIONS:
        start = time.perf_counter()
        gap = keras_applications_gap(name, caffe_range)
        print(f"{name} vs keras.applications: max |log p difference| {gap:.2e} ({time.perf_counter() - start:.0f} s)")
    for depth, batch_norm in [(16, False), (19, True)]:
        start = time.perf_counter()
        gap = torchvision_gap(depth, batch_norm, normalised)
        print(f"vgg{depth}{'_bn' if batch_norm else ''} vs torchvision reference: max |log p difference| "
              f"{gap:.2e} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
