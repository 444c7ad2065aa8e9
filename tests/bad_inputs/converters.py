"""Hostile and damaged weights files, one per row: each converter (called as the loader calls it,
``convert(path, spec, entry)``) refuses the file with a zoo error naming the file and the bad record.

Files are written into ``ctx.tmp`` inside the call; the ``.pth`` files are written opcode by opcode
(tests/hostile_weights.py) so a tensor can claim any size, stride or offset.
"""

from __future__ import annotations

import hashlib
import struct
import types
import zipfile
from pathlib import Path
from typing import Any, Callable

import h5py
import numpy as np

import zoo
from tests.bad_inputs import Case, Context, load_with_extra_tag
from tests.hostile_weights import Tensor, one_tensor_pth, safetensors_file, write_pth
from zoo.hub.convert import converter_for

RESNET = types.SimpleNamespace(family="resnet", name="resnet18", config={})
F32x4 = {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}


def converting(fmt: str, make: Callable[[Path], Path], name: str) -> Callable[[Context], Any]:
    """Write the file with ``make(path)``, then convert it as the loader would."""

    def call(ctx: Context):
        path = make(ctx.tmp / name)
        return converter_for(fmt)(path, RESNET, {})

    return call


def raw(data: bytes) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return make


def pth(**view) -> Callable[[Path], Path]:
    return lambda path: one_tensor_pth(path, storage_numel=4, **view)


def pth_value(value: bytes, legacy: bool = False) -> Callable[[Path], Path]:
    """A state dict whose ``fc.bias`` is raw pickle opcodes instead of a tensor."""
    return lambda path: write_pth(path, [Tensor("fc.weight", "0", (4,))], {"0": np.zeros(4, "float32")},
                                  legacy=legacy, values={"fc.bias": value})


def truncated_legacy(path: Path) -> Path:
    one_tensor_pth(path, storage_numel=4, size=(4,), legacy=True)
    path.write_bytes(path.read_bytes()[:-6])
    return path


def zip_with_short_storage(path: Path) -> Path:
    valid = one_tensor_pth(path.with_suffix(".ok.pth"), storage_numel=4, size=(4,))
    with zipfile.ZipFile(valid) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            target.writestr(name, source.read(name)[:8] if name.endswith("data/0") else source.read(name))
    return path


def keras_h5(edit: Callable[[h5py.File], None]) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        with h5py.File(path, "w") as handle:
            handle.attrs["layer_names"] = np.array([b"conv1"])
            group = handle.create_group("conv1")
            group.attrs["weight_names"] = np.array([b"conv1/kernel:0"])
            group.create_dataset("conv1/kernel:0", data=np.ones((3, 3, 1, 2), "float32"))
            edit(handle)
        return path

    return make


def replace_with_dataset(name: str, data) -> Callable[[h5py.File], None]:
    def edit(handle: h5py.File) -> None:
        del handle[name]
        handle.create_dataset(name, data=data)

    return edit


def zoo_h5(path: Path) -> Path:
    with h5py.File(path, "w") as handle:
        handle.attrs["format"] = "zoo-layer-weights-1"
        handle.create_group("dense").create_dataset("0", data=np.array([b"not", b"numbers"]))
    return path


def registered_and_loaded(ctx: Context):
    """Through the public path: a bundled entry declared in a ZOO_MANIFEST file, then ``zoo.load``."""
    path = one_tensor_pth(ctx.tmp / "registered-heap.pth", storage_numel=4, size=(4096,))
    return load_with_extra_tag(ctx, "hostile", {
        "source": {"bundled": str(path)}, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "format": "torch_pth", "license": "test", "config": {"variant": "v1.5"}}, input_shape=(32, 32, 3))


FORMAT = zoo.WeightsFormatError

