"""Read PyTorch ``.pth`` state dicts without executing pickled code or trusting their numbers.

A ``.pth`` file is a pickle, and a general unpickler runs whatever the file
names. This reader's unpickler resolves only the handful of names a state dict
of tensors needs (``_rebuild_tensor_v2``, ``OrderedDict``, the storage types);
anything else is refused. Both of PyTorch's layouts are read: the zip archive
(torch >= 1.6) and the older sequential file (torchvision's AlexNet and GoogLeNet
weights predate the zip format).

Nothing in the file is trusted. Before unpickling, each pickle is scanned
opcode by opcode (``_scan_pickle``): memo indices and nesting depth are bounded,
since CPython's unpickler would grow its memo to any index it is given and a
deeply nested tuple crashes ``hash``. Unpickling yields tensor *records*
(storage, offset, size, stride), not arrays. A storage's bytes are read only
when their length matches the element count it declares, and a record becomes
an array only once every element it reaches lies inside its storage
(``_check_record``): unchecked strides would read process memory or crash.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import math
import pickle
import pickletools
import struct
import types
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from zoo.hub.convert.file_checks import (MAX_COUNT, a_type, PARSE_ERRORS, check_file, checkpoint_state, format_error,
                                         is_count, parse_failure, tensor_dict)
from zoo.hub.convert.torch_state_dict import state_dict_layer_weights
from zoo.hub.errors import WeightsMismatchError

if TYPE_CHECKING:
    from zoo.manifest import WeightsEntry
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
# Real state dicts nest a handful of levels (dict -> rebuild args -> size tuple); CPython's
# recursive hash of a tuple nested some 100 000 deep overflows the C stack.
MAX_NESTING = 100
# Deflate expands at most ~1032x: a zip member declaring more than this is lying.
MAX_DEFLATE_RATIO = 1100
# Opcodes that change an object already on the stack instead of making a new one.
IN_PLACE = {"APPEND", "APPENDS", "SETITEM", "SETITEMS", "BUILD", "ADDITEMS"}
MEMO_PUTS = {"PUT", "BINPUT", "LONG_BINPUT"}
MEMO_GETS = {"GET", "BINGET", "LONG_BINGET"}


class UnsafePickleError(pickle.UnpicklingError):
    """The file references code other than tensor reconstruction."""


class _StorageType(tuple):
    """``torch.FloatStorage`` and friends, as (name, dtype). A tuple: the file cannot modify it."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return self[0]

    @property
    def dtype(self) -> np.dtype:
        return self[1]


@dataclasses.dataclass(frozen=True, slots=True)
class _Storage:
    key: str
    dtype: np.dtype
    numel: int  # as declared by the pickle; the bytes read for it must match


@dataclasses.dataclass(frozen=True, slots=True)
class _TensorRecord:
    """What ``_rebuild_tensor_v2`` was called with: checked against its storage before use."""

    storage: Any
    offset: Any
    size: Any
    stride: Any


def _rebuild_tensor(storage, offset, size, stride, *unused) -> _TensorRecord:
    return _TensorRecord(storage, offset, size, stride)


def _rebuild_parameter(data, *unused):
    return data


# Names a file may reference -> a fresh object per reference, so a BUILD opcode in the file
# can only ever modify its own copy, never this module's functions.
_ALLOWED: dict[tuple[str, str], Callable[[], Any]] = {
    ("collections", "OrderedDict"): lambda: collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): lambda: (lambda *args: _rebuild_tensor(*args)),
    ("torch._utils", "_rebuild_parameter"): lambda: (lambda *args: _rebuild_parameter(*args)),
    **{("torch", name): (lambda name=name, dtype=dtype: _StorageType((name, np.dtype(dtype))))
       for name, dtype in STORAGE_DTYPES.items()},
    # timm's training checkpoints keep their argparse options beside the state dict: a plain
    # attribute bag here (a fresh class per reference), never argparse's own class.
    ("argparse", "Namespace"): lambda: type("Namespace", (types.SimpleNamespace,), {}),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, load_storage: Callable[[tuple], Any]):
        super().__init__(file)
        self._load_storage = load_storage

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]()
        except KeyError:
            raise UnsafePickleError(
                f"refusing to load {module}.{name}: a weights file may only contain tensors "
                f"(this file would run code when unpickled; a pickled model object is one: save "
                f"model.state_dict() instead)"
            ) from None

    def persistent_load(self, pid):
        return self._load_storage(pid)


