"""What zoo may trust, keep, delete and wait for: fault tests of the weights path on 127.0.0.1.

zoo deletes only what it downloaded into ``$ZOO_CACHE``; converted files are checked on
every warm load; an unhashed file is pinned only once it has been parsed and converted;
a server that never answers is given up within ``ZOO_TIMEOUT``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pathlib
import shutil
import time

import numpy as np
import pytest

import zoo
from tests.servers import LocalServer, SilentServer
from tests.weights_helpers import entry, use_manifest
from zoo.hub import audit, cache

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "zoo" / "weights" / "resnet18_mnist.h5"
FILE = "resnet18_mnist.h5"
SHIPPED = json.loads((ROOT / "weights_manifest.json").read_text())["models"]["resnet18"]["tags"]["mnist"]
CONFIG = SHIPPED["config"]


@pytest.fixture(scope="module")
def good_bytes() -> bytes:
    return BUNDLED.read_bytes()


def digits(n: int = 4) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 255, size=(n, 32, 32, 1)).astype("float32")


def outputs(model) -> np.ndarray:
    return model.predict(digits(), verbose=0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_bytes(folder: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def serve_entry(monkeypatch, zoo_env, server: LocalServer, data: bytes, *, published: bool) -> None:
    url = server.add(FILE, data)
    use_manifest(monkeypatch, zoo_env / "manifest.json", {"resnet18": {"tags": {"test": entry(
        {"url": url}, data if published else None, "zoo_layer_weights", config=CONFIG)}}})


# --- 1. zoo never deletes or modifies a file it did not download ------------------------------


@pytest.mark.parametrize("where", ["registered", "manifest"])
def test_a_local_file_with_the_wrong_hash_is_refused_and_kept_byte_identical(zoo_env, monkeypatch, where):
    mine = zoo_env / "my-weights" / "resnet18_mnist.h5"  # a user's file (or a checkout's shipped file)
    mine.parent.mkdir()
    shutil.copyfile(BUNDLED, mine)
    before = mine.read_bytes()
    wrong = sha256(b"another file")
    record = dict(SHIPPED, source={"bundled": str(mine)}, sha256=wrong)
    if where == "registered":
        zoo.register_weights("resnet18", "mine", record)
    else:
        use_manifest(monkeypatch, zoo_env / "m.json", {"resnet18": {"tags": {"mine": record}}})
    for _ in range(2):  # the second load sees the same file, not "missing from this installation"
        with pytest.raises(zoo.WeightsIntegrityError) as caught:
            zoo.load("resnet18.mine")
        message = str(caught.value)
        assert str(mine) in message and wrong in message and sha256(before) in message
        assert "left exactly as it is" in message and not caught.value.deleted
    assert mine.read_bytes() == before


def test_the_shipped_bundled_files_still_verify(zoo_env):
    published = {pathlib.Path(e["source"]["bundled"]).name: e["sha256"]
                 for record in json.loads((ROOT / "weights_manifest.json").read_text())["models"].values()
                 for e in record["tags"].values() if "bundled" in e["source"]}
    shipped = sorted((ROOT / "zoo" / "weights").glob("*.h5"))
    assert sorted(published) == [p.name for p in shipped]
    for path in shipped:
        assert sha256(path.read_bytes()) == published[path.name], path


def test_a_bad_directory_mirror_file_is_left_alone_and_upstream_is_tried(zoo_env, monkeypatch, good_bytes):
    mirror = zoo_env / "mirror" / "resnet18" / "test"
    mirror.mkdir(parents=True)
    (mirror / FILE).write_bytes(good_bytes[:-10] + b"0123456789")
    mirrored_before = tree_bytes(zoo_env / "mirror")
    monkeypatch.setenv("ZOO_MIRROR", str(zoo_env / "mirror"))
    with LocalServer() as server:
        serve_entry(monkeypatch, zoo_env, server, good_bytes, published=True)
        model = zoo.load("resnet18.test")
        assert server.gets["/" + FILE] == 1
    np.testing.assert_array_equal(outputs(model), outputs(zoo.load("resnet18.mnist")))
    assert tree_bytes(zoo_env / "mirror") == mirrored_before


# --- 3. the converted cache is checked on every warm load -------------------------------------


def converted_file(zoo_env) -> pathlib.Path:
    (path,) = (zoo_env / "zoo-cache" / "converted" / "resnet18" / "test").glob("*.h5")
    return path


def flip_sign_bits(path: pathlib.Path) -> None:
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 2, len(data) - 1, 2):  # the high byte of many float16/32 values
        data[offset] ^= 0x80
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["sign bits", "truncated", "emptied"])
def test_a_damaged_converted_file_is_rebuilt_from_the_verified_download(zoo_env, monkeypatch, good_bytes,
                                                                         damage, caplog):
    with LocalServer() as server:
        serve_entry(monkeypatch, zoo_env, server, good_bytes, published=True)
        first = outputs(zoo.load("resnet18.test"))
        path = converted_file(zoo_env)
        assert path.name.endswith(f"--{sha256(path.read_bytes())}.h5")
        if damage == "sign bits":
            flip_sign_bits(path)
        elif damage == "truncated":
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
        else:
            path.write_bytes(b"")
        with caplog.at_level(logging.WARNING, logger="zoo"):
            again = outputs(zoo.load("resnet18.test"))
        assert server.gets["/" + FILE] == 1  # rebuilt from the verified raw file, not downloaded again
    np.testing.assert_array_equal(again, first)
    warnings = [r.getMessage() for r in caplog.records if "converted weights" in r.getMessage()]
    assert len(warnings) == 1 and "converting again" in warnings[0]
    assert sha256(converted_file(zoo_env).read_bytes()) in converted_file(zoo_env).name


# --- 4. trust on first use pins only what parsed --------------------------------------------


def test_an_unannounced_truncation_is_never_pinned(zoo_env, monkeypatch, good_bytes):
    with LocalServer() as server:
        serve_entry(monkeypatch, zoo_env, server, good_bytes, published=False)
        server.chop_unannounced["/" + FILE] = 1  # half the body, no Content-Length: invisible to HTTP
        model = zoo.load("resnet18.test")  # the half file fails to parse, is deleted, fetched once more
        assert server.gets["/" + FILE] == 2
    assert cache.read_pins()["resnet18.test"]["sha256"] == sha256(good_bytes)
    np.testing.assert_array_equal(outputs(model), outputs(zoo.load("resnet18.mnist")))


def test_a_server_that_keeps_truncating_pins_nothing_and_a_healthy_one_works_after(zoo_env, monkeypatch, good_bytes):
    with LocalServer() as server:
        serve_entry(monkeypatch, zoo_env, server, good_bytes, published=False)
        server.chop_unannounced["/" + FILE] = 2
        with pytest.raises(zoo.WeightsFormatError):
            zoo.load("resnet18.test")
        assert "resnet18.test" not in cache.read_pins()
        assert not list((zoo_env / "zoo-cache" / "downloads" / "resnet18" / "test").glob("*"))
        zoo.load("resnet18.test")  # the server is healthy again: no "corrupt or tampered"
    assert cache.read_pins()["resnet18.test"]["sha256"] == sha256(good_bytes)


def test_cache_clear_of_a_tag_forgets_its_pin(zoo_env, monkeypatch, good_bytes):
    with LocalServer() as server:
        serve_entry(monkeypatch, zoo_env, server, good_bytes, published=False)
        zoo.load("resnet18.test")
        republished = good_bytes + b"\0"  # upstream replaced the file (h5 ignores trailing bytes)
        server.files["/" + FILE] = republished
        shutil.rmtree(zoo_env / "zoo-cache" / "converted")
        (zoo_env / "zoo-cache" / "downloads" / "resnet18" / "test" / FILE).unlink()
        with pytest.raises(zoo.WeightsIntegrityError, match=sha256(good_bytes)):
            zoo.load("resnet18.test")  # the pin guards against a changed file
        assert cache.clear("resnet18.other") == 0 and "resnet18.test" in cache.read_pins()
        cache.clear("resnet18.test")
        assert "resnet18.test" not in cache.read_pins()
        zoo.load("resnet18.test")
    assert cache.read_pins()["resnet18.test"]["sha256"] == sha256(republished)


def test_cache_verify_removes_what_fails_and_keeps_the_rest(zoo_env, monkeypatch, good_bytes):
    with LocalServer() as server:
        serve_entry(monkeypatch, zoo_env, server, good_bytes, published=True)
        zoo.load("resnet18.test")
    assert all(row["ok"] for row in audit.verify_cache())
    raw = zoo_env / "zoo-cache" / "downloads" / "resnet18" / "test" / FILE
    converted = converted_file(zoo_env)
    flip_sign_bits(raw)
    stray = zoo_env / "zoo-cache" / "downloads" / "resnet18" / "unknown" / "weights.bin"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"nobody knows this file")
    rows = {row["file"]: row for row in audit.verify_cache()}
    assert not rows[str(raw)]["ok"] and "expected " + sha256(good_bytes) in rows[str(raw)]["problem"]
    assert not rows[str(stray)]["ok"] and "no published or pinned hash" in rows[str(stray)]["problem"]
    assert rows[str(converted)]["ok"]
    assert not raw.exists() and not stray.exists() and converted.exists()


# --- 5. a server that never answers is given up within ZOO_TIMEOUT ---------------------------


@pytest.mark.parametrize("role", ["mirror", "hf_endpoint", "url"])
def test_a_silent_server_is_given_up_within_zoo_timeout(zoo_env, monkeypatch, role):
    monkeypatch.setenv("ZOO_TIMEOUT", "1.5")
    with SilentServer() as silent:
        if role == "mirror":
            monkeypatch.setenv("ZOO_MIRROR", silent.url)
            name = "resnet18.test"
            use_manifest(monkeypatch, zoo_env / "m.json", {"resnet18": {"tags": {"test": entry(
                {"url": "http://127.0.0.1:9/closed/" + FILE}, b"x", "zoo_layer_weights", config=CONFIG)}}})
        elif role == "hf_endpoint":
            monkeypatch.setenv("HF_ENDPOINT", silent.url)
            name = "resnet18"  # the shipped timm entry (hf_repo)
        else:
            name = "resnet18.test"
            use_manifest(monkeypatch, zoo_env / "m.json", {"resnet18": {"tags": {"test": entry(
                {"url": f"{silent.url}/{FILE}"}, b"x", "zoo_layer_weights", config=CONFIG)}}})
        start = time.monotonic()
        with pytest.raises(zoo.WeightsNotAvailableError) as caught:
            zoo.load(name)
        elapsed = time.monotonic() - start
    assert elapsed < 10, elapsed  # the timeout plus building the model
    assert "no answer within 1.5 s" in str(caught.value) and "ZOO_TIMEOUT" in str(caught.value)


def test_the_default_deadline_for_a_silent_server_is_well_under_20_seconds(zoo_env, monkeypatch):
    with SilentServer() as silent:
        monkeypatch.setenv("HF_ENDPOINT", silent.url)
        start = time.monotonic()
        with pytest.raises(zoo.WeightsNotAvailableError, match="ZOO_TIMEOUT=8"):
            zoo.load("resnet34")
        assert time.monotonic() - start < 17  # the 8 s deadline plus building ResNet-34


def test_zoo_cache_verify_and_clear_from_the_command_line(zoo_env, monkeypatch, good_bytes, capsys):
    from zoo import cli

    with LocalServer() as server:
        serve_entry(monkeypatch, zoo_env, server, good_bytes, published=False)
        zoo.load("resnet18.test")
    assert cli.main(["cache", "verify"]) == 0
    assert "2 checked, 2 ok, 0 removed" in capsys.readouterr().out
    flip_sign_bits(converted_file(zoo_env))
    assert cli.main(["cache", "verify"]) == 1
    out = capsys.readouterr().out
    assert "REMOVED: sha256 is" in out and "1 removed" in out
    assert cli.main(["cache", "clear", "resnet18.test"]) == 0
    assert "resnet18.test" not in cache.read_pins()
    assert not (zoo_env / "zoo-cache" / "downloads" / "resnet18" / "test").exists()


def test_waiting_for_another_process_has_a_deadline(zoo_env, monkeypatch):
    from filelock import FileLock

    monkeypatch.setattr(cache, "LOCK_TIMEOUT_SECONDS", 0.5)
    holder = zoo_env / "zoo-cache" / "locks" / "resnet18.mnist.lock"
    holder.parent.mkdir(parents=True)
    with FileLock(str(holder)):  # another process's fetch (a separate lock object: its own file descriptor)
        start = time.monotonic()
        with pytest.raises(zoo.WeightsNotAvailableError, match="another process has been fetching"):
            with cache.lock("resnet18", "mnist"):
                pass
        assert time.monotonic() - start < 3
