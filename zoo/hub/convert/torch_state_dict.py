"""PyTorch state dicts (torchvision / timm parameter names) -> zoo layer weights.

Layouts: conv kernels OIHW -> HWIO, linear (out, in) -> (in, out), BatchNorm
(weight, bias, running_mean, running_var) -> (gamma, beta, moving_mean,
moving_variance). A linear layer fed by a flatten also has its input axis
permuted, since PyTorch flattens (C, H, W) and Keras (H, W, C).
"""

from __future__ import annotations

import fnmatch
import math
import re
from typing import Callable, Iterable

import numpy as np

from zoo.hub.convert.file_checks import NUMERIC_KINDS, a_type
from zoo.hub.errors import WeightsFormatError, WeightsMismatchError


def _resnet_layer(module: str) -> str:
    fixed = {"conv1": "conv1_conv", "bn1": "conv1_bn", "fc": "predictions"}
    if module in fixed:
        return fixed[module]
    match = re.fullmatch(r"layer(\d)\.(\d+)\.(conv(\d)|bn(\d)|downsample\.([01]))", module)
    if not match:
        raise KeyError(module)
    stage, block = int(match.group(1)) + 1, int(match.group(2)) + 1
    prefix = f"conv{stage}_block{block}"
    if match.group(4):
        return f"{prefix}_{match.group(4)}_conv"
    if match.group(5):
        return f"{prefix}_{match.group(5)}_bn"
    return f"{prefix}_0_{'conv' if match.group(6) == '0' else 'bn'}"


_ALEXNET_LAYERS = {
    "features.0": "conv1",
    "features.3": "conv2",
    "features.6": "conv3",
    "features.8": "conv4",
    "features.10": "conv5",
    "classifier.1": "fc6",
    "classifier.4": "fc7",
    "classifier.6": "predictions",
}


def _alexnet_layer(module: str) -> str:
    return _ALEXNET_LAYERS[module]


def _googlenet_layer(module: str) -> str:
    # zoo's GoogLeNet names its layers after torchvision's modules, "." -> "_".
    return "predictions" if module == "fc" else module.replace(".", "_")


# family -> (module name -> layer name, {layer fed by a flatten: (C, H, W)})
FAMILIES: dict[str, tuple[Callable[[str], str], dict[str, tuple[int, int, int]]]] = {
    "resnet": (_resnet_layer, {}),
    "alexnet": (_alexnet_layer, {"fc6": (256, 6, 6)}),
    "googlenet": (_googlenet_layer, {"aux1_fc1": (128, 4, 4), "aux2_fc1": (128, 4, 4)}),
}

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
    if family not in FAMILIES:
        raise WeightsMismatchError(f"no PyTorch name mapping for the {family!r} family")
    layer_name, flattened = FAMILIES[family]
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
