"""Read PyTorch ``.pth`` state dicts without executing pickled code.

A ``.pth`` file is a pickle, and a general unpickler runs whatever the file
names. This reader's unpickler resolves only the handful of names a state dict
of tensors needs (``_rebuild_tensor_v2``, ``OrderedDict``, the storage types);
anything else is refused. Tensors become NumPy arrays. Both of PyTorch's layouts
are read: the zip archive (torch >= 1.6) and the older sequential file
(torchvision's AlexNet and GoogLeNet weights predate the zip format).
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:
    from zoo.registry import ModelSpec

STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
# Pickle protocol header of the pre-zip layout (torch/serialization.py's MAGIC_NUMBER).
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class UnsafePickleError(pickle.UnpicklingError):
    """The file references code other than tensor reconstruction."""


class _StorageType:
    def __init__(self, name: str):
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name])


def _rebuild_tensor(storage: np.ndarray, offset: int, size, stride, *unused) -> np.ndarray:
    if not size:
        return storage[offset].copy()
    strides = [s * storage.itemsize for s in stride]
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size), strides=strides)
    return np.array(view)  # own the memory, C-contiguous


def _rebuild_parameter(data, requires_grad=None, backward_hooks=None, *unused):
    return data


_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in STORAGE_DTYPES},
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, load_storage: Callable[[tuple], np.ndarray]):
        super().__init__(file)
        self._load_storage = load_storage

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to load {module}.{name}: a weights file may only contain tensors "
                f"(this file would run code when unpickled)"
            ) from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise UnsafePickleError(f"unexpected persistent id {pid!r} in weights file")
        return self._load_storage(pid)


def _read_zip(path: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        (pickle_name,) = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        prefix = pickle_name[: -len("data.pkl")]
        byteorder = "little"
        if f"{prefix}byteorder" in names:
            byteorder = archive.read(f"{prefix}byteorder").decode().strip()
        cache: dict[str, np.ndarray] = {}

        def load_storage(pid: tuple) -> np.ndarray:
            _, storage_type, key, _location, _numel = pid[:5]
            if key not in cache:
                dtype = storage_type.dtype.newbyteorder("<" if byteorder == "little" else ">")
                cache[key] = np.frombuffer(archive.read(f"{prefix}data/{key}"), dtype=dtype)
            return cache[key]

        return _RestrictedUnpickler(io.BytesIO(archive.read(pickle_name)), load_storage).load()


def _no_storage(pid: tuple) -> np.ndarray:
    raise UnsafePickleError(f"unexpected storage reference {pid!r} in a file header")


def _read_legacy(path: Path) -> dict[str, np.ndarray]:
    """The pre-zip layout: magic, protocol, sys info, the state pickle, storage keys, raw storages."""
    with open(path, "rb") as handle:
        header = _RestrictedUnpickler(handle, _no_storage)
        if header.load() != LEGACY_MAGIC:
            raise ValueError(f"{path} is not a PyTorch weights file (bad magic number)")
        header.load()  # protocol version
        header.load()  # sys info
        state_offset = handle.tell()

        # First pass over the state: learn which storages it needs and their sizes.
        storages: dict[str, np.ndarray] = {}

        def declare(pid: tuple) -> np.ndarray:
            _, storage_type, key, _location, numel = pid[:5]
            if len(pid) > 5 and pid[5] is not None:
                raise UnsafePickleError("storage views are not supported in weights files")
            storages.setdefault(key, np.zeros(numel, dtype=storage_type.dtype))
            return storages[key]

        _RestrictedUnpickler(handle, declare).load()
        for key in _RestrictedUnpickler(handle, _no_storage).load():
            buffer = storages[key]
            (numel,) = struct.unpack("<q", handle.read(8))
            raw = handle.read(numel * buffer.itemsize)
            if numel != buffer.size or len(raw) != buffer.nbytes:
                raise ValueError(f"{path} is truncated or inconsistent (storage {key})")
            buffer[:] = np.frombuffer(raw, dtype=buffer.dtype.newbyteorder("<"))

        # Second pass: rebuild the tensors now that their storages hold data.
        handle.seek(state_offset)
        return _RestrictedUnpickler(handle, lambda pid: storages[pid[2]]).load()


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """``{parameter name: array}`` from a ``.pth`` file, refusing any non-tensor code."""
    path = Path(path)
    state = _read_zip(path) if zipfile.is_zipfile(path) else _read_legacy(path)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path} does not hold a state dict (found {type(state).__name__})")
    return {name: np.asarray(value) for name, value in state.items()}


def convert(path: Path, spec: "ModelSpec", entry: dict[str, Any]) -> dict[str, list[np.ndarray]]:
    from zoo.hub.convert.torch_state_dict import layer_weights_from_state_dict

    return layer_weights_from_state_dict(read_state_dict(path), spec.family, entry.get("ignore", ()))
