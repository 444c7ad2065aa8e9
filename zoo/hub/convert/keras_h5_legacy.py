"""keras.applications' legacy HDF5 weights (one group per layer name) -> zoo layer weights.

Read by layer name with h5py, so any model whose layer names match
keras.applications' (zoo's ResNet ``variant="v1"``) takes them; a file saved
with the whole model nests the same groups under ``model_weights``. The root's
``layer_names`` attribute lists the layers; each layer group's ``weight_names``
attribute lists its datasets, in Keras order.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo.hub.convert.file_checks import format_error
from zoo.hub.convert.h5_checks import dataset_array, group, name_list, open_h5
from zoo.hub.convert.key_map import entry_field, rename

if TYPE_CHECKING:
    from zoo.manifest import WeightsEntry
    from zoo.registry import ModelSpec


def convert(path: Path, spec: "ModelSpec", entry: "WeightsEntry | None" = None) -> dict[str, list[np.ndarray]]:
    path = Path(path)
    with open_h5(path, "Keras HDF5 weights") as handle:
        root = group(path, handle, "model_weights", "group") if "model_weights" in handle else handle
        layers = name_list(path, root, "layer_names", "the root group's")
        if layers is None:
            raise format_error(path, "has no 'layer_names' attribute, so it is not a Keras HDF5 weights file")
        weights = {}
        for layer in layers:
            layer_group = group(path, root, layer, "layer group")
            names = name_list(path, layer_group, "weight_names", f"layer {layer!r}'s") or []
            if names:
                weights[layer] = [dataset_array(path, layer_group, name, f"layer {layer!r} weight").astype(np.float32)
                                  for name in names]
    key_map = entry_field(entry, "key_map", ())
    return rename(path, weights, key_map)[0] if key_map else weights
