"""keras.applications' legacy HDF5 weights (one group per layer name) -> zoo layer weights.

Read by layer name with h5py, so any model whose layer names match
keras.applications' (zoo's ResNet ``variant="v1"``) takes them; a file saved
with the whole model nests the same groups under ``model_weights``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

if TYPE_CHECKING:
    from zoo.registry import ModelSpec


def _text(value) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def convert(path: Path, spec: "ModelSpec", entry: dict[str, Any]) -> dict[str, list[np.ndarray]]:
    with h5py.File(path, "r") as handle:
        root = handle["model_weights"] if "model_weights" in handle else handle
        weights = {}
        for layer in map(_text, root.attrs["layer_names"]):
            group = root[layer]
            names = [_text(name) for name in group.attrs.get("weight_names", [])]
            if names:
                weights[layer] = [np.asarray(group[name], dtype=np.float32) for name in names]
    return weights
