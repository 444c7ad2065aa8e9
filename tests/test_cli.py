"""The `zoo` command: list and info, fast and without TensorFlow."""

import json
import pathlib
import shutil
import subprocess
import sys
import time

ZOO = shutil.which("zoo") or str(pathlib.Path(sys.executable).parent / "zoo")


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([ZOO, *args], capture_output=True, text=True, check=check)


def test_list_pattern_prints_the_five_resnets():
    lines = run("list", "resnet*").stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["resnet101", "resnet152", "resnet18", "resnet34", "resnet50"]


def test_list_filters_and_json():
    assert json.loads(run("list", "--json", "--family", "googlenet").stdout) == ["googlenet"]
    assert "nin" not in json.loads(run("list", "--json", "--pretrained").stdout)
    assert run("list", "nosuchmodel*", check=False).returncode == 1


def test_list_pretrained_shows_every_weights_tag_with_its_source():
    import zoo

    rows = {line.split()[0]: line for line in run("list", "--pretrained").stdout.splitlines()}
    expected = {f"{name}.{tag}": zoo.info(name)["default_weights"] == tag
                for name in zoo.list_models(pretrained=True) for tag in zoo.info(name)["weights"]}
    assert {reference: line.endswith(" default") for reference, line in rows.items()} == expected
    # The offline, non-default tag a new user could not find before.
    assert rows["resnet18.mnist"].split()[1:] == ["resnet", "bundled", "(offline)"]
    assert rows["resnet18.tv_in1k"].split()[1:] == ["resnet", "Hugging", "Face", "default"]
    assert rows["resnet50.keras_in1k_notop"].split()[1:] == ["resnet", "URL"]
    # A pattern with a dot matches name.tag; --json gives the same references.
    assert json.loads(run("list", "*.mnist", "--json").stdout) == [
        "aae.mnist", "cgan.mnist", "dcgan.mnist", "infogan.mnist", "resnet18.mnist", "siamese.mnist", "vae.mnist"]
    assert json.loads(run("list", "resnet18", "--pretrained", "--json").stdout) == ["resnet18.tv_in1k", "resnet18.mnist"]
    assert run("list", "*.nosuchtag", check=False).returncode == 1
    # Plain `zoo list` names every tag too, the default first.
    assert run("list", "resnet18").stdout.split("weights:")[1].strip() == "tv_in1k, mnist"


def test_list_answers_in_under_half_a_second():
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run("list")
        best = min(best, time.perf_counter() - start)
    assert best < 0.5, f"zoo list took {best:.2f}s"


def test_info_table_and_json():
    table = run("info", "resnet50").stdout
    assert "25,636,712" in table
    assert "resnet50_weights_tf_dim_ordering_tf_kernels.h5" in table
    assert "md5 2cb95161c43110f7111970584f804107" in table
    assert "timm/resnet50.tv_in1k" in table
    record = json.loads(run("info", "googlenet", "--json").stdout)
    assert record["weights"]["tv_in1k"]["sha256_prefix"] == "1378be20"


def test_unknown_name_exits_2_with_suggestion():
    result = run("info", "alexnt", check=False)
    assert result.returncode == 2
    assert "alexnet" in result.stderr
