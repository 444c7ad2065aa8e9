"""zoo.tune over the sequence and generative families: each space builds, trains and is scored on its own metric."""

import numpy as np
import pytest

import zoo
from zoo.datasets import dates


@pytest.mark.parametrize("name", ["seq2seq_attention", "transformer"])
def test_sequence_spaces_are_scored_on_validation_exact_match(name, tmp_path):
    (x, y), (vx, vy) = dates.splits(64, 16, seed=5)
    shallow = {"encoder_layers": 1, "decoder_layers": 1} if name == "transformer" else None  # tracing dominates
    result = zoo.tune(name, (x, y), (vx, vy), max_trials=2, epochs=1, batch_size=32, directory=str(tmp_path),
                      verbose=0, fixed=shallow)
    assert result.objective == "val_exact_match" and result.direction == "max"
    assert [t["status"] for t in result.trials] == ["COMPLETED"] * 2
    assert all(0.0 <= t["score"] <= 1.0 for t in result.trials)
    best = result.best_model
    assert best.model_name == name and len(best.translate(vx[:2])) == 2
    assert best.exact_match(vx, vy) == pytest.approx(result.trials[0]["score"])


def test_vae_space_is_scored_on_the_validation_elbo(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (32, 28, 28)).astype("float32")
    result = zoo.tune("vae", images, images[:16], max_trials=2, epochs=1, batch_size=16, directory=str(tmp_path),
                      verbose=0)
    assert result.objective == "val_elbo" and all(t["score"] < 0 for t in result.trials)  # ELBOs are negative
    assert result.best_model.encode(images[:3]).shape == (3, result.best_hyperparameters["latent_dim"])


@pytest.mark.parametrize("name", ["dcgan", "aae"])
def test_adversarial_spaces_are_scored_by_fid_mnist_not_their_losses(name, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # FID-MNIST reads the bundled classifier
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (32, 28, 28, 1)).astype("float32")
    result = zoo.tune(name, images, images, max_trials=1, epochs=1, batch_size=16, directory=str(tmp_path),
                      verbose=0)
    assert result.objective == "fid_mnist" and result.direction == "min"
    assert result.trials[0]["score"] > 0
    assert result.best_model.sample(2, seed=0).shape == (2, 28, 28, 1)
    with pytest.raises(ValueError, match="measured on validation_data"):
        zoo.tune(name, images, max_trials=1, directory=str(tmp_path / "again"))


# GoogLeNet's graph takes ~20 s a trial to build here: one trial, with its auxiliary heads on.
@pytest.mark.parametrize("name, size, trials, fixed", [("alexnet", 72, 2, {}), ("nin", 72, 2, {}),
                                                       ("googlenet", 32, 1, {"aux_logits": True})])
def test_published_classifier_spaces_search_their_width_and_train(name, size, trials, fixed, tmp_path):
    rng = np.random.default_rng(1)
    images, labels = rng.integers(0, 255, (12, size, size, 3)), np.arange(12) % 3
    result = zoo.tune(name, (images, labels), (images, labels), max_trials=trials, epochs=1, batch_size=6,
                      directory=str(tmp_path), fixed={"width": 0.125, **fixed}, verbose=0)
    assert [t["status"] for t in result.trials] == ["COMPLETED"] * trials
    best = result.best_model
    assert best.model_name == name and best.build_config["width"] == 0.125
    first_conv, published = {"alexnet": ("conv1", 64), "nin": ("block1_conv", 96), "googlenet": ("conv1_conv", 64)}[name]
    assert best.network.get_layer(first_conv).filters == round(published * 0.125)
    assert best.build_config["dropout"] == result.best_hyperparameters["dropout"]
    assert best.predict(best.preprocess(images[:2]), verbose=0).shape == (2, 3)
    if name == "googlenet":
        assert len(best.network.outputs) == 3
        assert best.aux_loss_weight == pytest.approx(result.best_hyperparameters["aux_loss_weight"])


def test_cgan_space_conditions_on_the_labels_and_reports_label_accuracy(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 255, (32, 28, 28, 1)).astype("float32"), np.arange(32) % 10
    result = zoo.tune("cgan", (images, labels), (images, labels), max_trials=1, epochs=1, batch_size=16,
                      directory=str(tmp_path), verbose=0)
    assert result.objective == "fid_mnist" and result.best_model.num_classes == 10
    trial = result.tuner.oracle.get_trial(result.trials[0]["trial_id"])
    assert 0.0 <= trial.metrics.get_last_value("label_accuracy") <= 1.0
    assert result.best_model.sample(3, seed=0, labels=[7, 7, 1]).shape == (3, 28, 28, 1)


def test_pix2pix_space_is_scored_on_validation_l1(tmp_path):
    rng = np.random.default_rng(0)
    sources = rng.integers(0, 255, (8, 32, 32, 1)).astype("float32")
    targets = 255.0 - sources
    result = zoo.tune("pix2pix", (sources, targets), (sources[:4], targets[:4]), max_trials=1, epochs=1,
                      batch_size=4, directory=str(tmp_path), fixed={"base_filters": 16}, verbose=0)
    assert result.objective == "val_l1" and result.direction == "min"
    best = result.best_model
    expected = np.mean(np.abs(best.translate(sources[:4]) - targets[:4] / 255.0))
    assert result.trials[0]["score"] == pytest.approx(expected, rel=1e-5)


def test_a_width_multiplier_out_of_range_is_refused():
    with pytest.raises(ValueError, match="width must be a multiplier in \\(0, 4\\]"):
        zoo.create("alexnet", num_classes=3, input_shape=(64, 64, 3), width=0)
