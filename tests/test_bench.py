"""`zoo bench` and the bench/ scripts: every script runs once in smoke mode so none can rot.

Smoke figures mean nothing (tiny sizes, one step); what is checked is that each script
measures ours and its reference, writes finite positive figures and its goals, and that
``zoo bench`` reports the numbers it promises.
"""

import json
import math
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ZOO = shutil.which("zoo") or str(pathlib.Path(sys.executable).parent / "zoo")
sys.path.insert(0, str(ROOT / "bench"))
from run_all import SCRIPTS  # noqa: E402

# What each script must compare, by a word of its rows' names.
EXPECTED_ROWS = {
    "cli": ["zoo list", "zoo info", "import zoo"],
    "load": ["cold", "warm"],
    "finetune_pipeline": ["finetune"],
    "resnet50": ["train, zoo fp32", "infer, zoo fp32", "infer, zoo bf16", "accuracy"],
    "generative": ["DCGAN", "VAE"],
    "seq": ["seq2seq", "Transformer"],
    "scaling": ["batch 1", "batch 2"],
    "distribute": ["MirroredStrategy", "2 workers"],
}


def test_every_script_has_expectations():
    # profile_step is a diagnostic with no goal: outside make bench, smoke-tested below.
    scripts = {path.stem for path in (ROOT / "bench").glob("*.py")} - {"common", "run_all", "profile_step"}
    assert scripts == set(SCRIPTS) == set(EXPECTED_ROWS)


def test_profile_step_smoke(tmp_path):
    out = tmp_path / "profile.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "profile_step.py"), "--smoke", "--mode", "infer",
                           "--contenders", "keras.applications,zoo fp32", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    assert [row["what"] for row in rows] == ["infer, keras.applications: ms per step, wall",
                                            "infer, zoo fp32: ms per step, wall"]
    for row in rows:  # the profiler saw the convolutions, whichever kernels this CPU's TensorFlow uses
        assert row["ours"] > 0 and row["cpu_ms"] > 0
        assert any("Conv2D" in op for op in row["ops_ms"]), row["ops_ms"]
    bad = subprocess.run([sys.executable, str(ROOT / "bench" / "profile_step.py"), "--contenders", "nosuch"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert bad.returncode != 0 and "unknown contender" in bad.stderr


@pytest.mark.parametrize("name", SCRIPTS)
def test_bench_script_smoke(name, tmp_path):
    out = tmp_path / f"{name}.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / f"{name}.py"), "--smoke", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["smoke"] is True and result["script"] == f"bench/{name}.py"
    assert "| measured | ours | reference |" in proc.stdout
    names = " / ".join(row["what"] for row in result["rows"])
    for word in EXPECTED_ROWS[name]:
        assert word in names, f"{name}: no row about {word!r} in {names}"
    for row in result["rows"]:
        assert math.isfinite(row["ours"]) and row["ours"] > 0, row
        if row["reference"] is not None:
            assert math.isfinite(row["ratio"]) and row["ratio"] > 0, row
            assert row["ratio"] == pytest.approx(row["ours"] / row["reference"])
    for goal in result["goals"]:
        # A goal is judged only when its A/A (reference vs its twin) is within 5 %; never "met" otherwise.
        assert goal["judged"] == (goal["ratio"] is not None and goal["aa"] is not None
                                  and abs(goal["aa"] - 1) <= 0.05), goal
        if goal["judged"]:
            wanted = goal["ratio"] >= goal["target"] if goal["at_least"] else goal["ratio"] <= goal["target"]
            assert goal["met"] == wanted and goal["verdict"] == ("met" if wanted else "not met"), goal
        else:
            assert not goal["met"] and goal["verdict"].startswith("not judged (A/A"), goal
    for row in result["rows"]:  # every training and inference row says how much of the machine it used
        if row["what"].startswith(("train,", "infer,")) or "train step" in row["what"]:
            assert 0 < row["mfu"] < 1.5 and 0 < row["mfu_fp32"] < 1.5, row


def test_run_all_writes_results_with_machine_and_goals(tmp_path):
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run_all.py"), "--smoke", "--only", "cli",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert "SMOKE RUN" in text and "cores" in text and "TensorFlow 2." in text
    assert "| `zoo list` < 0.5 s (ratio = seconds / 0.5 s) | `bench/cli.py` |" in text.split("## Figures")[0]
    assert "### `python bench/cli.py`" in text


def test_run_all_rejects_unknown_scripts_and_keeps_old_results(tmp_path):
    out = tmp_path / "RESULTS.md"
    out.write_text("old figures")
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run_all.py"), "--only", "resnet5",
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown bench script(s) ['resnet5']" in proc.stderr
    assert out.read_text() == "old figures"


def zoo_bench(*args):
    return subprocess.run([ZOO, "bench", *args], capture_output=True, text=True, timeout=600)


def test_zoo_bench_json_reports_every_figure():
    proc = zoo_bench("lego_cnn", "--image-size", "32", "--batch-size", "4", "--steps", "2", "--rounds", "2", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["name"] == "lego_cnn" and report["mode"] == "train" and report["batch_size"] == 4
    assert report["rounds"] == 2 and report["spread"] >= 0
    # images/s follows from the median step time; FLOPs from the profiler; peak measured in the run.
    assert report["images_per_s"] == pytest.approx(4 / (report["step_ms"] / 1000))
    assert report["gflop_per_s"] == pytest.approx(report["gflops_per_sample"] * report["images_per_s"])
    assert report["peak_fraction"] == pytest.approx(report["gflop_per_s"] / report["matmul_peak_gflop_per_s"])
    assert 0 < report["peak_fraction"] < 1.5
    # MFU against the row's own precision's peak and against the fp32 peak (the same for an fp32 run).
    assert report["mfu"] == pytest.approx(report["peak_fraction"], rel=1e-6)
    assert report["mfu_fp32"] == pytest.approx(report["gflop_per_s"] / report["fp32_peak_gflop_per_s"], rel=1e-6)
    assert report["cpu_step_ms"] > 0 and report["compute_precision"] == "float32"
    assert report["params"] > 0 and report["peak_memory_mb"] > 100


def test_zoo_bench_flops_match_an_analytic_count():
    """The profiler's count for a tiny dense model equals 2 * in * out per sample (plus the bias adds)."""
    import keras
    import tensorflow as tf

    from zoo import bench

    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, use_bias=False)])
    flops = bench.forward_flops(lambda x: model(x), tf.TensorSpec([1, 64], "float32"))
    assert flops == 2 * 64 * 32


def test_zoo_bench_infer_text_with_build_options():
    proc = zoo_bench("transformer", "--infer", "--batch-size", "2", "--steps", "1", "--rounds", "1",
                     "--set", "size=tiny", "d_model=32")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "tokens/s" in proc.stdout and "-> MFU" in proc.stdout and "of the fp32 peak" in proc.stdout
    import numpy as np

    from zoo import bench

    # The options reached the builder: the printed count is that of the same model built here.
    model = bench.build("transformer", size="tiny", d_model=32)
    bench.translation_workload(model, 2, np.random.default_rng(0))
    printed = next(line for line in proc.stdout.splitlines() if line.strip().startswith("parameters"))
    assert int(printed.split()[1].replace(",", "")) == model.count_params()


def test_zoo_bench_bad_input_fails_fast_with_a_hint():
    proc = zoo_bench("resnt50")
    assert proc.returncode == 2 and "Did you mean: resnet50" in proc.stderr
    proc = zoo_bench("vae", "--set", "latent_dim")
    assert proc.returncode == 2 and "--set takes NAME=VALUE" in proc.stderr
