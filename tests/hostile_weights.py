"""Hand-made weights files that lie: ``.pth`` pickles written opcode by opcode (so a tensor can claim
any size, stride or offset), and small helpers for broken safetensors and HDF5 files.

Nothing here imports torch, so the fuzz child process (tests/fuzz_weights_files.py) starts fast.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

# pickle.Pickler's C implementation exposes no opcode writer, so the few opcodes a state dict
# needs are written directly (protocol 2, as torch.save writes).
STORAGE_TYPES = {np.dtype("float32"): "FloatStorage", np.dtype("float64"): "DoubleStorage",
                 np.dtype("int64"): "LongStorage", np.dtype("uint8"): "ByteStorage"}


def _int(value: int) -> bytes:
    encoded = pickle.encode_long(value)
    return pickle.LONG1 + bytes([len(encoded)]) + encoded


def _text(value: str) -> bytes:
    raw = value.encode()
    return pickle.BINUNICODE + struct.pack("<I", len(raw)) + raw


def _global(module: str, name: str) -> bytes:
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def _tuple(items: Sequence[bytes]) -> bytes:
    return pickle.MARK + b"".join(items) + pickle.TUPLE


class Tensor:
    """One state-dict entry: a view (offset, size, stride) of storage ``key``."""

    def __init__(self, name: str, key: str, size: Sequence[int], stride: Sequence[int] | None = None,
                 offset: int = 0):
        self.name, self.key, self.size, self.offset = name, key, tuple(size), offset
        if stride is None:  # C-contiguous
            stride, step = [], 1
            for n in reversed(self.size):
                stride.insert(0, step)
                step *= max(n, 1)
        self.stride = tuple(stride)


def state_pickle(tensors: Sequence[Tensor], storages: dict[str, np.ndarray], legacy: bool,
                 values: dict[str, bytes] | None = None) -> bytes:
    """The pickle of ``{name: tensor}`` as torch.save writes it; ``values`` adds entries whose
    value is raw pickle opcodes (for non-tensor values)."""
    body = []
    for t in tensors:
        array = storages[t.key]
        pid = [_text("storage"), _global("torch", STORAGE_TYPES[array.dtype]), _text(t.key), _text("cpu"),
               _int(array.size)] + ([pickle.NONE] if legacy else [])
        args = [_tuple(pid) + pickle.BINPERSID, _int(t.offset), _tuple([_int(n) for n in t.size]),
                _tuple([_int(s) for s in t.stride]), pickle.NEWFALSE,
                _global("collections", "OrderedDict") + pickle.EMPTY_TUPLE + pickle.REDUCE]
        body.append(_text(t.name) + _global("torch._utils", "_rebuild_tensor_v2") + _tuple(args) + pickle.REDUCE)
    for name, raw in (values or {}).items():
        body.append(_text(name) + raw)
    return pickle.PROTO + b"\x02" + pickle.EMPTY_DICT + pickle.MARK + b"".join(body) + pickle.SETITEMS + pickle.STOP


def write_pth(path: Path, tensors: Sequence[Tensor], storages: dict[str, np.ndarray], legacy: bool = False,
              values: dict[str, bytes] | None = None) -> Path:
    """A ``.pth`` in the zip layout (torch >= 1.6) or the legacy sequential one, holding ``tensors``."""
    state = state_pickle(tensors, storages, legacy, values)
    if legacy:
        out = io.BytesIO()
        for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, out, protocol=2)
        out.write(state)
        pickle.dump(list(storages), out, protocol=2)
        for array in storages.values():
            out.write(struct.pack("<q", array.size) + array.astype(array.dtype.newbyteorder("<")).tobytes())
        path.write_bytes(out.getvalue())
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("archive/data.pkl", state)
            archive.writestr("archive/byteorder", "little")
            for key, array in storages.items():
                archive.writestr(f"archive/data/{key}", array.astype("<" + array.dtype.str[1:]).tobytes())
            archive.writestr("archive/version", "3\n")
    return path


def one_tensor_pth(path: Path, storage_numel: int, size, stride=None, offset: int = 0, legacy: bool = False,
                   name: str = "fc.weight") -> Path:
    """A file whose single tensor ``name`` views a float32 storage of ``storage_numel`` elements."""
    storage = np.arange(storage_numel, dtype="float32")
    return write_pth(path, [Tensor(name, "0", size, stride, offset)], {"0": storage}, legacy=legacy)


def safetensors_file(path: Path, header: Any, data: bytes = b"", header_bytes: bytes | None = None) -> Path:
    """A safetensors file with any header (a dict is written as JSON) over ``data``."""
    raw = header_bytes if header_bytes is not None else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def resnet_like_state(seed: int = 0) -> dict[str, np.ndarray]:
    """A tiny state dict with torchvision ResNet names (conv, batch norm, fc) for ``family="resnet"``."""
    rng = np.random.default_rng(seed)
    return {
        "conv1.weight": rng.normal(size=(2, 1, 3, 3)).astype("float32"),
        "bn1.weight": rng.normal(size=2).astype("float32"),
        "bn1.bias": rng.normal(size=2).astype("float32"),
        "bn1.running_mean": rng.normal(size=2).astype("float32"),
        "bn1.running_var": rng.uniform(0.5, 1.5, size=2).astype("float32"),
        "bn1.num_batches_tracked": np.array(3, dtype="int64"),
        "fc.weight": rng.normal(size=(3, 2)).astype("float32"),
        "fc.bias": rng.normal(size=3).astype("float32"),
    }


def pth_from_state(path: Path, state: dict[str, np.ndarray], legacy: bool = False) -> Path:
    """``state`` written as a ``.pth`` without torch: one storage per tensor, C-contiguous."""
    storages = {str(i): np.ascontiguousarray(a).reshape(-1) for i, a in enumerate(state.values())}
    tensors = [Tensor(name, str(i), a.shape) for i, (name, a) in enumerate(state.items())]
    return write_pth(path, tensors, storages, legacy=legacy)
