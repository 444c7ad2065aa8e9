"""zoo.tune over the sequence and generative families: each space builds, trains and is scored on its own metric."""

import numpy as np
import pytest

import zoo
from zoo.datasets import dates


@pytest.mark.parametrize("name", ["seq2seq_attention", "transformer"])
def test_sequence_spaces_are_scored_on_validation_exact_match(name, tmp_path):
    (x, y), (vx, vy) = dates.splits(64, 16, seed=5)
    result = zoo.tune(name, (x, y), (vx, vy), max_trials=2, epochs=1, batch_size=32, directory=str(tmp_path),
                      verbose=0)
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
