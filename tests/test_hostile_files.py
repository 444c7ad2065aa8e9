"""Hostile and damaged weights files (issue #16): every converter refuses them with a zoo error naming
the file and the bad record, before any byte becomes a tensor; none reads stray memory or crashes.

The ``.pth`` files here are written opcode by opcode (tests/hostile_weights.py), so a tensor can claim
any size, stride or offset; files that used to kill the process are read in a child process.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import struct
import subprocess
import sys
import types
import zipfile

import h5py
import numpy as np
import pytest

import zoo
from tests.hostile_weights import (Tensor, one_tensor_pth, pth_from_state, resnet_like_state, safetensors_file,
                                   write_pth)
from zoo.hub.convert import converter_for
from zoo.hub.convert.safetensors_state_dict import read_tensors
from zoo.hub.convert.torch_pth import read_state_dict
from zoo.hub.layer_weights import read_layer_weights, save_layer_weights

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESNET = types.SimpleNamespace(family="resnet", name="resnet18", config={})
LAYOUTS = pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])


def child_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")


# --- .pth: tensors that do not fit their storage --------------------------------------------------


@LAYOUTS
def test_a_tensor_larger_than_its_storage_is_refused_not_read_from_the_heap(tmp_path, legacy):
    # Before: 16 KB of process heap came back as the tensor's values.
    path = one_tensor_pth(tmp_path / "heap.pth", storage_numel=4, size=(4096,), legacy=legacy)
    with pytest.raises(zoo.WeightsFormatError) as raised:
        read_state_dict(path)
    message = str(raised.value)
    for words in (str(path), "tensor 'fc.weight'", "size (4096,)", "element 4095", "out of range",
                  "storage '0'", "holds 4 float32 elements"):
        assert words in message, message


CRASHERS = """
import sys
from tests.hostile_weights import one_tensor_pth
from zoo.hub.convert.torch_pth import read_state_dict
import pathlib, zipfile
tmp = pathlib.Path(sys.argv[1])
for legacy in (False, True):
    for label, size, stride in (("stride", (4, 4), (1 << 20, 1)), ("size", (1 << 40,), (1,))):
        path = one_tensor_pth(tmp / f"{label}-{legacy}.pth", storage_numel=4, size=size, stride=stride, legacy=legacy)
        try:
            read_state_dict(path)
            print("LOADED", label, legacy)
        except Exception as error:
            print(type(error).__name__, error)
# A tuple nested two million deep, used as a dict key: CPython's hash recursion overflows the C stack.
bomb = tmp / "nested.pth"
with zipfile.ZipFile(bomb, "w") as archive:
    archive.writestr("archive/data.pkl", b"\\x80\\x02}N" + b"\\x85" * 2_000_000 + b"Ns.")
try:
    read_state_dict(bomb)
    print("LOADED nested")
except Exception as error:
    print(type(error).__name__, error)
