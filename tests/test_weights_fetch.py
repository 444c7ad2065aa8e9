"""Fetching weights for real, from servers on 127.0.0.1: cache, mirrors, integrity, offline, concurrency."""

import hashlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import zoo
from tests import torch_reference as ref
from tests.servers import LocalServer
from tests.weights_helpers import entry, safetensors_bytes, use_manifest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHAPE = (32, 32, 3)
FILE = "resnet18-test.safetensors"
CLOSED_PORT_URL = "http://127.0.0.1:9/nothing-listens-here"


@pytest.fixture(scope="module")
def weights_bytes() -> bytes:
    torch.manual_seed(0)
    return safetensors_bytes(ref.randomize_batchnorm_statistics(ref.ResNet(18)))


@pytest.fixture
def served(zoo_env, monkeypatch, weights_bytes):
    """A plain server holding the weights, and a manifest entry ``resnet18.test`` pointing at it."""
    with LocalServer() as server:
        url = server.add(FILE, weights_bytes)
        use_manifest(monkeypatch, zoo_env / "manifest.json", {"resnet18": {"tags": {"test": entry(
            {"url": url}, weights_bytes, "safetensors", config={"variant": "v1.5"})}}})
        yield server


def load():
    return zoo.load("resnet18.test", input_shape=SHAPE)


def outputs(model) -> np.ndarray:
    x = np.random.default_rng(0).normal(size=(2, *SHAPE)).astype("float32")
    return model.predict(x, verbose=0)


def downloads(zoo_env) -> list[pathlib.Path]:
    folder = zoo_env / "zoo-cache" / "downloads" / "resnet18" / "test"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_warm_load_needs_no_network(served, zoo_env):
    first = outputs(load())
    assert served.gets["/" + FILE] == 1
    served.files.clear()  # the server now has nothing to give
    np.testing.assert_array_equal(outputs(load()), first)
    assert served.gets["/" + FILE] == 1


def test_wrong_hash_is_refused_after_one_retry(zoo_env, monkeypatch, weights_bytes):
    wrong = hashlib.sha256(b"something else").hexdigest()
    with LocalServer() as server:
        url = server.add(FILE, weights_bytes)
        use_manifest(monkeypatch, zoo_env / "m.json", {"resnet18": {"tags": {"test": dict(entry(
            {"url": url}, None, "safetensors", config={"variant": "v1.5"}), sha256=wrong)}}})
        with pytest.raises(zoo.WeightsIntegrityError) as caught:
            load()
        assert server.gets["/" + FILE] == 2
    message = str(caught.value)
    assert wrong in message and hashlib.sha256(weights_bytes).hexdigest() in message
    assert downloads(zoo_env) == []  # nothing a later load would trust


def test_corrupted_download_is_fetched_again(served, zoo_env):
    served.corrupt_once.add("/" + FILE)
    load()
    assert served.gets["/" + FILE] == 2


def test_truncated_download_is_fetched_again(served, zoo_env):
    served.truncate_once.add("/" + FILE)
    load()
    assert served.gets["/" + FILE] == 2


def test_corrupted_cache_file_is_replaced(served, zoo_env):
    first = outputs(load())
    shutil.rmtree(zoo_env / "zoo-cache" / "converted")
    (raw,) = downloads(zoo_env)
    raw.write_bytes(b"\0" * 100)
    np.testing.assert_array_equal(outputs(load()), first)
    assert served.gets["/" + FILE] == 2


def test_directory_and_http_mirrors_come_before_upstream(zoo_env, monkeypatch, weights_bytes):
    use_manifest(monkeypatch, zoo_env / "m.json", {"resnet18": {"tags": {"test": entry(
        {"url": f"{CLOSED_PORT_URL}/{FILE}"}, weights_bytes, "safetensors", config={"variant": "v1.5"})}}})
    mirror = zoo_env / "mirror" / "resnet18" / "test"
    mirror.mkdir(parents=True)
    (mirror / FILE).write_bytes(weights_bytes)
    monkeypatch.setenv("ZOO_MIRROR", str(zoo_env / "mirror"))
    from_directory = outputs(load())

    shutil.rmtree(zoo_env / "zoo-cache")
    with LocalServer() as server:
        server.add(f"zoo-mirror/resnet18/test/{FILE}", weights_bytes)
        monkeypatch.setenv("ZOO_MIRROR", f"{server.url}/zoo-mirror")
        np.testing.assert_array_equal(outputs(load()), from_directory)
        assert server.gets[f"/zoo-mirror/resnet18/test/{FILE}"] == 1


