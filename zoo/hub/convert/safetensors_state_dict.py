"""timm / torchvision weights stored as safetensors -> zoo layer weights.

A safetensors file is an 8-byte little-endian header length, a JSON header
``{name: {"dtype", "shape", "data_offsets": [begin, end]}}`` (plus an optional
``__metadata__`` of strings), then the tensors' bytes. ``read_tensors`` checks the
whole header against the data before reading a tensor: every dtype known, every
byte range inside the data and as long as its shape needs, the ranges tiling the
data with no overlap and no gap (as the format requires).
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo.hub.convert.file_checks import PARSE_ERRORS, a_type, check_file, format_error, is_count, parse_failure
from zoo.hub.convert.torch_state_dict import state_dict_layer_weights
from zoo.hub.errors import WeightsMismatchError

if TYPE_CHECKING:
    from zoo.manifest import WeightsEntry
    from zoo.registry import ModelSpec

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
          "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}
MAX_HEADER = 100 << 20  # the reference implementation's limit too


def _no_duplicates(path: Path, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members; a name given twice would let one tensor hide another."""
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise format_error(path, f"header names {name[:80]!r} twice")
        found[name] = value
    return found


def _header(path: Path, data: bytes) -> tuple[dict[str, Any], int]:
    """The parsed header and where the tensor bytes start."""
    if len(data) < 8:
        raise format_error(path, f"is {len(data)} bytes long, too short for a safetensors header")
    (length,) = struct.unpack("<Q", data[:8])
    if length > min(MAX_HEADER, len(data) - 8):
        raise format_error(path, f"declares a {length}-byte header, but the file has {len(data) - 8} bytes after "
                                 f"the length (not a safetensors file, or truncated)")
    try:
        header = json.loads(data[8:8 + length].decode("utf-8"),
                            object_pairs_hook=lambda pairs: _no_duplicates(path, pairs))
    except WeightsMismatchError:
        raise
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise format_error(path, f"header is not valid JSON ({str(error)[:120]})") from None
    if not isinstance(header, dict):
        raise format_error(path, f"header is {a_type(header)}, not a JSON object")
    return header, 8 + length


def _check_entry(path: Path, name: str, info: Any, available: int) -> tuple[np.dtype, tuple[int, ...], int, int]:
    where = f"tensor {name!r}"
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise format_error(path, f"{where}: header entry must be an object with exactly 'dtype', 'shape' and "
                                 f"'data_offsets'; got {str(info)[:100]}")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise format_error(path, f"{where}: dtype {str(dtype)[:20]!r} is not one of {', '.join(DTYPES)}")
    if not (isinstance(shape, list) and all(is_count(n) for n in shape)):
        raise format_error(path, f"{where}: shape {str(shape)[:80]} is not a list of non-negative integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(is_count(n) for n in offsets)):
        raise format_error(path, f"{where}: data_offsets {str(offsets)[:80]} is not [begin, end]")
    begin, end = offsets
    if not begin <= end <= available:
        raise format_error(path, f"{where}: data_offsets [{begin}, {end}] are out of range of the "
                                 f"{available} data bytes")
    dtype = np.dtype(DTYPES[dtype])
    needed = math.prod(shape) * dtype.itemsize
    if end - begin != needed:
        raise format_error(path, f"{where}: shape {shape} of {info['dtype']} needs {needed} bytes, but "
                                 f"data_offsets [{begin}, {end}] span {end - begin}")
    return dtype, tuple(shape), begin, end


def _read(path: Path) -> dict[str, np.ndarray]:
    data = path.read_bytes()
    header, start = _header(path, data)
    available = len(data) - start
    metadata = header.pop("__metadata__", {})
    if not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise format_error(path, "header's __metadata__ is not an object of strings")
    entries = sorted(((name, *_check_entry(path, name, info, available)) for name, info in header.items()),
                     key=lambda entry: (entry[3], entry[4]))
    reached, previous = 0, None
    for name, _, _, begin, end in entries:
        if begin != reached:
            problem = f"overlaps tensor {previous!r}" if begin < reached else "leaves a gap before it"
            raise format_error(path, f"tensor {name!r}: data_offsets [{begin}, {end}] {problem} "
                                     f"(the data must be tiled in order, up to byte {reached} so far)")
        reached, previous = end, name
    if reached != available:
        raise format_error(path, f"the tensors cover {reached} of the {available} data bytes "
                                 f"(truncated, or bytes the header does not describe)")
    return {name: np.frombuffer(data, dtype, count=math.prod(shape), offset=start + begin)
            .reshape(shape).astype(dtype.newbyteorder("="))  # a native-order copy, independent of ``data``
            for name, dtype, shape, begin, _ in entries}


def read_tensors(path: str | Path) -> dict[str, np.ndarray]:
    """``{name: array}`` from a safetensors file, after checking its header (``WeightsFormatError``)."""
    path = Path(path)
    check_file(path, "safetensors")
    try:
        return _read(path)
    except WeightsMismatchError:
        raise
    except PARSE_ERRORS as error:
        raise parse_failure(path, error, "the file") from None


def convert(path: Path, spec: "ModelSpec", entry: "WeightsEntry | None" = None) -> dict[str, list[np.ndarray]]:
    return state_dict_layer_weights(path, read_tensors(path), spec, entry)
