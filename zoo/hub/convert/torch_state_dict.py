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
from typing import Iterable

import numpy as np

from zoo import catalog
from zoo.hub.convert.file_checks import NUMERIC_KINDS, a_type
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
    state: dict[str, np.ndarray], family: str, ignore: Iterable[str] = ()
) -> dict[str, list[np.ndarray]]:
    """``{zoo layer name: [arrays in Keras order]}`` from a torchvision/timm state dict.

    ``ignore`` holds shell patterns of parameter names to leave out (the manifest's
    ``ignore`` field, e.g. GoogLeNet's untrained auxiliary heads).
    """
    declared = catalog.FAMILIES.get(family)
    if declared is None or declared.torch_layer is None:
        raise WeightsMismatchError(f"no PyTorch name mapping for the {family!r} family")
    layer_name, flattened = declared.torch_layer, declared.torch_flattened
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
        try:
            layer = layer_name(module)
        except KeyError:
            raise WeightsMismatchError(
                f"tensor {module}.{next(iter(params))} in the weights file has no place in a {family} model"
            ) from None
        weights[layer] = _module_arrays(module, params, flattened.get(layer))
    return weights