CASES = [
    Case("convert-pth-storage-smaller-than-tensor", converting("torch_pth", pth(size=(4096,)), "heap.pth"),
         FORMAT, ("heap.pth", "tensor 'fc.weight'", "storage '0'", "out of range", "holds 4 float32 elements"), 3),
    Case("convert-pth-huge-stride", converting("torch_pth", pth(size=(4, 4), stride=(1 << 20, 1)), "stride.pth"),
         FORMAT, ("tensor 'fc.weight'", "stride (1048576, 1)", "reaches element 3145731", "out of range"), 3),
    Case("convert-pth-negative-offset",
         converting("torch_pth", pth(size=(2,), offset=-8, legacy=True), "offset.pth"),
         FORMAT, ("tensor 'fc.weight'", "offset -8", "not an integer from 0"), 3),
    Case("convert-pth-negative-stride", converting("torch_pth", pth(size=(2,), stride=(-1,)), "negstride.pth"),
         FORMAT, ("tensor 'fc.weight'", "stride (-1,)", "not a tuple of integers"), 3),
    Case("convert-pth-legacy-huge-size",
         converting("torch_pth", pth(size=(1 << 40,), legacy=True), "legacy-size.pth"),
         FORMAT, ("tensor 'fc.weight'", "size (1099511627776,)", "out of range", "storage '0'"), 3),
    Case("convert-pth-legacy-truncated", converting("torch_pth", truncated_legacy, "truncated.pth"),
         FORMAT, ("truncated.pth", "is truncated", "storage '0'", "needs 16 bytes"), 3),
    Case("convert-pth-zip-storage-record-short", converting("torch_pth", zip_with_short_storage, "short.pth"),
         FORMAT, ("storage '0'", "declares 4 float32 elements (16 bytes)", "holds 8 bytes"), 3),
    Case("convert-pth-value-is-an-int", converting("torch_pth", pth_value(b"K\x05"), "int.pth"),
         FORMAT, ("entry 'fc.bias'", "is an int, not a tensor"), 3),
    Case("convert-pth-legacy-value-is-a-dict", converting("torch_pth", pth_value(b"}", legacy=True), "dict.pth"),
         FORMAT, ("entry 'fc.bias'", "is a dict, not a tensor"), 3),
    Case("convert-pth-nesting-bomb",
         converting("torch_pth", lambda p: write_pth(p, [], {}, values={"x": b"N" + b"\x85" * 5000}), "deep.pth"),
         FORMAT, ("deep.pth", "nest deeper than 100 levels"), 3),
    Case("convert-pth-empty-file", converting("torch_pth", raw(b""), "empty.pth"),
         FORMAT, ("empty.pth", "is empty", "not a PyTorch weights file"), 3),
    Case("convert-pth-html-error-page", converting("torch_pth", raw(b"<html>503</html>"), "page.pth"),
         FORMAT, ("page.pth", "cannot be read", "fetch it again"), 3),
    Case("convert-safetensors-bad-json",
         converting("safetensors", lambda p: safetensors_file(p, None, header_bytes=b"{oops"), "json.safetensors"),
         FORMAT, ("json.safetensors", "header is not valid JSON"), 3),
    Case("convert-safetensors-offsets-out-of-range",
         converting("safetensors", lambda p: safetensors_file(p, {"fc.weight": {**F32x4, "data_offsets": [0, 4096]}},
                                                              bytes(16)), "range.safetensors"),
         FORMAT, ("tensor 'fc.weight'", "data_offsets [0, 4096]", "out of range", "16 data bytes"), 3),
    Case("convert-safetensors-overlap",
         converting("safetensors", lambda p: safetensors_file(p, {"a": F32x4, "b": {**F32x4, "data_offsets": [4, 20]}},
                                                              bytes(20)), "overlap.safetensors"),
         FORMAT, ("tensor 'b'", "overlaps tensor 'a'"), 3),
    Case("convert-safetensors-unknown-dtype",
         converting("safetensors", lambda p: safetensors_file(p, {"a": {**F32x4, "dtype": "F128"}}, bytes(16)),
                    "dtype.safetensors"),
         FORMAT, ("tensor 'a'", "dtype 'F128'", "is not one of"), 3),
    Case("convert-safetensors-header-longer-than-file",
         converting("safetensors", raw(struct.pack("<Q", 1 << 40) + b"{}"), "length.safetensors"),
         FORMAT, ("declares a 1099511627776-byte header", "truncated"), 3),
    Case("convert-keras-h5-missing-layer-names",
         converting("keras_h5_legacy", keras_h5(lambda h: h.attrs.__delitem__("layer_names")), "names.h5"),
         FORMAT, ("names.h5", "no 'layer_names' attribute"), 3),
    Case("convert-keras-h5-dataset-where-group-expected",
         converting("keras_h5_legacy", keras_h5(replace_with_dataset("conv1", np.ones(3))), "group.h5"),
         FORMAT, ("layer group 'conv1'", "is a dataset, expected a group"), 3),
    Case("convert-keras-h5-external-link",
         converting("keras_h5_legacy",
                    keras_h5(lambda h: h.__setitem__("elsewhere", h5py.ExternalLink("/etc/passwd", "/"))), "ext.h5"),
         FORMAT, ("'elsewhere'", "external link"), 3),
    Case("convert-zoo-h5-non-numeric-data", converting("zoo_layer_weights", zoo_h5, "strings.h5"),
         FORMAT, ("strings.h5", "/dense/0", "not numbers"), 3),
    Case("convert-zoo-h5-not-hdf5", converting("zoo_layer_weights", raw(b"PK\x03\x04zip"), "zip.h5"),
         FORMAT, ("zip.h5", "is not an HDF5 file"), 3),
    Case("convert-registered-weights-through-zoo-load", registered_and_loaded,
         FORMAT, ("registered-heap.pth", "tensor 'fc.weight'", "out of range"), 20),
]
