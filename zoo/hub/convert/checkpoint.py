"""A checkpoint a user names (``zoo.load(..., weights="file or URL")``): its format, then its layer weights.

The format is read from the file's first bytes, never trusted from its name: a zip archive
holding ``data.pkl`` or the legacy pickle magic is PyTorch, an 8-byte length followed by a
JSON header is safetensors, HDF5 is told apart by its root (zoo's ``format`` attribute,
Keras' legacy ``layer_names``, Keras 3's ``layers``/``vars`` groups). Then the same readers
as manifest entries read it, with the user's ``key_map`` and ``strict``.
"""

from __future__ import annotations

import dataclasses
import struct
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from zoo.hub.convert import converter_for, safetensors_state_dict, torch_pth
from zoo.hub.convert.file_checks import check_file
from zoo.hub.convert.h5_checks import HDF5_SIGNATURE, attribute, open_h5
from zoo.hub.convert.key_map import entry_field, rename
from zoo.hub.convert.torch_state_dict import state_dict_layer_weights
from zoo.hub.errors import WeightsFormatError

TORCH_FORMATS = ("torch_pth", "safetensors")
READABLE = ("a PyTorch state dict (.pth/.pt/.bin), safetensors, a Keras HDF5 weights file (.h5 by layer name, "
            "Keras 3 .weights.h5) or zoo layer weights")
# torch.save's pre-zip layout opens with a pickled long: this magic number (torch/serialization.py).
_LEGACY_TORCH_MAGIC = (0x1950A86A20F9469CFC6C).to_bytes(10, "little")


@dataclasses.dataclass(frozen=True)
class Converted:
    """A checkpoint's layer weights and what did not convert."""

    weights: dict[str, list[np.ndarray]]
    format: str
    unexpected: tuple[str, ...] = ()  # tensor names with no place in the family (strict=False only)
    sources: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # layer -> its tensor names


def _unknown(path: Path, head: bytes) -> WeightsFormatError:
    return WeightsFormatError(f"{path}: is not a checkpoint format zoo reads (it starts with {head[:8]!r}); zoo reads "
                              f"{READABLE}")


def _zip_format(path: Path, head: bytes) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "torch_pth"  # the PyTorch reader names what is wrong with the archive
    if any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
        return "torch_pth"
    if "config.json" in names and "model.weights.h5" in names:
        raise ValueError(f"{path} is a whole saved Keras model (a .keras archive), not a checkpoint: load it with "
                         f"zoo.load({str(path)!r})")
    raise _unknown(path, head)


def _hdf5_format(path: Path, head: bytes) -> str:
    with open_h5(path, "HDF5 weights") as handle:
        found = attribute(path, handle, "format", "the root group's")
        found = found.decode("utf-8", "replace") if isinstance(found, bytes) else found
        if isinstance(found, str) and found.startswith("zoo-layer-weights"):
            return "zoo_layer_weights"
        if "layer_names" in handle.attrs or "model_weights" in handle:
            return "keras_h5_legacy"
        if "layers" in handle or "vars" in handle:
            return "keras_weights_h5"
    raise _unknown(path, head)


def detect_format(path: str | Path) -> str:
    """The manifest format name of a checkpoint file, from its bytes (``WeightsFormatError`` if none fits)."""
    path = Path(path)
    size = check_file(path, "checkpoint")
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_format(path, head)
    if head[:1] == b"\x80" and head[2:4] == b"\x8a\x0a" and head[4:14] == _LEGACY_TORCH_MAGIC:
        return "torch_pth"
    if head.startswith(HDF5_SIGNATURE):
        return _hdf5_format(path, head)
    if len(head) >= 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] <= size - 8:
        return "safetensors"
    raise _unknown(path, head)


def convert_checkpoint(path: str | Path, spec: Any, entry: Any = None, *, key_map: Any = None,
                       strict: bool = True) -> Converted:
    """``path``'s layer weights for ``spec``, converted with the layout ``entry`` describes.

    ``key_map`` (else the entry's) renames tensors first. With ``strict=False`` tensors that have
    no place in the family are listed in ``unexpected`` instead of raising.
    """
    path = Path(path)
    fmt = detect_format(path)
    key_map = key_map if key_map is not None else entry_field(entry, "key_map", ())
    if fmt in TORCH_FORMATS:
        unexpected: list[str] | None = None if strict else []
        sources: dict[str, tuple[str, ...]] = {}
        state = torch_pth.read_state_dict(path) if fmt == "torch_pth" else safetensors_state_dict.read_tensors(path)
        weights = state_dict_layer_weights(path, state, spec, entry, key_map=key_map or (), unexpected=unexpected,
                                           sources=sources)
        return Converted(weights, fmt, tuple(unexpected or ()), sources)
    if fmt == "keras_weights_h5":
        if key_map:
            raise ValueError(f"{path} is a Keras 3 .weights.h5 file, matched to the model by its structure, not by "
                             f"tensor names: key_map does not apply to it (drop key_map)")
        return Converted(converter_for(fmt)(path, spec, entry), fmt)
    weights = converter_for(fmt)(path, spec, None)  # layer names; the key_map is applied here
    return Converted(rename(path, weights, key_map)[0] if key_map else weights, fmt)

