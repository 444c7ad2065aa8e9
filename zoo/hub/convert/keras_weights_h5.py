"""Keras 3 ``.weights.h5`` files (what ``model.save_weights`` writes) -> zoo layer weights.

Such a file is addressed by the model's structure, so it is loaded into the
architecture the manifest entry's ``config`` describes, then read back per layer.
Keras reads the file; zoo checks it first (self-contained HDF5, every dataset
numeric and backed by stored bytes), so what Keras still refuses is a file made
for another architecture.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo.hub.convert.file_checks import PARSE_ERRORS, parse_failure
from zoo.hub.convert.h5_checks import check_all_objects, group, open_h5
from zoo.hub.errors import WeightsMismatchError

if TYPE_CHECKING:
    from zoo.manifest import WeightsEntry
    from zoo.registry import ModelSpec


def convert(path: Path, spec: "ModelSpec", entry: "WeightsEntry | None" = None) -> dict[str, list[np.ndarray]]:
    path = Path(path)
    with open_h5(path, "Keras weights") as handle:
        if "layers" in handle:
            group(path, handle, "layers", "group")
        check_all_objects(path, handle)
    config = dict(spec.config, **(entry.config if entry else {}))
    network = spec.resolve_builder()(**config)
    try:
        network.load_weights(str(path))
    except WeightsMismatchError:
        raise
    except ValueError as error:  # Keras' word for "these weights do not fit this model"
        built = f" built with {config}" if config else ""
        raise WeightsMismatchError(f"{path}: the weights do not fit {spec.name}{built}: {str(error)[:500]}") from None
    except PARSE_ERRORS as error:
        raise parse_failure(path, error, "its Keras weights structure") from None
    return {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in network.layers if layer.weights}
