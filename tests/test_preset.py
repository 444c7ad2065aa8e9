"""Presets (model.save_preset / zoo.load(dir)): round trips for a classifier, a GAN and a seq2seq model,
the manifest entry and model card they carry, and what a damaged or misused preset does."""

import json
import pathlib

import numpy as np
import pytest

import zoo
from zoo import model_card, preset
from zoo.tasks.translation import vocabularies
from zoo.hub import integrity

RAW = np.random.default_rng(7).uniform(0, 255, (3, 32, 32, 1)).astype("float32")


def scores(model, images=RAW) -> np.ndarray:
    return model.predict(model.preprocess(images), verbose=0)


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    """The bundled MNIST ResNet-18, fine-tuned one head epoch on 24 bar images with 3 classes (built once)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_CACHE", str(tmp_path_factory.mktemp("zoo-cache")))
        model = zoo.load("resnet18.mnist")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 40, (24, 32, 32)).astype("float32")
    y = np.arange(24) % 3
    for image, label in zip(x, y):
        image[:, 8 * label: 8 * label + 6] = 255.0
    # A pretrained 10-class head is never shrunk from a label scan: a 3-class head is asked for by name.
    model.finetune((x, y), validation_data=(x[:12], y[:12]), num_classes=3, epochs=1, recipe="head", batch_size=8,
                   verbose=0)
    return model


def test_classifier_round_trip_keeps_outputs_classes_and_provenance(finetuned, zoo_env, tmp_path):
    folder = finetuned.save_preset(tmp_path / "digits-bars")
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "config.json", "manifest.json", "model.weights.h5", "preprocessor.json"]
    entry = json.loads((folder / "manifest.json").read_text())["models"]["resnet18"]["tags"]["digits-bars"]
    assert entry["source"] == {"bundled": "model.weights.h5"} and entry["format"] == "zoo_preset"
    assert entry["sha256"] == integrity.file_hashes(folder / "model.weights.h5", ("sha256",))["sha256"]
    for name in ("config.json", "preprocessor.json"):
        assert entry["files"][name] == integrity.file_hashes(folder / name, ("sha256",))["sha256"]
    # Licence and base weights come from the manifest entry of resnet18.mnist.
    assert entry["license"] == zoo.info("resnet18")["weights"]["mnist"]["license"]
    assert entry["base_weights"]["name"] == "resnet18.mnist"
    # The metrics are finetune's last epoch, with the call that produced them.
    history_accuracy = finetuned.training_record["final"]["val_accuracy"]
    assert entry["metrics"]["val_accuracy"] == history_accuracy
    assert "model.finetune((x(24, 32, 32), y(24,)) arrays" in entry["metrics"]["source"]
    assert json.loads((folder / "preprocessor.json").read_text())["preprocessing"] == "unit"

    again = zoo.load(str(folder))
    np.testing.assert_array_equal(scores(again), scores(finetuned))
    assert again.num_classes == 3 and again.preprocessing == finetuned.preprocessing
    assert again.class_names == finetuned.class_names

    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: keras\npipeline_tag: image-classification\n")
    assert f"| val_accuracy | {history_accuracy:.4g} |" in card
    assert "started from: `resnet18.mnist`" in card and entry["license"] in card
    assert f"parameters: {finetuned.network.count_params():,}" in card


def test_preset_is_also_a_manifest_tag(finetuned, zoo_env, tmp_path, monkeypatch):
    folder = finetuned.save_preset(tmp_path / "p", tag="bars")
    shipped_default = zoo.info("resnet18")["default_weights"]
    monkeypatch.setenv("ZOO_MANIFEST", str(folder / "manifest.json"))
    np.testing.assert_array_equal(scores(zoo.load("resnet18.bars")), scores(finetuned))
    assert zoo.info("resnet18")["default_weights"] == shipped_default  # a tag added, the default untouched


def test_a_reloaded_preset_saves_again_with_the_same_card_facts(finetuned, zoo_env, tmp_path):
    first = finetuned.save_preset(tmp_path / "first")
    second = zoo.load(str(first)).save_preset(tmp_path / "second", tag="first")
    read = lambda f: json.loads((f / "manifest.json").read_text())["models"]["resnet18"]["tags"]["first"]  # noqa: E731
    a, b = read(first), read(second)
    assert a["sha256"] == b["sha256"]  # the same weights
    for key in ("license", "base_weights", "training", "metrics"):
        assert a[key] == b[key]


def test_gan_round_trip(zoo_env, tmp_path):
    gan = zoo.create("dcgan", image_shape=(16, 16, 1), latent_dim=8, base_filters=8)
    folder = gan.save_preset(tmp_path / "gan")
    assert not (folder / "preprocessor.json").exists()  # a GAN takes noise: nothing to preprocess
    again = zoo.load(str(folder))
    noise = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    np.testing.assert_array_equal(again.generator.predict(noise, verbose=0), gan.generator.predict(noise, verbose=0))
    for mine, theirs in zip(gan.discriminator.weights, again.discriminator.weights):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert "pipeline_tag: unconditional-image-generation" in (folder / "README.md").read_text()


def test_seq2seq_round_trip_keeps_its_vocabularies(zoo_env, tmp_path):
    sources, targets = ["3 may 2021", "jan 5 1999", "7 june 2000"], ["2021-05-03", "1999-01-05", "2000-06-07"]
    model = zoo.create("seq2seq_attention", embedding_dim=8, units=8, **vocabularies(sources, targets, tokens="word"))
    model.fit(sources, targets, batch_size=3, epochs=1, verbose=0)
    folder = model.save_preset(tmp_path / "dates")
    vectorizer = json.loads((folder / "preprocessor.json").read_text())
    assert vectorizer["kind"] == "text" and vectorizer["tokens"] == "word"
    assert vectorizer["source_vocabulary"] == model.source_codec.get_config()["vocabulary"]
    assert "source_vocabulary" not in json.loads((folder / "config.json").read_text())["config"]["build_config"]
    again = zoo.load(str(folder))
    assert again.translate(sources, max_length=6) == model.translate(sources, max_length=6)
    for mine, theirs in zip(model.network.weights, again.network.weights):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_damaged_preset_is_refused_and_left_as_it_was(zoo_env, tmp_path):
    model = zoo.create("resnet18", num_classes=3, input_shape=(32, 32, 1), base_width=8)
    folder = model.save_preset(tmp_path / "p")
    weights = folder / "model.weights.h5"
    damaged = bytearray(weights.read_bytes())
    damaged[-100] ^= 0xFF
    weights.write_bytes(bytes(damaged))
    with pytest.raises(zoo.WeightsIntegrityError, match="sha256"):
        zoo.load(str(folder))
    assert weights.read_bytes() == bytes(damaged)  # a user's folder is never deleted or "repaired"


def test_existing_folder_is_kept_unless_overwrite(zoo_env, tmp_path):
    model = zoo.create("resnet18", num_classes=3, input_shape=(32, 32, 1), base_width=8)
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save_preset(folder)
    assert (folder / "notes.txt").read_text() == "mine"
    model.save_preset(folder, overwrite=True)
    assert not (folder / "notes.txt").exists() and (folder / "model.weights.h5").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["p"]  # no staging folders left behind


def test_misuse_gets_clear_errors(zoo_env, tmp_path):
    model = zoo.create("resnet18", num_classes=3, input_shape=(32, 32, 1), base_width=8)
    folder = model.save_preset(tmp_path / "p")
    with pytest.raises(ValueError, match="num_classes cannot be changed when loading.*model.transfer"):
        zoo.load(str(folder), num_classes=5)
    with pytest.raises(ValueError, match="metrics_command"):
        model.save_preset(tmp_path / "q", metrics={"accuracy": 0.9})
    (tmp_path / "empty").mkdir()
    with pytest.raises(zoo.PresetError, match="not a zoo preset.*save_preset"):
        zoo.load(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match=r"hf://REPO_ID"):
        zoo.load("hf://a/b/c")


def test_given_metrics_need_and_show_their_command(zoo_env, tmp_path):
    model = zoo.create("resnet18", num_classes=3, input_shape=(32, 32, 1), base_width=8)
    folder = model.save_preset(tmp_path / "p", metrics={"top1": 0.5}, metrics_command="model.evaluate(x_test, y_test)",
                               license="Apache-2.0")
    card = (folder / "README.md").read_text()
    assert "| top1 | 0.5 |" in card and "Measured by: model.evaluate(x_test, y_test)" in card
    assert "\nlicense: apache-2.0\n" in card  # a licence the Hub knows, by its id
    assert model_card.license_metadata("MIT (Kaiming He's Caffe ResNet models)") == ["license: mit"]
    assert model_card.license_metadata("unspecified: trained from random initialisation") == [
        "license: other", "license_name: unspecified-trained-from-random-initialisation"]
    assert preset.default_tag("My.Model v2") == "my-model-v2"
