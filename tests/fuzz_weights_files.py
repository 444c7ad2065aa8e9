"""Fuzz the weights readers: every mutated file must load sanely or raise a zoo error, never crash.

Run as a child process by tests/test_hostile_files.py (a crash kills only the child, and the parent
sees the signal): ``python -m tests.fuzz_weights_files SEED_DIR``. SEED_DIR holds ``zip.pth`` and
``legacy.pth`` written by torch.save from ``resnet_like_state()``; the other seeds are made here.
Hypothesis runs derandomized with a fixed budget, so every run tries the same files. Exit status
0 means every file either loaded (with no more memory than the file could describe) or was refused
with ``WeightsMismatchError``/``WeightsFormatError``; anything else is printed and exits 1.
"""

from __future__ import annotations

import io
import json
import resource
import struct
import sys
import tempfile
import types
import zipfile
from pathlib import Path

import h5py
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile_weights import Tensor, resnet_like_state, write_pth
from zoo.hub.convert import keras_h5_legacy, safetensors_state_dict, torch_pth, zoo_layer_weights
from zoo.hub.errors import WeightsFormatError, WeightsMismatchError
from zoo.hub.layer_weights import save_layer_weights

RESNET = types.SimpleNamespace(family="resnet", name="resnet18", config={})
WORK = Path(tempfile.gettempdir())  # set by run(): a folder inside SEED_DIR, removed with it
OUTCOMES = {"loaded": 0, "refused": 0}
MAX_RSS_MB = 1500  # the child holds a few KB files; anything near this is a memory bomb that got through


