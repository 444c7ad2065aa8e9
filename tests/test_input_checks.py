"""Input checks that a bad-input table cannot express: heads kept, TFDS offline, empty batches, warn once.

The tables (tests/bad_inputs/tasks.py, finetune.py) hold the refusals; these tests hold what
happens instead of a refusal.
"""

import logging
import os
import time
import warnings

import numpy as np
import pytest

import zoo
from zoo.train import data as data_lib


def test_a_scan_of_all_zero_labels_keeps_the_pretrained_head(caplog):
    model = zoo.load("resnet18.mnist")
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28)).astype("uint8")
    with caplog.at_level(logging.WARNING, logger="zoo"):
        history = model.finetune((images, np.zeros(4, "int64")), epochs=1, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 1
    assert model.num_classes == 10 and model.network.output_shape == (None, 10)
    assert "keeping that head" in caplog.text and "num_classes=N" in caplog.text
    top = model.predict_top_k(images, k=5)
    assert top.ids.shape == (4, 5) and len(top.names[0]) == 5


def test_one_class_on_a_fresh_head_needs_num_classes():
    model = zoo.create("resnet18", input_shape=(16, 16, 1), base_width=4, stem="cifar", num_classes=3)
    images = np.zeros((4, 16, 16), "uint8")
    with pytest.raises(ValueError, match=r"every label is 0.*Pass num_classes=N \(N >= 2\)"):
        model.finetune((images, np.zeros(4, "int64")), verbose=0)
    assert model.num_classes == 3  # refused before the head was touched


@pytest.fixture
def offline_tfds(tmp_path, monkeypatch):
    """An empty TFDS data dir, a private HOME, and a network probe that is refused at once."""
    home, data_dir = tmp_path / "home", tmp_path / "tfds"
    home.mkdir()
    data_dir.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TFDS_DATA_DIR", str(data_dir))
    for proxy in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setattr(data_lib, "PROBE_URL", "http://127.0.0.1:9")  # the discard port: nothing listens
    return home, data_dir


def test_a_tfds_name_offline_fails_fast_and_leaves_no_directory(offline_tfds, monkeypatch):
    pytest.importorskip("tensorflow_datasets")
    home, data_dir = offline_tfds
    model = zoo.load("resnet18.mnist")
    monkeypatch.delenv("TFDS_DATA_DIR")  # first the default data dir, ~/tensorflow_datasets
    with pytest.raises(FileNotFoundError, match="not prepared in the TFDS data dir .*tensorflow_datasets"):
        model.finetune("mnist", verbose=0)
    monkeypatch.setenv("TFDS_DATA_DIR", str(data_dir))
    start = time.monotonic()
    with pytest.raises(FileNotFoundError) as raised:
        model.finetune("mnist:train", verbose=0)
    assert time.monotonic() - start <= 10
    message = str(raised.value)
    for words in ("'mnist' is not prepared", str(data_dir), "offline", "connected machine", "TFDS_DATA_DIR",
                  "tf.data.Dataset"):
        assert words in message, message
    assert not (home / "tensorflow_datasets").exists() and os.listdir(data_dir) == []


def test_a_prepared_tfds_dataset_loads_offline(offline_tfds):
    pytest.importorskip("tensorflow_datasets")
    from tests.tfds_digits import ZooTestDigits

    _, data_dir = offline_tfds
    ZooTestDigits(data_dir=str(data_dir)).download_and_prepare()  # generated here: no download
    examples = data_lib.prepare("zoo_test_digits:train", (28, 28, 1))
    assert (examples.count, examples.num_classes, examples.class_names[4]) == (15, 5, "four")


@pytest.mark.parametrize("name", ["dcgan.mnist", "cgan.mnist", "vae.mnist", "aae.mnist"])
def test_sampling_no_images_gives_an_empty_batch(name):
    samples = zoo.load(name).sample(0)
    assert samples.shape == (0, 28, 28, 1) and samples.dtype == np.float32


def test_no_images_in_give_empty_results_of_the_right_shape():
    classifier = zoo.load("resnet18.mnist")
    top = classifier.predict_top_k(np.zeros((0, 28, 28)), k=3)
    assert top.ids.shape == top.scores.shape == (0, 3) and top.names == []
    assert classifier.features(np.zeros((0, 28, 28, 1))).shape == (0, 128)
    vae = zoo.load("vae.mnist")
    assert vae.encode(np.zeros((0, 28, 28))).shape == (0, vae.latent_dim)
    assert vae.reconstruct(np.zeros((0, 28, 28, 1))).shape == (0, 28, 28, 1)
    assert zoo.load("pix2pix.edges2mnist").translate(np.zeros((0, 32, 32, 1))).shape == (0, 32, 32, 1)
    assert zoo.load("seq2seq_attention.dates").translate([]) == []


def test_the_pixel_range_warning_is_given_once_per_model_and_only_for_unit_floats():
    vae, other = zoo.load("vae.mnist"), zoo.load("vae.mnist")
    unit = np.full((2, 28, 28, 1), 0.5, "float32")

    def warnings_from(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        return [w for w in caught if issubclass(w.category, zoo.PixelRangeWarning)]

    first = warnings_from(lambda: vae.encode(unit))
    assert len(first) == 1 and first[0].filename == __file__  # points at the caller's line
    assert warnings_from(lambda: vae.reconstruct(unit)) == []  # the same model: once is enough
    assert len(warnings_from(lambda: other.encode(unit))) == 1
    fresh = zoo.load("vae.mnist")
    assert warnings_from(lambda: fresh.encode(np.zeros((2, 28, 28), "float32"))) == []  # black images are fine
    assert warnings_from(lambda: fresh.encode(unit * 255)) == []
    assert warnings_from(lambda: fresh.encode(np.ones((2, 28, 28), "uint8"))) == []  # integers are raw pixels


def test_translate_reads_bytes_and_can_ignore_unknown_characters():
    model = zoo.load("seq2seq_attention.dates")
    assert model.translate([b"march 3rd, 2021"]) == ["2021-03-03"]
    assert model.translate("march 3rd, 2021") == "2021-03-03"
    with pytest.raises(ValueError, match="'ä'"):
        model.translate(["3 mär 2021"])
    assert isinstance(model.translate(["3 mär 2021"], unknown="ignore")[0], str)
