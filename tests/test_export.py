"""export_for_serving / `zoo export`: SavedModel and TFLite artifacts reproduce the Keras model (preprocessing
baked in), and an export that does not is refused without touching what is on disk."""

import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import registry

ROOT = pathlib.Path(__file__).resolve().parents[1]
RAW = np.random.default_rng(5).uniform(0, 255, (3, 24, 24, 1)).astype("float32")


def small_classifier():
    return zoo.create("lego_cnn", num_classes=4, input_shape=(24, 24, 1),
                      blocks=[{"filters": 8, "pool": True}, {"filters": 48}])  # 3,456 weights: enough to quantize


def expected(model) -> np.ndarray:
    return model.predict(model.preprocess(RAW), verbose=0)


@pytest.fixture(scope="module")
def classifier():
    return small_classifier()


def test_saved_model_serves_raw_pixels_like_the_keras_model(classifier, tmp_path):
    path = classifier.export_for_serving(tmp_path / "served")
    served = tf.saved_model.load(str(path))
    outputs = served.serve(tf.constant(RAW)).numpy()  # raw 0-255 pixels: the preprocessing is inside
    np.testing.assert_allclose(outputs, expected(classifier), atol=1e-5)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_tflite_reproduces_the_keras_model(classifier, tmp_path):
    path = classifier.export_for_serving(tmp_path / "model.tflite", format="tflite")
    interpreter = tf.lite.Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner("serve")
    (name,) = runner.get_input_details()
    outputs = next(iter(runner(**{name: RAW}).values()))
    np.testing.assert_allclose(outputs, expected(classifier), atol=1e-4)


def test_quantized_tflite_needs_a_looser_tolerance_and_is_smaller(classifier, tmp_path):
    full = classifier.export_for_serving(tmp_path / "full.tflite", format="tflite")
    small = classifier.export_for_serving(tmp_path / "small.tflite", format="tflite", quantize="dynamic",
                                          tolerance=0.05)
    assert small.stat().st_size < full.stat().st_size
    with pytest.raises(ValueError, match="only with format='tflite'"):
        classifier.export_for_serving(tmp_path / "x", quantize="dynamic")


@keras.saving.register_keras_serializable(package="zoo_tests")
class NoisyAtInference(keras.layers.Layer):
    """Adds fresh noise on every call, in training and inference: no artifact can reproduce that."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed = keras.random.SeedGenerator(0)

    def call(self, x):
        return x + keras.random.normal(keras.ops.shape(x), stddev=1.0, seed=self.seed)


def build_noisy_cnn(num_classes=3, input_shape=(16, 16, 1)):
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    x = NoisyAtInference()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="noisy_cnn")


def test_an_export_that_does_not_reproduce_is_refused_and_the_old_artifact_kept(tmp_path, monkeypatch):
    monkeypatch.setitem(registry._SPECS, "noisy_cnn", registry.ModelSpec(
        name="noisy_cnn", family="test", task="image_classification", builder=f"{__name__}:build_noisy_cnn",
        config={}, input_shape=(16, 16, 1), min_input_size=16, params=771, description="test only"))
    model = zoo.create("noisy_cnn")
    target = tmp_path / "served"
    target.mkdir()
    (target / "saved_model.pb").write_bytes(b"the artifact in production")
    with pytest.raises(zoo.ExportParityError, match="differs from the Keras model by up to .* was not written"):
        model.export_for_serving(target, overwrite=True)
    assert [p.name for p in target.iterdir()] == ["saved_model.pb"]
    assert (target / "saved_model.pb").read_bytes() == b"the artifact in production"
    # TFLite has no kernel for the noise at all: said plainly, not as pages of converter output.
    with pytest.raises(zoo.ExportError, match="TFLite cannot convert this model: TF Select ops: Stateless"):
        model.export_for_serving(tmp_path / "model.tflite", format="tflite")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["served"]  # nothing half-written


def test_existing_artifact_needs_overwrite_and_translators_say_why_not(classifier, tmp_path):
    (tmp_path / "served").mkdir()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        classifier.export_for_serving(tmp_path / "served")
    with pytest.raises(ValueError, match="format must be one of"):
        classifier.export_for_serving(tmp_path / "x", format="onnx")
    with pytest.raises(ValueError, match="decodes in Python.*save_preset"):
        zoo.create("seq2seq_attention", embedding_dim=4, units=4).export_for_serving(tmp_path / "t")


def test_gan_generator_export(tmp_path):
    gan = zoo.create("cgan", num_classes=3, image_shape=(16, 16, 1), latent_dim=8, base_filters=8)
    path = gan.export_for_serving(tmp_path / "generator")
    served = tf.saved_model.load(str(path))
    noise = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")
    labels = np.array([0, 2], "int32")
    np.testing.assert_allclose(served.serve(noise, labels).numpy(),
                               gan.generator.predict([noise, labels], verbose=0), atol=1e-5)


def test_zoo_save_then_zoo_export_cli(zoo_env, tmp_path):
    folder = tmp_path / "preset"
    saved = subprocess.run([sys.executable, "-m", "zoo.cli", "save", "resnet18.mnist", str(folder)],
                           capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert saved.returncode == 0, saved.stderr
    assert "saved resnet18.mnist as a preset" in saved.stdout and (folder / "manifest.json").is_file()
    assert "Apache-2.0 (trained by zoo" in (folder / "README.md").read_text()  # the bundled weights' licence
    proc = subprocess.run([sys.executable, "-m", "zoo.cli", "export", str(folder), "--format", "tflite", "--out",
                           str(tmp_path / "m.tflite")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "parity checked" in proc.stdout and (tmp_path / "m.tflite").stat().st_size > 0
    again = subprocess.run([sys.executable, "-m", "zoo.cli", "export", str(folder), "--format", "tflite", "--out",
                            str(tmp_path / "m.tflite")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert again.returncode == 2 and "--overwrite" in again.stderr
