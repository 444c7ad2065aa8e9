"""timm / torchvision weights stored as safetensors -> zoo layer weights."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from safetensors.numpy import load_file

if TYPE_CHECKING:
    from zoo.registry import ModelSpec

from zoo.hub.convert.torch_state_dict import layer_weights_from_state_dict


def convert(path: Path, spec: "ModelSpec", entry: dict[str, Any]) -> dict[str, list[np.ndarray]]:
    return layer_weights_from_state_dict(load_file(str(path)), spec.family, entry.get("ignore", ()))
