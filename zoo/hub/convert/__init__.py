"""Converters from upstream weights formats to zoo layer weights, one file per format.

Each exposes ``convert(path, spec, entry) -> {layer name: [arrays in Keras order]}``.
The manifest entry's ``format`` names the converter; nothing is guessed from the file.
"""

from __future__ import annotations

import importlib
from typing import Callable

CONVERTERS = {
    "keras_h5_legacy": "zoo.hub.convert.keras_h5_legacy",
    "keras_weights_h5": "zoo.hub.convert.keras_weights_h5",
    "safetensors": "zoo.hub.convert.safetensors_state_dict",
    "torch_pth": "zoo.hub.convert.torch_pth",
    "zoo_layer_weights": "zoo.hub.convert.zoo_layer_weights",
}


def converter_for(format_name: str) -> Callable:
    if format_name not in CONVERTERS:
        raise ValueError(
            f"no converter for weights format {format_name!r}; known formats: {', '.join(sorted(CONVERTERS))}"
        )
    return importlib.import_module(CONVERTERS[format_name]).convert