class _Depth:
    """How deeply the object this stack slot holds nests (shared via the memo, updated in place)."""

    __slots__ = ("value",)

    def __init__(self, value: int):
        self.value = value


def _scan_pickle(stream: io.BytesIO, path: Path, what: str) -> None:
    """Walk one pickle's opcodes without running them; refuse memo and nesting bombs.

    Leaves ``stream`` just past the pickle's STOP. Tracks, for each stack slot, how deeply
    its object nests: a new object nests one level deeper than what it is made from.
    """
    mark = object()
    stack: list[Any] = []
    memo: dict[int, _Depth] = {}
    for count, (opcode, arg, position) in enumerate(pickletools.genops(stream), start=1):
        name = opcode.name
        if name in MEMO_PUTS or name == "MEMOIZE":
            index = len(memo) if name == "MEMOIZE" else arg
            if index > count or not stack or stack[-1] is mark:
                raise format_error(path, f"{what}: memo index {index} at byte {position} is out of range")
            memo[index] = stack[-1]
            continue
        if name in MEMO_GETS:
            if arg not in memo:
                raise format_error(path, f"{what}: byte {position} refers to memo entry {arg}, which was never set")
            stack.append(memo[arg])
            continue
        if name == "MARK":
            stack.append(mark)
            continue
        if name == "DUP":
            if not stack or stack[-1] is mark:
                raise format_error(path, f"{what}: DUP at byte {position} has nothing to duplicate")
            stack.append(stack[-1])
            continue
        before = opcode.stack_before
        popped: list[Any] = []
        if pickletools.markobject in before:
            while stack and stack[-1] is not mark:
                popped.append(stack.pop())
            if not stack:
                raise format_error(path, f"{what}: {name} at byte {position} has no MARK to close")
            stack.pop()
            below = before.index(pickletools.markobject)
        else:
            below = len(before)
        for _ in range(below):
            if not stack or stack[-1] is mark:
                raise format_error(path, f"{what}: {name} at byte {position} finds too few objects on the stack")
            popped.append(stack.pop())
        if name in IN_PLACE:  # the target is the bottom popped slot: it grows in place
            target, parts = popped[-1], popped[:-1]
        else:
            target, parts = _Depth(0), popped
        depth = max(target.value, 1 + max((slot.value for slot in parts), default=0))
        if depth > MAX_NESTING:
            raise format_error(path, f"{what}: objects nest deeper than {MAX_NESTING} levels at byte {position}")
        target.value = depth
        stack.extend(target if name in IN_PLACE else _Depth(depth) for _ in opcode.stack_after)


def _unpickle(stream: io.BytesIO, path: Path, what: str, load_storage: Callable[[tuple], Any]) -> Any:
    start = stream.tell()
    try:
        _scan_pickle(stream, path, what)
        end = stream.tell()
        stream.seek(start)
        value = _RestrictedUnpickler(stream, load_storage).load()
    except UnsafePickleError as error:
        raise format_error(path, f"{what}: {error}") from None
    except PARSE_ERRORS as error:
        if isinstance(error, WeightsMismatchError):
            raise
        raise parse_failure(path, error, what) from None
    stream.seek(end)
    return value


def _declare_storage(path: Path, storages: dict[str, _Storage], pid: Any, legacy: bool) -> _Storage:
    """The storage a persistent id names: ('storage', type, key, location, numel[, view])."""
    if not (isinstance(pid, tuple) and len(pid) == (6 if legacy else 5) and pid[0] == "storage"):
        raise format_error(path, f"unexpected persistent id {str(pid)[:80]} (expected a storage reference)")
    _, storage_type, key, _location, numel = pid[:5]
    if not isinstance(storage_type, _StorageType):
        raise format_error(path, f"storage {str(key)[:40]!r} has no known storage type "
                                 f"(known: {', '.join(STORAGE_DTYPES)})")
    if not isinstance(key, str) or not is_count(numel):
        raise format_error(path, f"storage reference {str(pid)[:80]} needs a string key and an element "
                                 f"count from 0 to {MAX_COUNT}")
    if legacy and pid[5] is not None:
        raise format_error(path, f"storage {key!r} is a view; storage views are not supported in weights files")
    storage = _Storage(key, storage_type.dtype, numel)
    if storages.setdefault(key, storage) != storage:
        known = storages[key]
        raise format_error(path, f"storage {key!r} is declared twice, as {known.numel} {known.dtype} "
                                 f"and as {numel} {storage.dtype} elements")
    return storage


