"""zoo's own layer-weights HDF5 (``zoo.hub.layer_weights``), as the bundled weights are stored.

Arrays may be stored as float16 to keep bundled files small; they are restored
to float32 here, before they reach the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo.hub.convert.key_map import entry_field, rename
from zoo.hub.layer_weights import read_layer_weights

if TYPE_CHECKING:
    from zoo.manifest import WeightsEntry
    from zoo.registry import ModelSpec


def convert(path: Path, spec: "ModelSpec", entry: "WeightsEntry | None" = None) -> dict[str, list[np.ndarray]]:
    weights = {
        layer: [np.asarray(array, dtype=np.float32) for array in arrays]
        for layer, arrays in read_layer_weights(path).items()
    }
    key_map = entry_field(entry, "key_map", ())  # layer names here, as the file has them
    return rename(path, weights, key_map)[0] if key_map else weights