def peak_rss_mb() -> int:
    """This process's own peak RSS. Not getrusage's ru_maxrss: Linux carries that over from the
    parent across fork and exec, so a child of a big pytest worker would report the worker's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def fuzz_settings(examples: int):
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)


def load_or_refuse(reader, data: bytes, suffix: str):
    """Write ``data`` and read it: a sane result or a zoo error; other exceptions propagate."""
    path = WORK / f"case{suffix}"
    path.write_bytes(data)
    try:
        result = reader(path)
    except (WeightsMismatchError, WeightsFormatError):
        OUTCOMES["refused"] += 1
        return None
    arrays = [a for arrays in result.values() for a in (arrays if isinstance(arrays, list) else [arrays])]
    assert all(isinstance(a, np.ndarray) for a in arrays)
    # float32 output from at most int8/bool input: 4 bytes per stored byte, never more.
    assert sum(a.nbytes for a in arrays) <= 4 * len(data), "output larger than the file could describe"
    OUTCOMES["loaded"] += 1
    return result


def mutate(data: bytes, edits: list[tuple]) -> bytes:
    out = bytearray(data)
    for kind, position, value in edits:
        at = position % (len(out) + 1)
        if kind == "flip" and out:
            out[at % len(out)] ^= value % 255 + 1
        elif kind == "truncate":
            del out[at:]
        elif kind == "insert":
            out[at:at] = value.to_bytes(8, "little")[: value % 8 + 1]
        elif kind == "delete":
            del out[at:at + value % 16 + 1]
    return bytes(out)


EDITS = st.lists(st.tuples(st.sampled_from(["flip", "flip", "truncate", "insert", "delete"]),
                           st.integers(0, 1 << 20), st.integers(0, 1 << 62)), min_size=1, max_size=4)


def rezip(data: bytes, edit_pickle) -> bytes:
    """The zip ``.pth`` with data.pkl rewritten (and CRCs correct, so the pickle parser sees it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            raw = source.read(info)
            target.writestr(info.filename, edit_pickle(raw) if info.filename.endswith("data.pkl") else raw)
    return out.getvalue()


def torch_reader(path: Path):
    return torch_pth.convert(path, RESNET, {})


def safetensors_reader(path: Path):
    return safetensors_state_dict.convert(path, RESNET, {})


def keras_reader(path: Path):
    return keras_h5_legacy.convert(path, RESNET, {})


def zoo_reader(path: Path):
    return zoo_layer_weights.convert(path, RESNET, {})


def seeds(seed_dir: Path) -> dict[str, bytes]:
    from safetensors.numpy import save

    state = resnet_like_state()
    found = {name: (seed_dir / name).read_bytes() for name in ("zip.pth", "legacy.pth")}
    found["safetensors"] = save(state)
    keras = WORK / "keras.h5"
    with h5py.File(keras, "w") as handle:
        handle.attrs["layer_names"] = np.array([b"conv1_conv", b"predictions", b"pool"])
        for layer, names in (("conv1_conv", ["conv1.weight"]), ("predictions", ["fc.weight", "fc.bias"]), ("pool", [])):
            group = handle.create_group(layer)
            group.attrs["weight_names"] = np.array([f"{layer}/{n}:0".encode() for n in names])
            for n in names:
                group.create_dataset(f"{layer}/{n}:0", data=state[n])
    found["keras.h5"] = keras.read_bytes()
    zoo_file = WORK / "zoo.h5"
    save_layer_weights({"conv1_conv": [state["conv1.weight"]], "predictions": [state["fc.weight"], state["fc.bias"]]},
                       zoo_file)
    found["zoo.h5"] = zoo_file.read_bytes()
    return found


# Sizes, strides and offsets: mostly small and plausible, sometimes negative or enormous.
NUMBER = st.one_of(st.integers(0, 6), st.integers(0, 6), st.integers(-3, 40),
                   st.sampled_from([1 << 20, 1 << 31, 1 << 50, 1 << 62, 1 << 70, -(1 << 63)]))


def expected_view(storage: np.ndarray, offset: int, size, stride):
    """What a correct reader returns for this view, or None if it must refuse it."""
    values = (offset, *size, *stride)
    if not all(0 <= v <= 1 << 50 for v in values):
        return None
    numel = int(np.prod(size, dtype=object))
    if numel == 0:
        fits = offset <= storage.size and np.prod([n for n in size if n], dtype=object) <= 1 << 50
        return np.zeros(size, storage.dtype) if fits else None
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size or numel > storage.size:
        return None
    index = offset + sum(np.indices(size)[axis] * stride[axis] for axis in range(len(size)))
    return storage[index]


def run(seed_dir: Path) -> None:
    global WORK
    WORK = seed_dir / "fuzzed"
    WORK.mkdir(exist_ok=True)
    files = seeds(seed_dir)

    @fuzz_settings(70)
    @given(EDITS)
    def zip_bytes(edits):
        load_or_refuse(torch_reader, mutate(files["zip.pth"], edits), ".pth")

    @fuzz_settings(90)
    @given(EDITS)
    def zip_pickle(edits):
        load_or_refuse(torch_reader, rezip(files["zip.pth"], lambda raw: mutate(raw, edits)), ".pth")

    @fuzz_settings(90)
    @given(EDITS)
    def legacy_bytes(edits):
        load_or_refuse(torch_reader, mutate(files["legacy.pth"], edits), ".pth")

    @fuzz_settings(120)
    @given(legacy=st.booleans(), numel=st.integers(0, 40), offset=NUMBER,
           dims=st.lists(st.tuples(NUMBER, NUMBER), max_size=3))
    def views(legacy, numel, offset, dims):
        size, stride = tuple(d[0] for d in dims), tuple(d[1] for d in dims)
        storage = np.arange(numel, dtype="float32") + 1
        path = write_pth(WORK / "view.pth", [Tensor("fc.weight", "0", size, stride, offset)], {"0": storage},
                         legacy=legacy)
        result = load_or_refuse(torch_pth.read_state_dict, path.read_bytes(), ".pth")
        expected = expected_view(storage, offset, size, stride)
        if expected is None:
            assert result is None, f"accepted size {size} stride {stride} offset {offset} over {numel} elements"
        else:
            assert result is not None, f"refused a valid view: size {size} stride {stride} offset {offset}"
            np.testing.assert_array_equal(result["fc.weight"], expected)

    @fuzz_settings(50)
    @given(EDITS)
    def safetensors_bytes(edits):
        load_or_refuse(safetensors_reader, mutate(files["safetensors"], edits), ".safetensors")

    @fuzz_settings(60)
    @given(name=st.sampled_from(sorted(resnet_like_state())), field=st.sampled_from(["dtype", "shape", "data_offsets"]),
           value=st.one_of(NUMBER, st.lists(NUMBER, max_size=3), st.sampled_from(["F32", "F16", "I8", "BF16", "x"]),
                           st.none()))
    def safetensors_header(name, field, value):
        data = files["safetensors"]
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + length])
        header[name][field] = value
        raw = json.dumps(header).encode()
        load_or_refuse(safetensors_reader, struct.pack("<Q", len(raw)) + raw + data[8 + length:], ".safetensors")

    @fuzz_settings(50)
    @given(EDITS)
    def keras_h5_bytes(edits):
        load_or_refuse(keras_reader, mutate(files["keras.h5"], edits), ".h5")

    @fuzz_settings(40)
    @given(EDITS)
    def zoo_h5_bytes(edits):
        load_or_refuse(zoo_reader, mutate(files["zoo.h5"], edits), ".h5")

    for check in (zip_bytes, zip_pickle, legacy_bytes, views, safetensors_bytes, safetensors_header,
                  keras_h5_bytes, zoo_h5_bytes):
        check()
    peak_mb = peak_rss_mb()
    assert peak_mb < MAX_RSS_MB, f"peak memory {peak_mb} MB: a file made a reader allocate far beyond its size"
    print(f"fuzzed {sum(OUTCOMES.values())} files: {OUTCOMES['loaded']} loaded, {OUTCOMES['refused']} refused "
          f"with a zoo error; peak memory {peak_mb} MB")


if __name__ == "__main__":
    run(Path(sys.argv[1]))
