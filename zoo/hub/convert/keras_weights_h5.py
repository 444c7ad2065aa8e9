"""Keras 3 ``.weights.h5`` files (what ``model.save_weights`` writes) -> zoo layer weights.

Such a file is addressed by the model's structure, so it is loaded into the
architecture the manifest entry's ``config`` describes, then read back per layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from zoo.registry import ModelSpec


def convert(path: Path, spec: "ModelSpec", entry: dict[str, Any]) -> dict[str, list[np.ndarray]]:
    config = dict(spec.config, **entry.get("config", {}))
    network = spec.resolve_builder()(**config)
    network.load_weights(str(path))
    return {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in network.layers if layer.weights}
