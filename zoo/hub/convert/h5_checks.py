"""Reading HDF5 weights files (Keras' and zoo's) as untrusted input.

``open_h5`` refuses a file that is not HDF5 or that links outside itself (an
external link, or a dataset whose data lives in another file, could make a
weights file read any file on the machine), and turns h5py's own errors on
damaged data into ``WeightsFormatError``. ``group``, ``dataset_array`` and
``name_list`` check each object is what the layout says before reading it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import h5py
import numpy as np

from zoo.hub.convert.file_checks import (NUMERIC_KINDS, PARSE_ERRORS, a_type, check_file, format_error,
                                         parse_failure)
from zoo.hub.errors import WeightsMismatchError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# Deflate expands at most ~1032x; a filtered dataset claiming more than this per stored byte is lying.
MAX_FILTER_RATIO = 1100
# Attribute types zoo reads: text and numbers. Reading others (variable-length sequences, references)
# from a damaged file can crash libhdf5 itself, so an attribute's type is checked before its value.
READABLE_ATTRIBUTE_CLASSES = (h5py.h5t.STRING, h5py.h5t.INTEGER, h5py.h5t.FLOAT)
LINK_KINDS = {h5py.h5l.TYPE_EXTERNAL: "an external", h5py.h5l.TYPE_SOFT: "a soft"}


def _kind(obj: Any) -> str:
    return "a group" if isinstance(obj, h5py.Group) else "a dataset" if isinstance(obj, h5py.Dataset) else a_type(obj)


def _is_hdf5(source: Path | BinaryIO) -> bool:
    if isinstance(source, Path):
        return h5py.is_hdf5(source)
    start = source.tell()
    signature = source.read(len(HDF5_SIGNATURE))
    source.seek(start)
    return signature == HDF5_SIGNATURE


def display_name(source: str | Path | BinaryIO, kind: str) -> str | Path:
    """What messages call the file: its path, or the file object's name."""
    if isinstance(source, (str, Path)):
        return Path(source)
    return getattr(source, "name", None) or f"<in-memory {kind} file>"


@contextlib.contextmanager
def open_h5(source: str | Path | BinaryIO, kind: str) -> Iterator[h5py.File]:
    """The file (a path, or a binary file object such as ``io.BytesIO``), open for reading,
    once it proves to be self-contained HDF5."""
    if isinstance(source, (str, Path)):
        source = Path(source)
        check_file(source, kind)
    path = display_name(source, kind)
    if not _is_hdf5(source):
        raise format_error(path, f"is not an HDF5 file, so not a {kind} file")
    try:
        with h5py.File(source, "r") as handle:
            for name, link_type in _links(handle):
                if link_type != h5py.h5l.TYPE_HARD:
                    link = LINK_KINDS.get(link_type, "a user-defined")
                    raise format_error(path, f"{name!r} is {link} link; a weights file must hold its objects itself")
            yield handle
    except WeightsMismatchError:
        raise
    except PARSE_ERRORS as error:
        raise parse_failure(path, error, "its HDF5 structure") from None


def _links(handle: h5py.File) -> list[tuple[str, int]]:
    """Every link in the file and its type, names as text (raw bytes: a name need not be valid UTF-8)."""
    found: list[tuple[str, int]] = []
    handle.id.links.visit(lambda name, info: found.append((name.decode("utf-8", "replace"), info.type)), info=True)
    return found


def group(path: Path, parent: h5py.Group, name: str, what: str) -> h5py.Group:
    obj = parent.get(name)
    if obj is None:
        raise format_error(path, f"has no {what} {name!r}")
    if not isinstance(obj, h5py.Group):
        raise format_error(path, f"{what} {name!r} is {_kind(obj)}, expected a group")
    return obj


def dataset_array(path: Path, parent: h5py.Group, name: str, what: str) -> np.ndarray:
    """The numbers in dataset ``name``, once its declared size fits the bytes the file stores for it."""
    obj = parent.get(name)
    where = f"{what} {parent.name.rstrip('/')}/{name}"
    if obj is None:
        raise format_error(path, f"has no {where}")
    if not isinstance(obj, h5py.Dataset):
        raise format_error(path, f"{where} is {_kind(obj)}, expected a dataset of numbers")
    return np.asarray(check_dataset(path, obj, where)[()])


def check_dataset(path: Path, obj: h5py.Dataset, where: str) -> h5py.Dataset:
    """``obj``, once it proves to hold numbers, in this file, no more than the file stores for it."""
    if obj.shape is None:
        raise format_error(path, f"{where} has no dataspace (an empty HDF5 dataset), expected numbers")
    if obj.dtype.kind not in NUMERIC_KINDS:
        raise format_error(path, f"{where} holds {obj.dtype} data, not numbers")
    if obj.external or obj.is_virtual:
        raise format_error(path, f"{where} keeps its data in other files; a weights file must hold its data itself")
    declared = int(np.prod(obj.shape, dtype=object)) * obj.dtype.itemsize
    stored = obj.id.get_storage_size()
    filtered = obj.id.get_create_plist().get_nfilters() > 0
    if declared > stored * (MAX_FILTER_RATIO if filtered else 1):
        raise format_error(path, f"{where} declares shape {obj.shape} of {obj.dtype} ({declared} bytes), "
                                 f"but the file stores {stored} bytes for it")
    return obj


def check_all_objects(path: Path, handle: h5py.File) -> None:
    """Every dataset and attribute in the file checked (for files a library reads, not zoo)."""
    found: list[tuple[str, Any]] = [("", handle)]
    handle.visititems(lambda name, obj: found.append((name, obj)))
    for name, obj in found:
        for key in obj.attrs:
            _check_attribute_type(path, obj, key, f"/{name}")
        if isinstance(obj, h5py.Dataset):
            check_dataset(path, obj, f"dataset /{name}")


def attribute(path: Path, obj: h5py.Group, key: str, where: str) -> Any:
    """Attribute ``key`` of ``obj`` (None if absent), read only if it holds text or numbers."""
    if key not in obj.attrs:
        return None
    _check_attribute_type(path, obj, key, where)
    return obj.attrs[key]


def _check_attribute_type(path: Path, obj: h5py.HLObject, key: str, where: str) -> None:
    type_class = h5py.h5a.open(obj.id, key.encode()).get_type().get_class()
    if type_class not in READABLE_ATTRIBUTE_CLASSES:
        raise format_error(path, f"{where} attribute {key!r} is of HDF5 type class {type_class}, "
                                 f"expected text or numbers")


def name_list(path: Path, obj: h5py.Group, key: str, where: str) -> list[str] | None:
    """A list-of-names attribute (Keras splits long ones into ``key0``, ``key1``, ...); None if absent."""
    if key in obj.attrs:
        values = [attribute(path, obj, key, where)]
    elif f"{key}0" in obj.attrs:
        values, chunk = [], 0
        while f"{key}{chunk}" in obj.attrs:
            values.append(attribute(path, obj, f"{key}{chunk}", where))
            chunk += 1
    else:
        return None
    names = []
    for value in values:
        if not isinstance(value, np.ndarray) or value.ndim != 1:
            raise format_error(path, f"{where} attribute {key!r} is {a_type(value)}, expected a list of names")
        for item in value.tolist() if value.size else []:
            if isinstance(item, bytes):
                item = item.decode("utf-8")  # a UnicodeDecodeError is reported by open_h5
            if not isinstance(item, str):
                raise format_error(path, f"{where} attribute {key!r} holds {a_type(item)}, expected names")
            names.append(item)
    return names
