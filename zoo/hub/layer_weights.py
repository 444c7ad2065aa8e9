"""Layer weights by name: zoo's converted-weights file and putting weights into a network.

Every converter produces ``{layer name: [arrays in Keras order]}``. That mapping
is cached as an HDF5 file (one group per layer, datasets ``0``, ``1``, ...) so a
warm load reads it back without converting again, whatever the network's head.
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Sequence

import h5py
import numpy as np

from zoo.hub.convert.file_checks import format_error
from zoo.hub.convert.h5_checks import attribute, dataset_array, display_name, group, open_h5
from zoo.hub.errors import WeightsMismatchError

FILE_FORMAT = "zoo-layer-weights-1"
LayerWeights = dict[str, list[np.ndarray]]


def save_layer_weights(weights: LayerWeights, path: Path) -> None:
    """Write atomically: a reader sees the old file, the new file, or none, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".h5")
    os.close(handle)
    try:
        with h5py.File(temp, "w") as out:
            # A fixed-length string: libhdf5 can loop forever on a damaged variable-length one.
            out.attrs["format"] = np.bytes_(FILE_FORMAT)
            for layer, arrays in weights.items():
                group = out.create_group(layer)
                for index, array in enumerate(arrays):
                    group.create_dataset(str(index), data=array)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def save_model_weights(model, path: Path, dtype=None) -> Path:
    """Every weighted layer of a zoo model as a zoo weights file (``dtype="float16"`` halves it):
    a task's ``weight_layers()``, else its network's layers, else its own."""
    if hasattr(model, "weight_layers"):
        layers = model.weight_layers()
    else:
        layers = getattr(model, "network", model).layers
    save_layer_weights({layer.name: [np.asarray(w, dtype) for w in layer.get_weights()]
                        for layer in layers if layer.weights}, Path(path))
    return Path(path)


def read_layer_weights(path: Path | BinaryIO) -> LayerWeights:
    """The file's ``{layer: [arrays]}`` (``path`` may also be a binary file object); ``WeightsFormatError``
    if it is not laid out as ``save_layer_weights`` writes (a group per layer, datasets ``0`` .. ``n-1``)."""
    with open_h5(path, "zoo layer-weights") as handle:
        path = display_name(path, "zoo layer-weights")
        found = attribute(path, handle, "format", "the root group's")
        found = found.decode("utf-8", "replace") if isinstance(found, bytes) else found
        if not isinstance(found, str) or found != FILE_FORMAT:
            raise format_error(path, f"is not a zoo layer-weights file (its 'format' attribute is "
                                     f"{str(found)[:40]!r}, expected {FILE_FORMAT!r})")
        weights = {}
        for layer in handle:
            if not isinstance(layer, str):  # h5py gives names that are not UTF-8 as bytes
                raise format_error(path, f"layer name {layer!r} is not UTF-8 text")
            arrays = group(path, handle, layer, "layer group")
            names = sorted(arrays, key=lambda name: (len(name), name))
            if names != [str(i) for i in range(len(names))]:
                raise format_error(path, f"layer group {layer!r} holds {names[:5]}, expected datasets "
                                         f"named 0 .. {len(names) - 1}")
            weights[layer] = [dataset_array(path, arrays, name, f"layer {layer!r} weight") for name in names]
        return weights


def assign_layer_weights(model, weights: LayerWeights, may_stay_fresh: Sequence[str] = ()) -> list[str]:
    """Set every weighted layer of ``model`` from ``weights``, by layer name.

    ``model`` is a functional network, or a task exposing ``weight_layers()``
    (a GAN's generator and discriminator layers together).

    Layers matching ``may_stay_fresh`` (shell patterns: the head, auxiliary heads)
    keep their fresh initialisation when their shapes differ (another number of
    classes) or the file lacks them (a headless file); their names are returned. Any other missing layer or shape difference is an error naming the
    first tensor that does not fit. Tensors in the file that the network does not
    have (a head, when built with ``include_top=False``) are ignored.
    """
    fresh = []

    def optional(name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in may_stay_fresh)

    layers = model.weight_layers() if hasattr(model, "weight_layers") else model.layers
    owner = model.name
    for layer in layers:
        if not layer.weights:
            continue
        arrays = weights.get(layer.name)
        expected = [tuple(w.shape) for w in layer.weights]
        if arrays is None:
            if optional(layer.name):
                fresh.append(layer.name)
                continue
            raise WeightsMismatchError(
                f"the weights file has no tensors for layer {layer.name!r} of {owner} "
                f"(it was made for another architecture or layout)"
            )
        got = [tuple(a.shape) for a in arrays]
        if got != expected:
            if optional(layer.name) and len(got) == len(expected):
                fresh.append(layer.name)
                continue
            index = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), min(len(got), len(expected)))
            variable = layer.weights[index].name if index < len(layer.weights) else f"#{index}"
            raise WeightsMismatchError(
                f"layer {layer.name!r} ({variable}) of {owner}: the weights file has shapes {got}, "
                f"the model needs {expected}"
            )
        layer.set_weights(arrays)
    return fresh