def _check_record(path: Path, name: str, record: Any, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """The tensor ``record`` describes, once every element it reaches is inside its storage."""
    if not isinstance(record, _TensorRecord):
        raise format_error(path, f"entry {name!r} is {a_type(record)}, not a tensor")
    storage, offset, size, stride = record.storage, record.offset, record.size, record.stride
    where = f"tensor {name!r}"
    if not isinstance(storage, _Storage):
        raise format_error(path, f"{where} is built from {a_type(storage)}, not a storage")
    if not (isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride)):
        raise format_error(path, f"{where}: size {str(size)[:80]} and stride {str(stride)[:80]} must be tuples "
                                 f"of the same length")
    if not is_count(offset):
        raise format_error(path, f"{where}: offset {str(offset)[:40]} is not an integer from 0 to {MAX_COUNT}")
    for label, values in (("size", size), ("stride", stride)):
        if not all(is_count(v) for v in values):
            raise format_error(path, f"{where}: {label} {str(values)[:80]} is not a tuple of integers "
                                     f"from 0 to {MAX_COUNT}")
    data = arrays.get(storage.key)
    if data is None:
        raise format_error(path, f"{where}: its storage {storage.key!r} has no data in the file")
    held = data.size
    described = f"size {size}, stride {stride}, offset {offset}"
    numel = math.prod(size)
    if numel == 0:
        if math.prod(n for n in size if n) > MAX_COUNT:
            raise format_error(path, f"{where}: empty, but its other dimensions {size} multiply past {MAX_COUNT}")
        if offset > held:
            raise format_error(path, f"{where} ({described}) starts past the end of its storage "
                                     f"{storage.key!r} ({held} elements)")
        return np.zeros(size, data.dtype.newbyteorder("="))
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= held:
        raise format_error(path, f"{where} ({described}) reaches element {last}, out of range of its storage "
                                 f"{storage.key!r}, which holds {held} {data.dtype.name} elements")
    if numel > held:  # a broadcast view: a tiny file could demand unbounded memory
        raise format_error(path, f"{where} ({described}) has {numel} elements, more than its storage "
                                 f"{storage.key!r} holds ({held}); weights files hold no broadcast views")
    view = np.lib.stride_tricks.as_strided(data[offset:], shape=size, strides=[s * data.itemsize for s in stride])
    return np.array(view, dtype=data.dtype.newbyteorder("="))  # owns its memory, C-contiguous, native order