def test_offline_fails_fast_naming_entry_sources_and_remedies(zoo_env, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(zoo.WeightsNotAvailableError) as caught:
        zoo.load("resnet50")  # the shipped keras.applications entry
    assert time.perf_counter() - start < 5
    message = str(caught.value)
    for needle in ("resnet50.keras_in1k", "resnet50_weights_tf_dim_ordering_tf_kernels.h5", "ZOO_MIRROR", "zoo download", "HF_HUB_OFFLINE"):
        assert needle in message


def test_unreachable_hub_fails_fast_not_after_retries(zoo_env, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    start = time.perf_counter()
    with pytest.raises(zoo.WeightsNotAvailableError, match="hf://timm/resnet18.tv_in1k/model.safetensors"):
        zoo.load("resnet18")  # the shipped timm entry
    assert time.perf_counter() - start < 8  # huggingface_hub alone retries for ~23 s


def test_hugging_face_cache_serves_offline(zoo_env, monkeypatch, weights_bytes):
    repo = "zoo-tests/resnet18"
    with LocalServer(hf=True) as hub:
        hub.add_hf(repo, "model.safetensors", weights_bytes, revision="v1")
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        use_manifest(monkeypatch, zoo_env / "m.json", {"resnet18": {"tags": {"test": entry(
            {"hf_repo": repo, "hf_file": "model.safetensors", "revision": "v1"}, weights_bytes, "safetensors",
            config={"variant": "v1.5"})}}})
        online = outputs(load())
    shutil.rmtree(zoo_env / "zoo-cache")  # zoo's converted cache gone; the HF cache stays
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    np.testing.assert_array_equal(outputs(load()), online)


def test_unsafe_pth_is_refused_without_running_it(zoo_env, monkeypatch):
    marker = zoo_env / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = zoo_env / "evil.pth"
    torch.save({"conv1.weight": Exploit()}, path)
    data = path.read_bytes()
    with LocalServer() as server:
        url = server.add("evil.pth", data)
        use_manifest(monkeypatch, zoo_env / "m.json", {"resnet18": {"tags": {"evil": entry(
            {"url": url}, data, "torch_pth", config={"variant": "v1.5"})}}})
        with pytest.raises(Exception, match="refusing to load posix.system"):
            zoo.load("resnet18.evil", input_shape=SHAPE)
    assert not marker.exists()


def _subprocess_env(zoo_env) -> dict[str, str]:
    env = dict(os.environ, ZOO_CACHE=str(zoo_env / "zoo-cache"), ZOO_MANIFEST=os.environ["ZOO_MANIFEST"])
    env["PYTHONPATH"] = str(ROOT)
    return env


LOAD_AND_PRINT = (
    "import numpy as np, zoo; m = zoo.load('resnet18.test', input_shape=(32, 32, 3)); "
    "x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype('float32'); "
    "print(np.round(m.predict(x, verbose=0), 6).tobytes().hex())"
)


def test_four_processes_download_once(served, zoo_env):
    env = _subprocess_env(zoo_env)
    served.bytes_per_second = 5e6  # ~9 s per download: the four overlap, so only the lock keeps it to one
    procs = [subprocess.Popen([sys.executable, "-c", LOAD_AND_PRINT], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [proc.communicate(timeout=300) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err[-2000:] for _, err in results]
    assert served.gets["/" + FILE] == 1
    assert len({out.strip() for out, _ in results}) == 1


def test_kill_during_download_leaves_the_next_load_correct(served, zoo_env):
    reference = outputs(load())
    shutil.rmtree(zoo_env / "zoo-cache")
    served.bytes_per_second = 2e6  # ~25 s for the whole file: plenty of time to kill it
    proc = subprocess.Popen([sys.executable, "-c", LOAD_AND_PRINT], env=_subprocess_env(zoo_env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while served.gets["/" + FILE] < 2 and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # let some bytes land
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    served.bytes_per_second = None
    np.testing.assert_array_equal(outputs(load()), reference)
    assert [p.name for p in downloads(zoo_env)] == [FILE]  # the partial file is gone


def test_zoo_manifest_and_register_weights(zoo_env, monkeypatch, weights_bytes, served):
    assert "test" in zoo.info("resnet18")["weights"]  # merged from ZOO_MANIFEST
    bundled = zoo_env / "in-house" / "weights.safetensors"
    bundled.parent.mkdir()
    bundled.write_bytes(weights_bytes)
    # A relative bundled path is resolved against the manifest that names it.
    use_manifest(monkeypatch, bundled.parent / "team.json", {"resnet18": {"tags": {"team": entry(
        {"bundled": "weights.safetensors"}, weights_bytes, "safetensors", config={"variant": "v1.5"})}}})
    team = outputs(zoo.load("resnet18.team", input_shape=SHAPE))
    zoo.register_weights("resnet18", "ours", entry({"bundled": str(bundled)}, weights_bytes, "safetensors",
                                                   config={"variant": "v1.5"}), default=True)
    assert zoo.info("resnet18")["default_weights"] == "ours"
    np.testing.assert_array_equal(outputs(zoo.load("resnet18", input_shape=SHAPE)), team)
    with pytest.raises(zoo.ManifestError, match="format must be one of"):
        zoo.register_weights("resnet18", "bad", dict(entry({"url": "x"}, None, "onnx")))
    (zoo_env / "broken.json").write_text(json.dumps({"models": {"nin": {"tags": {"x": {"source": {"ftp": "y"}}}}}}))
    monkeypatch.setenv("ZOO_MANIFEST", str(zoo_env / "broken.json"))
    with pytest.raises(zoo.ManifestError, match=r"broken.json.*nin.x.*source must be"):
        zoo.info("nin")


def test_cli_download_mirror_and_cache(served, zoo_env, weights_bytes):
    env = _subprocess_env(zoo_env)
    zoo_cli = [str(pathlib.Path(sys.executable).parent / "zoo")]

    def cli(*args):
        return subprocess.run(zoo_cli + list(args), env=env, capture_output=True, text=True, timeout=300)

    assert cli("download", "resnet18.test").returncode == 0
    listing = cli("cache", "list", "--json")
    kinds = {row["kind"] for row in json.loads(listing.stdout)}
    assert kinds == {"downloads", "converted"}
    mirror = zoo_env / "mirror"
    served.files.clear()  # the mirror is filled from the cache
    assert cli("mirror", str(mirror), "resnet18.test").returncode == 0
    assert (mirror / "resnet18" / "test" / FILE).read_bytes() == weights_bytes
    assert "removed" in cli("cache", "clear").stdout
    assert json.loads(cli("cache", "list", "--json").stdout) == []
    failed = cli("download", "nin")
    assert failed.returncode == 2 and "no pretrained weights" in failed.stderr

