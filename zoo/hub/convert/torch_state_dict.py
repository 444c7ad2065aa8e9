"""PyTorch state dicts (torchvision / timm parameter names) -> zoo layer weights.

Layouts: conv kernels OIHW -> HWIO, linear (out, in) -> (in, out), BatchNorm
(weight, bias, running_mean, running_var) -> (gamma, beta, moving_mean,
moving_variance). A linear layer fed by a flatten also has its input axis
permuted, since PyTorch flattens (C, H, W) and Keras (H, W, C). Which module
becomes which layer, and which layers follow a flatten, each family declares in
its module (``zoo/families/<family>.py``: ``torch_layer``, ``torch_flattened``).
"""

from __future__ import annotations

import fnmatch
import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from zoo import catalog
from zoo.hub.convert.file_checks import NUMERIC_KINDS, a_type
from zoo.hub.convert.key_map import entry_field, rename
from zoo.hub.errors import WeightsFormatError, WeightsMismatchError

BATCHNORM_ORDER = ("weight", "bias", "running_mean", "running_var")


def _dense_kernel(weight: np.ndarray, flattened_from: tuple[int, int, int] | None) -> np.ndarray:
    if flattened_from is None:
        return weight.T
    channels, height, width = flattened_from
    out = weight.shape[0]
    return weight.reshape(out, channels, height, width).transpose(2, 3, 1, 0).reshape(-1, out)


def _module_arrays(module: str, params: dict[str, np.ndarray], flattened_from) -> list[np.ndarray]:
    needed = BATCHNORM_ORDER if "running_mean" in params else ("weight",)
    missing = [key for key in needed if key not in params]
    if missing:
        raise WeightsMismatchError(
            f"the weights file has {', '.join(f'{module}.{key}' for key in sorted(params))} "
            f"but no {module}.{missing[0]} (it was made for another architecture, or is incomplete)"
        )
    if "running_mean" in params:
        return [params[key] for key in BATCHNORM_ORDER]
    weight = params["weight"]
    if weight.ndim == 4:
        arrays = [weight.transpose(2, 3, 1, 0)]
    elif weight.ndim == 2:
        if flattened_from is not None and weight.size != weight.shape[0] * math.prod(flattened_from):
            raise WeightsMismatchError(
                f"tensor {module}.weight has shape {weight.shape}; it follows a flatten of {flattened_from} "
                f"(channels, height, width), so it needs {math.prod(flattened_from)} inputs"
            )
        arrays = [_dense_kernel(weight, flattened_from)]
    else:
        raise WeightsMismatchError(f"tensor {module}.weight has an unexpected shape {weight.shape}")
    if "bias" in params:
        arrays.append(params["bias"])
    return arrays


def layer_weights_from_state_dict(
    state: dict[str, np.ndarray], family: str, ignore: Iterable[str] = (), *,
    unexpected: list[str] | None = None, sources: dict[str, tuple[str, ...]] | None = None,
    config: dict[str, Any] | None = None,
) -> dict[str, list[np.ndarray]]:
    """``{zoo layer name: [arrays in Keras order]}`` from a torchvision/timm state dict.

    ``ignore`` holds shell patterns of parameter names to leave out (the manifest's
    ``ignore`` field, e.g. GoogLeNet's untrained auxiliary heads). A tensor with no place in
    the family (or a module that cannot be converted) is an error naming it, unless an
    ``unexpected`` list is given: then its names are added there and the rest converts
    (``strict=False``). ``sources`` receives ``{layer: the tensor names it came from}``. ``config``
    is the model's builder config, for families whose names depend on it (VGG's depth).
    """
    declared = catalog.FAMILIES.get(family)
    layer_name = declared.torch_layer_for(config or {}) if declared is not None else None
    if layer_name is None:
        raise WeightsMismatchError(f"no PyTorch name mapping for the {family!r} family")
    flattened = declared.torch_flattened
    modules: dict[str, dict[str, np.ndarray]] = {}
    for name, value in state.items():
        if name.endswith("num_batches_tracked") or any(fnmatch.fnmatchcase(name, p) for p in ignore):
            continue
        if not isinstance(value, np.ndarray) or value.dtype.kind not in NUMERIC_KINDS:
            found = f"{value.dtype} data" if isinstance(value, np.ndarray) else a_type(value)
            raise WeightsFormatError(f"state dict entry {name!r} is {found}, not a numeric tensor")
        module, _, param = name.rpartition(".")
        modules.setdefault(module, {})[param] = np.asarray(value, dtype=np.float32)
    weights = {}
    for module, params in modules.items():
        names = tuple(f"{module}.{param}" for param in params)
        try:
            layer = layer_name(module)
            weights[layer] = _module_arrays(module, params, flattened.get(layer))
        except KeyError:
            if unexpected is None:
                raise WeightsMismatchError(f"tensor {names[0]} in the weights file has no place in a {family} "
                                           f"model{_prefix_hint(list(state))}") from None
            unexpected.extend(names)
            continue
        except WeightsMismatchError:
            if unexpected is None:
                raise
            unexpected.extend(names)
            continue
        if sources is not None:
            sources[layer] = names
    return weights


def _prefix_hint(names: list[str]) -> str:
    """What to pass when every name shares a first component (a model wrapped as a submodule)."""
    first = names[0].split(".", 1)[0] + "." if names else ""
    if first and len(names) > 1 and all(name.startswith(first) for name in names):
        return (f"; every tensor name starts with {first!r}: pass key_map={{{first!r}: ''}} to strip it "
                f"(strict=False loads what fits)")
    return "; key_map renames tensors, strict=False loads what fits"


def state_dict_layer_weights(path: str | Path, state: dict[str, np.ndarray], spec: Any, entry: Any = None, *,
                             key_map: Any = None, unexpected: list[str] | None = None,
                             sources: dict[str, tuple[str, ...]] | None = None) -> dict[str, list[np.ndarray]]:
    """A state dict read from ``path`` as ``spec``'s layer weights: ``module.`` stripped, the key_map
    (``key_map``, else the entry's) applied, then the family's name map."""
    state, _ = rename(path, state, key_map if key_map is not None else entry_field(entry, "key_map", ()))
    return layer_weights_from_state_dict(state, spec.family, entry_field(entry, "ignore", ()),
                                         unexpected=unexpected, sources=sources, config=spec.config)
