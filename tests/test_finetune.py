"""Classifier.finetune: every input form, class inference, the frozen phase, resume, and clear errors."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo

SHAPE = (16, 16, 1)


def tiny(num_classes: int = 3) -> keras.Model:
    return zoo.create("resnet18", input_shape=SHAPE, base_width=4, stem="cifar", num_classes=num_classes)


def digits(n: int = 24, classes: int = 4, size: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, size, size)).astype("uint8"), (np.arange(n) % classes).astype("int64")


def test_numpy_arrays_replace_the_head_and_merge_both_phases():
    model = tiny(num_classes=3)
    x, y = digits(classes=4)
    history = model.finetune((x, y), epochs=(1, 2), batch_size=8, verbose=0)
    assert model.num_classes == 4 and model.network.output_shape == (None, 4)
    assert history.epoch == [0, 1, 2] and len(history.history["loss"]) == 3
    assert len(model.weights) == len(tiny(4).weights)  # the old head is gone, not kept beside the new one
    assert model.predict_top_k(x[:2], k=2).ids.shape == (2, 2)


def test_tf_data_batched_one_hot_and_unbatched_sparse():
    x, y = digits(classes=5)
    batched = tf.data.Dataset.from_tensor_slices((x[..., None], tf.one_hot(y, 5))).batch(6)
    model = tiny()
    model.finetune(batched, epochs=2, verbose=0)
    assert model.num_classes == 5
    unbatched = tf.data.Dataset.from_tensor_slices((x, y % 4))
    model.finetune(unbatched, epochs=(1, 0), verbose=0)
    assert model.num_classes == 4  # found by scanning the labels


def test_image_folder(tmp_path):
    from PIL import Image

    x, y = digits(n=12, classes=2)
    for index, (image, label) in enumerate(zip(x, y)):
        folder = tmp_path / ("cat" if label else "ant")
        folder.mkdir(exist_ok=True)
        Image.fromarray(image).save(folder / f"{index}.png")
    model = tiny()
    model.finetune(str(tmp_path), epochs=(1, 1), verbose=0)
    assert model.class_names == ["ant", "cat"]
    assert model.predict_top_k(x[:1], k=1).names[0][0] in {"ant", "cat"}


TFDS_RUN = textwrap.dedent(
    """
    import sys
    import zoo
    from tests.tfds_digits import ZooTestDigits

    builder = ZooTestDigits(data_dir=sys.argv[1])
    builder.download_and_prepare()
    dataset, info = builder.as_dataset(split="train"), builder.info
    # Width 16 at 32x32: with width 4 at 16x16, training on TFDS data crashes TensorFlow's CPU
    # kernels about one run in two (double free / SIGSEGV; keras.applications models and wider
    # zoo ResNets do not), so this test uses the bundled model's shape.
    model = zoo.create("resnet18", input_shape=(32, 32, 1), base_width=16, stem="cifar")
    model.finetune((dataset, info), epochs=(1, 1), verbose=0)
    dict_only = zoo.create("resnet18", input_shape=(32, 32, 1), base_width=16, stem="cifar")
    dict_only.finetune(dataset, epochs=(1, 0), verbose=0)
    print(model.num_classes, model.class_names[4], dict_only.num_classes)
    """
)


def test_tfds_split_with_metadata(tmp_path):
    """A real TFDS dataset, prepared locally (no download), as tfds hands it over.

    Runs in a child process, so that a native crash fails this test instead of the whole suite.
    """
    (tmp_path / "run.py").write_text(TFDS_RUN)
    result = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(tmp_path / "tfds")],
                            capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert result.returncode == 0, result.stderr[-3000:]
    # The metadata says 5 classes although only 3 occur in this split; without it, a scan finds 3.
    assert result.stdout.strip().splitlines()[-1].split() == ["5", "four", "3"]


def test_phase_one_freezes_backbone_and_batchnorm_statistics():
    model = tiny(num_classes=4)
    x, y = digits()
    before = {w.path: np.array(w) for w in model.network.weights}
    model.finetune((x, y), recipe="head", epochs=2, verbose=0)
    after = {w.path: np.array(w) for w in model.network.weights}
    changed = {path for path in before if not np.array_equal(before[path], after[path])}
    assert changed and all(path.startswith("predictions/") for path in changed), changed
    assert any("moving_mean" in path for path in before)  # BN statistics were there, and stayed

    model.finetune((x, y), recipe="full", epochs=1, verbose=0)
    final = {w.path: np.array(w) for w in model.network.weights}
    moved = {path for path in after if not np.array_equal(after[path], final[path])}
    assert any("conv1_conv" in path for path in moved)  # phase two trains the backbone
    assert not any("moving_" in path for path in moved)  # with BN kept frozen (the default)
    assert all(layer.trainable for layer in model.network.layers)  # left fully trainable


RESUMABLE_RUN = textwrap.dedent(
    """
    import os, signal, sys
    import keras, numpy as np, zoo

    class Report(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            print("EPOCH", epoch, flush=True)
            if epoch == int(os.environ.get("KILL_AT_EPOCH", "-1")):
                os.kill(os.getpid(), signal.SIGKILL)

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (24, 12, 12)), np.arange(24) % 4
    model = zoo.create("resnet18", input_shape=(16, 16, 1), base_width=4, stem="cifar")
    model.finetune((x, y), epochs=(2, 3), batch_size=8, checkpoint_dir=sys.argv[1], callbacks=[Report()], verbose=0)
    print("DONE", flush=True)
    """
)


def test_killed_run_resumes_from_its_last_finished_epoch(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RESUMABLE_RUN)
    checkpoints = tmp_path / "checkpoints"
    env = dict(os.environ, PYTHONPATH=os.getcwd())

    def run(kill_at: int | None):
        run_env = dict(env, KILL_AT_EPOCH=str(kill_at)) if kill_at is not None else env
        return subprocess.run([sys.executable, str(script), str(checkpoints)], env=run_env,
                              capture_output=True, text=True, timeout=300)

    killed = run(kill_at=3)  # phase one is epochs 0-1, phase two 2-4: killed as epoch 3 begins
    assert killed.returncode == -9
    assert [line for line in killed.stdout.split("\n") if line.startswith("EPOCH")] == [f"EPOCH {i}" for i in range(4)]
    resumed = run(kill_at=None)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert [line for line in resumed.stdout.split("\n") if line.startswith(("EPOCH", "DONE"))] == ["EPOCH 3", "EPOCH 4", "DONE"]
    assert (checkpoints / "best.weights.h5").is_file()


def test_nan_loss_stops_at_once_with_a_clear_error():
    x, y = digits()
    x = x.astype("float32")
    x[3] = np.finfo("float32").max  # finite pixels (NaN pixels are refused up front) whose loss overflows
    with pytest.raises(FloatingPointError, match="loss became nan at epoch"):
        tiny().finetune((x, y), epochs=4, batch_size=24, verbose=0)


def test_bad_data_is_explained():
    x, y = digits()
    with pytest.raises(ValueError, match="labels must be integer class ids"):
        tiny().finetune((x, np.zeros((len(x), 2, 2))), verbose=0)
    with pytest.raises(ValueError, match="empty"):
        tiny().finetune((x[:0], y[:0]), verbose=0)
    with pytest.raises(ValueError, match="pass num_classes"):
        tiny().finetune(tf.data.Dataset.from_tensor_slices((x, y)).repeat(), verbose=0)
    with pytest.raises(ValueError, match="one-hot labels have 4 columns but there are 6 classes"):
        tiny().finetune((x, np.eye(4)[y]), num_classes=6, verbose=0)
    with pytest.raises(ValueError, match="24 images but 3 labels"):
        tiny().finetune((x, y[:3]), verbose=0)
    with pytest.raises(ValueError, match=r"labels\[3\] of the training data is class 13, but there are 4 classes"):
        tiny().finetune((x, y + 10), num_classes=4, verbose=0)
    with pytest.raises(ValueError, match="recipe must be one of"):
        tiny().finetune((x, y), recipe="linear", verbose=0)
    with pytest.raises(TypeError, match="data must be"):
        tiny().finetune(42, verbose=0)


def test_finetuned_model_saves_with_its_class_names(tmp_path):
    x, y = digits(classes=2)
    model = tiny()
    model.finetune((x, y), epochs=(1, 1), verbose=0)
    model.class_names = ["even", "odd"]
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.class_names == ["even", "odd"]
    np.testing.assert_allclose(restored.predict(restored.preprocess(x), verbose=0),
                               model.predict(model.preprocess(x), verbose=0), atol=1e-6)


def test_transfer_helper():
    model = zoo.transfer("resnet18", 7, weights=None, input_shape=SHAPE, base_width=4, stem="cifar")
    assert model.network.output_shape == (None, 7)
    source = tiny()
    assert zoo.transfer(source, 2).num_classes == 2
