"""The ``zoo`` command's failure modes that a table of bad inputs cannot show: a reader that leaves
(``| head``), Ctrl-C, TensorFlow's start-up noise, and that real bugs keep their traceback. Also the
manifest list: the shipped manifest passes its own checks, ``ZOO_MANIFEST`` merges a path list."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import subprocess
import sys

import pytest

import zoo
import zoo.cli
import zoo.cli.catalog
from tests.weights_helpers import reset_manifest_cache
from zoo import manifest

ZOO = str(pathlib.Path(sys.executable).parent / "zoo")


def run_main(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = zoo.cli.main(list(argv))
    return code, err.getvalue()


def test_a_reader_that_leaves_gets_no_broken_pipe_traceback(zoo_env):
    # `zoo info resnet50 | head -2`, made deterministic: the pipe is closed before zoo writes.
    proc = subprocess.Popen([ZOO, "info", "resnet50"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141  # as a command ended by SIGPIPE
    assert "BrokenPipeError" not in stderr and "Traceback" not in stderr, stderr


def test_no_tensorflow_cuda_noise_without_a_gpu(zoo_env, tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("TF_CPP_MIN_LOG_LEVEL", "CUDA_VISIBLE_DEVICES")}
    info = subprocess.run([ZOO, "info", "resnet50"], capture_output=True, text=True, env=env, timeout=60)
    assert info.returncode == 0 and info.stderr == ""
    # A command that imports TensorFlow and builds a model (the bundled DCGAN: a second or two).
    sample = subprocess.run([ZOO, "sample", "dcgan.mnist", "--n", "1", "--out", str(tmp_path / "s.png")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert sample.returncode == 0, sample.stderr[-3000:]
    assert "cuInit" not in sample.stderr and "cuda" not in sample.stderr.lower(), sample.stderr
    assert "absl::InitializeLog" not in sample.stderr, sample.stderr


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(zoo.cli.catalog, "cmd_info", interrupted)
    code, stderr = run_main("info", "resnet50")
    assert code == 130 and stderr.strip() == "zoo: interrupted"


def test_an_error_zoo_did_not_raise_keeps_its_traceback(monkeypatch):
    """Only zoo's own input checks become one-line messages: a ValueError from below is a bug to see."""

    def broken(args):
        return int("not a number")  # raised by Python itself, not by a zoo check

    monkeypatch.setattr(zoo.cli.catalog, "cmd_info", broken)
    with pytest.raises(ValueError, match="invalid literal"):
        run_main("info", "resnet50")


def test_the_shipped_manifest_passes_its_own_checks():
    shipped = json.loads((pathlib.Path(zoo.__file__).parent / manifest.MANIFEST_FILE).read_text())
    manifest.validate_document(shipped, manifest.MANIFEST_FILE)
    for name, record in shipped["models"].items():
        assert record["default"] in record["tags"], name


def test_zoo_manifest_merges_a_path_list_in_order(zoo_env, monkeypatch):
    entry = {"source": {"url": "https://example.org/w.safetensors"}, "sha256": "", "format": "safetensors",
             "license": "test", "notes": "pinned on first verified download"}
    first, second = zoo_env / "first.json", zoo_env / "second.json"
    first.write_text(json.dumps({"models": {"nin": {"tags": {"ours": entry}}}}))
    # The second file makes a tag of the first the default: a default may name an earlier file's tag.
    second.write_text(json.dumps({"models": {"nin": {"default": "ours", "tags": {"theirs": entry}}}}))
    monkeypatch.setenv("ZOO_MANIFEST", os.pathsep.join([str(first), str(second)]))
    reset_manifest_cache()
    record = zoo.info("nin")
    assert set(record["weights"]) == {"ours", "theirs"} and record["default_weights"] == "ours"
    # In the other order the default names a tag not yet declared: the error names the file that did it.
    monkeypatch.setenv("ZOO_MANIFEST", os.pathsep.join([str(second), str(first)]))
    with pytest.raises(zoo.ManifestError, match=r"second\.json: models\.nin\.default names tag 'ours'.*theirs"):
        zoo.info("nin")