def _unwrap(path: Path, state: Any, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``{name: array}`` from the unpickled state (a training checkpoint's ``state_dict``, ``model``...
    entry if it is one). Each record becomes its tensor here; ``tensor_dict`` checks names and arrays.
    """
    state = checkpoint_state(state, lambda value: isinstance(value, _TensorRecord))
    if not isinstance(state, dict):
        raise format_error(path, f"holds {a_type(state)}, not a state dict of tensors")
    return tensor_dict(path, {name: _check_record(path, name, record, arrays) for name, record in state.items()})


def _member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes; refuses one that claims more than its compressed bytes can expand to."""
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_DEFLATE_RATIO * max(info.compress_size, 1):
        raise format_error(path, f"record {info.filename!r} claims {info.file_size} bytes from "
                                 f"{info.compress_size} compressed bytes, more than compression can produce")
    return archive.read(info)


def _read_zip(path: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: info for info in archive.infolist()}
        pickles = [n for n in members if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pickles) != 1:
            raise format_error(path, f"is a zip archive with {len(pickles)} data.pkl records, "
                                     f"not a PyTorch weights file (which has one)")
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = "little"
        if f"{prefix}byteorder" in members:
            byteorder = _member(path, archive, members[f"{prefix}byteorder"]).decode("ascii", "replace").strip()
            if byteorder not in ("little", "big"):
                raise format_error(path, f"byteorder record says {byteorder[:20]!r}, expected 'little' or 'big'")
        storages: dict[str, _Storage] = {}
        stream = io.BytesIO(_member(path, archive, members[pickles[0]]))
        state = _unpickle(stream, path, "data.pkl", lambda pid: _declare_storage(path, storages, pid, legacy=False))
        arrays = {}
        for key, storage in storages.items():
            info = members.get(f"{prefix}data/{key}")
            if info is None:
                raise format_error(path, f"storage {key!r} has no record data/{key} in the archive")
            expected = storage.numel * storage.dtype.itemsize
            if info.file_size != expected:
                raise format_error(path, f"storage {key!r} declares {storage.numel} {storage.dtype.name} elements "
                                         f"({expected} bytes) but its record holds {info.file_size} bytes")
            raw = _member(path, archive, info)
            if len(raw) != expected:
                raise format_error(path, f"storage {key!r} record holds {len(raw)} bytes, expected {expected}")
            dtype = storage.dtype.newbyteorder("<" if byteorder == "little" else ">")
            arrays[key] = np.frombuffer(raw, dtype=dtype)
    return _unwrap(path, state, arrays)


def _refuse_storage(pid: Any) -> None:
    raise UnsafePickleError(f"unexpected storage reference {str(pid)[:80]} in a file header")


def _read_legacy(path: Path) -> dict[str, np.ndarray]:
    """The pre-zip layout: magic, protocol, sys info, the state pickle, storage keys, raw storages."""
    data = path.read_bytes()
    stream = io.BytesIO(data)
    # Not a zip archive: the legacy layout, or not a PyTorch file at all (an HTML error page, ...).
    if _unpickle(stream, path, "its legacy-layout header (it is not a zip archive)", _refuse_storage) != LEGACY_MAGIC:
        raise format_error(path, "is not a PyTorch weights file (neither a zip archive nor the legacy layout's "
                                 "magic number)")
    _unpickle(stream, path, "protocol version", _refuse_storage)
    _unpickle(stream, path, "system info", _refuse_storage)
    storages: dict[str, _Storage] = {}
    state = _unpickle(stream, path, "state", lambda pid: _declare_storage(path, storages, pid, legacy=True))
    keys = _unpickle(stream, path, "storage keys", _refuse_storage)
    if not (isinstance(keys, list) and all(isinstance(key, str) for key in keys)):
        raise format_error(path, f"its storage keys are {a_type(keys)}, not a list of strings")
    arrays: dict[str, np.ndarray] = {}
    for key in keys:
        storage = storages.get(key)
        if storage is None or key in arrays:
            raise format_error(path, f"storage {key[:40]!r} is listed {'twice' if storage else 'but never declared'}")
        header = stream.read(8)
        if len(header) != 8:
            raise format_error(path, f"is truncated: storage {key!r} has no length record")
        (numel,) = struct.unpack("<q", header)
        if numel != storage.numel:
            raise format_error(path, f"storage {key!r} records {numel} elements but is declared with {storage.numel}")
        start, nbytes = stream.tell(), numel * storage.dtype.itemsize
        if start + nbytes > len(data):
            raise format_error(path, f"is truncated: storage {key!r} needs {nbytes} bytes at byte {start}, "
                                     f"the file has {len(data) - start}")
        arrays[key] = np.frombuffer(data, dtype=storage.dtype.newbyteorder("<"), count=numel, offset=start)
        stream.seek(start + nbytes)
    return _unwrap(path, state, arrays)


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """``{parameter name: array}`` from a ``.pth`` file, refusing any non-tensor code and any tensor
    that does not fit its storage (``WeightsFormatError``)."""
    path = Path(path)
    check_file(path, "PyTorch weights")
    is_zip = False
    try:
        is_zip = zipfile.is_zipfile(path)  # raises BadZipFile itself on some damaged end records
        return _read_zip(path) if is_zip else _read_legacy(path)
    except WeightsMismatchError:
        raise
    except PARSE_ERRORS as error:
        raise parse_failure(path, error, "the zip archive" if is_zip else "the file") from None


def convert(path: Path, spec: "ModelSpec", entry: "WeightsEntry | None" = None) -> dict[str, list[np.ndarray]]:
    return state_dict_layer_weights(path, read_state_dict(path), spec, entry)