"""


def test_files_that_crashed_the_process_are_refused_in_a_child_that_survives(tmp_path):
    # Before: stride 1 << 20 over a 4-float storage killed the process with SIGSEGV.
    done = subprocess.run([sys.executable, "-c", CRASHERS, str(tmp_path)], cwd=ROOT, env=child_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode >= 0, f"killed by signal {-done.returncode}:\n{done.stderr[-2000:]}"
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 5 and all(line.startswith("WeightsFormatError") for line in lines), done.stdout
    assert "stride (1048576, 1)" in lines[0] and "reaches element 3145731" in lines[0] and "fc.weight" in lines[0]
    assert "size (1099511627776,)" in lines[1] and "reaches element 1099511627775, out of range" in lines[1]
    assert "nest deeper than 100 levels" in lines[4]


@LAYOUTS
@pytest.mark.parametrize("field, view, words", [
    ("offset", dict(size=(2,), offset=-1), "offset -1 is not an integer from 0"),
    ("size", dict(size=(-2, 2)), "size (-2, 2) is not a tuple of integers from 0"),
    ("stride", dict(size=(2,), stride=(-1,)), "stride (-1,) is not a tuple of integers from 0"),
    ("offset past the end", dict(size=(2,), offset=3), "reaches element 4, out of range"),
    ("broadcast", dict(size=(1000, 1000), stride=(0, 0)), "1000000 elements, more than its storage"),
    ("rank", dict(size=(2, 2), stride=(1,)), "must be tuples of the same length"),
])
def test_negative_or_inconsistent_views_are_refused(tmp_path, legacy, field, view, words):
    path = one_tensor_pth(tmp_path / "view.pth", storage_numel=4, legacy=legacy, **view)
    with pytest.raises(zoo.WeightsFormatError, match="tensor 'fc.weight'") as raised:
        read_state_dict(path)
    assert words in str(raised.value)


@LAYOUTS
def test_every_valid_view_reads_exactly_the_elements_it_names(tmp_path, legacy):
    storage = np.arange(1, 25, dtype="float32")
    views = [Tensor("transposed", "0", (4, 6), (1, 4)), Tensor("slice", "0", (3,), (2,), offset=5),
             Tensor("scalar", "0", (), (), offset=7), Tensor("empty", "0", (0, 3), (3, 1), offset=24),
             Tensor("last", "0", (2, 2), (12, 10), offset=1)]  # reaches index 23, the storage's last
    got = read_state_dict(write_pth(tmp_path / "views.pth", views, {"0": storage}, legacy=legacy))
    np.testing.assert_array_equal(got["transposed"], storage.reshape(6, 4).T)
    np.testing.assert_array_equal(got["slice"], [6, 8, 10])
    assert got["scalar"].shape == () and got["scalar"] == 8
    assert got["empty"].shape == (0, 3)
    np.testing.assert_array_equal(got["last"], [[2, 12], [14, 24]])


def test_torch_saved_files_read_exactly_as_torch_holds_them(tmp_path):
    torch = pytest.importorskip("torch")
    base = torch.arange(30, dtype=torch.float32)
    state = {"t": base[:12].reshape(3, 4).t(), "s": torch.tensor(2.5), "e": torch.zeros(0, 3),
             "h": torch.arange(6, dtype=torch.float16), "v": base[2:7], "n": torch.tensor(7),
             "b": torch.tensor([True, False])}
    for legacy in (False, True):
        path = tmp_path / f"torch-{legacy}.pth"
        torch.save(state, path, _use_new_zipfile_serialization=not legacy)
        got = read_state_dict(path)
        for name, tensor in state.items():
            assert got[name].dtype == tensor.numpy().dtype and got[name].shape == tuple(tensor.shape), name
            np.testing.assert_array_equal(got[name], tensor.numpy())


# --- .pth: storage records that lie ---------------------------------------------------------------


def test_zip_storage_record_shorter_than_declared(tmp_path):
    path = tmp_path / "short.pth"
    one_tensor_pth(path, storage_numel=4, size=(4,))
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["archive/data/0"] = members["archive/data/0"][:10]
    with zipfile.ZipFile(path, "w") as archive:
        for name, raw in members.items():
            archive.writestr(name, raw)
    with pytest.raises(zoo.WeightsFormatError, match=r"storage '0' declares 4 float32 elements \(16 bytes\) "
                                                     r"but its record holds 10 bytes"):
        read_state_dict(path)


def test_zip_without_a_storage_record(tmp_path):
    valid = write_pth(tmp_path / "ok.pth", [Tensor("fc.weight", "0", (4,))], {"0": np.zeros(4, "float32")})
    with zipfile.ZipFile(valid) as archive:
        data_pkl = archive.read("archive/data.pkl")
    path = tmp_path / "nodata.pth"
    with zipfile.ZipFile(path, "w") as archive:  # the pickle alone, without data/0
        archive.writestr("archive/data.pkl", data_pkl)
    with pytest.raises(zoo.WeightsFormatError, match="storage '0' has no record data/0"):
        read_state_dict(path)


def test_legacy_storage_length_record_that_disagrees_with_the_pickle(tmp_path):
    path = one_tensor_pth(tmp_path / "legacy.pth", storage_numel=4, size=(4,), legacy=True)
    data = bytearray(path.read_bytes())
    at = len(data) - 16 - 8  # the int64 element count before the 4 float32s
    assert struct.unpack("<q", data[at:at + 8]) == (4,)
    data[at:at + 8] = struct.pack("<q", 1 << 40)
    path.write_bytes(bytes(data))
    with pytest.raises(zoo.WeightsFormatError, match="storage '0' records 1099511627776 elements but is declared "
                                                     "with 4"):
        read_state_dict(path)


def test_legacy_file_truncated_inside_a_storage(tmp_path):
    path = one_tensor_pth(tmp_path / "legacy.pth", storage_numel=4, size=(4,), legacy=True)
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(zoo.WeightsFormatError, match="is truncated: storage '0' needs 16 bytes"):
        read_state_dict(path)


def test_memo_index_bomb_is_refused_before_unpickling(tmp_path):
    # CPython's unpickler grows its memo to any index a LONG_BINPUT names (2**28 here: 2 GB, touched).
    path = tmp_path / "memo.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}r\x00\x00\x00\x10.")
    with pytest.raises(zoo.WeightsFormatError, match="memo index 268435456 at byte 3 is out of range"):
        read_state_dict(path)


@LAYOUTS
@pytest.mark.parametrize("value, found", [
    (b"K\x05", "is an int, not a tensor"),
    (b"X\x03\x00\x00\x00abc", "is a str, not a tensor"),
    (b"}", "is a dict, not a tensor"),
    (b"N", "is a NoneType, not a tensor"),
])
def test_state_dict_values_that_are_not_tensors(tmp_path, legacy, value, found):
    path = write_pth(tmp_path / "values.pth", [Tensor("fc.weight", "0", (4,))], {"0": np.zeros(4, "float32")},
                     legacy=legacy, values={"fc.bias": value})
    with pytest.raises(zoo.WeightsFormatError, match=f"entry 'fc.bias' {found}"):
        read_state_dict(path)


@pytest.mark.parametrize("data, words", [
    (b"", "is empty, not a PyTorch weights file"),
    (b"<html>503 Service Unavailable</html>", "cannot be read"),
    (b"\x89PNG\r\n\x1a\n" + bytes(40), "cannot be read"),
    (b"PK\x05\x06" + bytes(18), "0 data.pkl records"),
])
def test_files_that_are_not_pth_at_all(tmp_path, data, words):
    path = tmp_path / "not.pth"
    path.write_bytes(data)
    with pytest.raises(zoo.WeightsFormatError, match=words):
        converter_for("torch_pth")(path, RESNET)


def test_non_tensor_code_is_still_refused(tmp_path):
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00trueR.")
    with pytest.raises(zoo.WeightsFormatError, match="refusing to load posix.system"):
        read_state_dict(path)


# --- safetensors ----------------------------------------------------------------------------------

F32x4 = {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}


@pytest.mark.parametrize("header, data, words", [
    (None, b"", "header is not valid JSON"),
    ({"a": {**F32x4, "data_offsets": [0, 64]}}, bytes(16),
     "tensor 'a': data_offsets [0, 64] are out of range of the 16 data bytes"),
    ({"a": F32x4, "b": {**F32x4, "data_offsets": [8, 24]}}, bytes(24),
     "tensor 'b': data_offsets [8, 24] overlaps tensor 'a'"),
    ({"a": {**F32x4, "dtype": "Q8"}}, bytes(16), "dtype 'Q8' is not one of"),
    ({"a": {**F32x4, "shape": [5]}}, bytes(16), "shape [5] of F32 needs 20 bytes"),
    ({"a": {**F32x4, "shape": [-4]}}, bytes(16), "shape [-4] is not a list of non-negative integers"),
    ({"a": F32x4}, bytes(20), "cover 16 of the 20 data bytes"),
    ({"a": {"dtype": "F32"}}, b"", "must be an object with exactly"),
    ([1, 2], b"", "header is a list, not a JSON object"),
])
def test_safetensors_header_lies(tmp_path, header, data, words):
    raw = b"{not json" if header is None else None
    path = safetensors_file(tmp_path / "lie.safetensors", header, data, header_bytes=raw)
    with pytest.raises(zoo.WeightsFormatError) as raised:
        converter_for("safetensors")(path, RESNET)
    assert words in str(raised.value) and str(path) in str(raised.value)


def test_safetensors_length_prefix_and_duplicates(tmp_path):
    path = tmp_path / "big.safetensors"
    path.write_bytes(struct.pack("<Q", 1 << 60) + b"{}")
    with pytest.raises(zoo.WeightsFormatError, match="declares a 1152921504606846976-byte header"):
        read_tensors(path)
    entry = json.dumps(F32x4)
    path = safetensors_file(tmp_path / "twice.safetensors", None, bytes(16),
                            header_bytes=f'{{"a": {entry}, "a": {entry}}}'.encode())
    with pytest.raises(zoo.WeightsFormatError, match="header names 'a' twice"):
        read_tensors(path)
    (tmp_path / "empty.safetensors").write_bytes(b"")
    with pytest.raises(zoo.WeightsFormatError, match="is empty"):
        read_tensors(tmp_path / "empty.safetensors")


def test_safetensors_reader_matches_the_safetensors_library(tmp_path):
    from safetensors.numpy import load_file, save_file

    state = {**resnet_like_state(), "half": np.arange(3, dtype="float16"), "flag": np.array([True, False]),
             "empty": np.zeros((0, 2), "float32"), "scalar": np.array(1.5, "float64")}
    save_file(state, str(tmp_path / "ok.safetensors"), metadata={"format": "pt"})
    ours, theirs = read_tensors(tmp_path / "ok.safetensors"), load_file(str(tmp_path / "ok.safetensors"))
    assert sorted(ours) == sorted(theirs)
    for name, array in theirs.items():
        assert ours[name].dtype == array.dtype and ours[name].shape == array.shape, name
        np.testing.assert_array_equal(ours[name], array)


# --- HDF5: Keras legacy, Keras 3 and zoo's own layer weights --------------------------------------


def keras_legacy_file(path: pathlib.Path, edit=None) -> pathlib.Path:
    with h5py.File(path, "w") as handle:
        handle.attrs["layer_names"] = np.array([b"conv1", b"flatten"])
        group = handle.create_group("conv1")
        group.attrs["weight_names"] = np.array([b"conv1/kernel:0", b"conv1/bias:0"])
        group.create_dataset("conv1/kernel:0", data=np.ones((3, 3, 1, 2), "float32"))
        group.create_dataset("conv1/bias:0", data=np.zeros(2, "float32"))
        handle.create_group("flatten").attrs["weight_names"] = np.array([], dtype="S1")
        if edit:
            edit(handle)
    return path


def test_keras_legacy_h5_reads_a_well_formed_file(tmp_path):
    weights = converter_for("keras_h5_legacy")(keras_legacy_file(tmp_path / "ok.h5"), RESNET)
    assert list(weights) == ["conv1"] and [a.shape for a in weights["conv1"]] == [(3, 3, 1, 2), (2,)]


def _replace(name, data):
    def edit(handle):
        del handle[name]
        handle.create_dataset(name, data=data)
    return edit


@pytest.mark.parametrize("edit, words", [
    (lambda h: h.attrs.__delitem__("layer_names"), "has no 'layer_names' attribute"),
    (_replace("conv1", np.ones(3)), "layer group 'conv1' is a dataset, expected a group"),
    (lambda h: h.__delitem__("conv1"), "has no layer group 'conv1'"),
    (_replace("conv1/conv1/bias:0", np.array([b"ab", b"cd"])), "conv1/conv1/bias:0 holds |S2 data, not numbers"),
    (lambda h: h.attrs.__setitem__("layer_names", np.array([1, 2])), "holds an int, expected names"),
    (lambda h: h["conv1"].__setitem__("conv1/extra", h5py.ExternalLink("/etc/passwd", "/x")),
     "'conv1/conv1/extra' is an external link"),
])
def test_keras_legacy_h5_with_the_wrong_structure(tmp_path, edit, words):
    path = keras_legacy_file(tmp_path / "bad.h5", edit)
    with pytest.raises(zoo.WeightsFormatError) as raised:
        converter_for("keras_h5_legacy")(path, RESNET)
    assert words in str(raised.value) and str(path) in str(raised.value)


def test_h5_dataset_declaring_more_data_than_the_file_stores(tmp_path):
    path = tmp_path / "nodata.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs["format"] = "zoo-layer-weights-1"
        handle.create_group("dense").create_dataset("0", shape=(1 << 30,), dtype="float32")  # never written
    with pytest.raises(zoo.WeightsFormatError, match=r"declares shape \(1073741824,\) of float32 \(4294967296 "
                                                     r"bytes\), but the file stores 0 bytes"):
        read_layer_weights(path)


@pytest.mark.parametrize("data, words", [
    (b"", "is empty"),
    (b"\x89HDF\r\n\x1a\n" + bytes(100), "HDF5 structure cannot be read"),
    (b"PK\x03\x04 a zip, not HDF5", "is not an HDF5 file"),
])
def test_h5_readers_refuse_files_that_are_not_hdf5(tmp_path, data, words):
    path = tmp_path / "not.h5"
    path.write_bytes(data)
    for fmt in ("keras_h5_legacy", "zoo_layer_weights", "keras_weights_h5"):
        with pytest.raises(zoo.WeightsFormatError, match=words):
            converter_for(fmt)(path, RESNET)


def test_zoo_layer_weights_structure(tmp_path):
    good = tmp_path / "ok.h5"
    save_layer_weights({"dense": [np.ones((2, 3), "float16"), np.zeros(3, "float32")]}, good)
    weights = converter_for("zoo_layer_weights")(good, RESNET)
    assert [a.dtype for a in weights["dense"]] == [np.float32, np.float32]
    with h5py.File(good, "a") as handle:
        handle["dense"].move("1", "7")
    with pytest.raises(zoo.WeightsFormatError, match=r"layer group 'dense' holds \['0', '7'\], expected datasets "
                                                     r"named 0 .. 1"):
        read_layer_weights(good)
    with h5py.File(good, "a") as handle:
        handle.attrs["format"] = "something-else"
    with pytest.raises(zoo.WeightsFormatError, match="not a zoo layer-weights file .* 'something-else'"):
        read_layer_weights(good)
    # A variable-length sequence where text belongs: when damaged, libhdf5 crashed reading one (SIGSEGV).
    with h5py.File(good, "a") as handle:
        sequences = np.empty(1, object)
        sequences[0] = np.arange(3, dtype=np.int32)
        handle.attrs.create("format", data=sequences, dtype=h5py.vlen_dtype(np.int32))
    with pytest.raises(zoo.WeightsFormatError, match="attribute 'format' is of HDF5 type class 9, expected text"):
        read_layer_weights(good)


def test_zoo_layer_weights_name_that_is_not_utf8(tmp_path):
    path = tmp_path / "names.h5"
    save_layer_weights({"dense": [np.ones(2, "float32")]}, path)
    with h5py.File(path, "a") as handle:
        handle.create_group(b"\xe3bad")
    with pytest.raises(zoo.WeightsFormatError, match=r"layer name b'\\xe3bad' is not UTF-8 text"):
        read_layer_weights(path)


# --- the fuzzer -----------------------------------------------------------------------------------


def test_fuzzed_files_load_or_raise_a_zoo_error_and_never_crash(tmp_path):
    """Byte flips, truncations, insertions and random size/stride/offset numbers over small valid
    .pth (both layouts), safetensors and HDF5 files, in one child process (a crash is a signal)."""
    torch = pytest.importorskip("torch")
    state = {name: torch.from_numpy(array) for name, array in resnet_like_state().items()}
    torch.save(state, tmp_path / "zip.pth")
    torch.save(state, tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    env = dict(child_env(), HYPOTHESIS_STORAGE_DIRECTORY=str(tmp_path / "hypothesis"))  # no cache in the tree
    done = subprocess.run([sys.executable, "-m", "tests.fuzz_weights_files", str(tmp_path)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode >= 0, f"fuzz child killed by signal {-done.returncode}:\n{done.stderr[-3000:]}"
    assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-5000:]
    summary = re.search(r"fuzzed (\d+) files: (\d+) loaded, (\d+) refused with a zoo error", done.stdout)
    assert summary and int(summary[1]) >= 500 and int(summary[2]) > 0 and int(summary[3]) > 0, done.stdout


def test_hand_made_pth_matches_its_state(tmp_path):
    state = resnet_like_state()
    for legacy in (False, True):
        got = read_state_dict(pth_from_state(tmp_path / f"r{legacy}.pth", state, legacy=legacy))
        for name, array in state.items():
            np.testing.assert_array_equal(got[name], array)
        weights = converter_for("torch_pth")(tmp_path / f"r{legacy}.pth", RESNET)
        np.testing.assert_array_equal(weights["predictions"][0], state["fc.weight"].T)
