"""What both sequence models share (zoo.tasks.translation): training on text pairs, decoding, attention,
saving, MirroredStrategy. Each test runs for seq2seq_attention and transformer, at tiny sizes."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.datasets import dates

SOURCES = ["march 3rd, 2021", "03/04/21", "5 may 1999", "jan 1 2000"]
TARGETS = ["2021-03-03", "2021-03-04", "1999-05-05", "2000-01-01"]
TINY = {
    "seq2seq_attention": dict(embedding_dim=16, units=64),
    "transformer": dict(size="tiny", dropout=0.0),
}
LEARNING_RATE = {"seq2seq_attention": 1e-2, "transformer": 3e-3}
STEPS = 80  # the overfitting bound: 80 full-batch steps (both reached exact match by 40-60 when written)


@pytest.fixture(scope="module", params=sorted(TINY))
def overfit(request):
    """A tiny model trained for STEPS steps on the four pairs (shared by the tests below)."""
    name = request.param
    keras.utils.set_random_seed(0)
    model = zoo.create(name, **TINY[name])
    model.compile(keras.optimizers.Adam(LEARNING_RATE[name]))
    history = model.fit(SOURCES, TARGETS, batch_size=4, epochs=STEPS, verbose=0)
    return model, history


def test_overfits_a_handful_of_pairs_to_exact_match(overfit):
    model, history = overfit
    assert len(history.history["loss"]) == STEPS
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    assert model.translate(SOURCES) == TARGETS
    assert model.exact_match(SOURCES, TARGETS) == 1.0
    assert model.translate(SOURCES[0]) == TARGETS[0]  # one string in, one string out


def test_beam_search_with_one_beam_equals_greedy(overfit):
    model, _ = overfit
    probes = SOURCES + ["12 dec 1985", "xyz", ""]
    greedy = model.translate(probes, max_length=12)
    assert model.translate(probes, method="beam", beam_size=1, max_length=12) == greedy
    assert model.translate(SOURCES, method="beam", beam_size=4) == TARGETS


def test_attention_rows_sum_to_one_and_ignore_nothing_else(overfit, tmp_path):
    model, _ = overfit
    matrix = model.attention(SOURCES[0])
    rows, columns = model.attention_tokens(SOURCES[0])
    assert matrix.shape == (len(TARGETS[0]) + 1, len(SOURCES[0]) + 1) == (len(rows), len(columns))
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-5)
    assert (matrix >= 0).all()
    assert rows[-1] == columns[-1] == "</s>" and "".join(rows[:-1]) == TARGETS[0]
    forced = model.attention(SOURCES[0], target="1999-01-01")  # teacher-forced on any target
    assert forced.shape == (11, len(SOURCES[0]) + 1)
    path = model.attention_map(SOURCES[0], tmp_path / "attention.png")
    from PIL import Image

    assert Image.open(path).size[0] > 300


def test_padding_is_masked(overfit):
    """Changing padded source tokens (the mask kept) or padding further changes nothing."""
    model, _ = overfit
    network = model.network
    source = model.source_codec.encode(SOURCES, end=True)
    mask = source != 0
    target_in = model.target_codec.encode(TARGETS, start=True)
    logits, weights = network.decode(target_in, network.encode(source))
    garbage = tf.where(mask, source, tf.random.uniform(tf.shape(source), 4, 60, dtype=source.dtype))
    logits_garbage, weights_garbage = network.decode(target_in, network.encode(garbage, mask))
    np.testing.assert_allclose(logits_garbage, logits, atol=1e-5)
    np.testing.assert_allclose(weights_garbage, weights, atol=1e-6)
    longer = tf.pad(source, [[0, 0], [0, 7]])
    logits_longer, weights_longer = network.decode(target_in, network.encode(longer))
    np.testing.assert_allclose(logits_longer, logits, atol=1e-5)
    assert np.all(np.asarray(weights_longer)[:, :, source.shape[1]:] == 0)
    # The padded target positions do not change the earlier ones (causal decoding).
    padded_target = tf.pad(target_in, [[0, 0], [0, 3]], constant_values=7)
    np.testing.assert_allclose(network.decode(padded_target, network.encode(source))[0][:, : target_in.shape[1]],
                               logits, atol=1e-5)


def test_keras_file_round_trip_translates_identically(overfit, tmp_path):
    model, _ = overfit
    path = tmp_path / f"{model.model_name}.keras"
    model.save(path)
    restored = zoo.load(str(path))
    assert type(restored) is type(model) and restored.build_config == model.build_config
    probes = SOURCES + ["1 feb 2003"]
    assert restored.translate(probes) == model.translate(probes)
    assert restored.translate(probes, method="beam") == model.translate(probes, method="beam")
    for a, b in zip(model.network.weights, restored.network.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # Training goes on where it stopped: the optimizer state came back too.
    assert restored.optimizer.iterations.numpy() == model.optimizer.iterations.numpy() == STEPS


@pytest.mark.parametrize("name", sorted(TINY))
def test_fit_takes_a_dataset_of_string_pairs_and_validation(name):
    model = zoo.create(name, **TINY[name])
    unbatched = tf.data.Dataset.from_tensor_slices((SOURCES, TARGETS))
    history = model.fit(unbatched, batch_size=2, epochs=1, validation_data=(SOURCES, TARGETS), verbose=0)
    assert {"loss", "token_accuracy", "val_loss", "val_token_accuracy"} <= set(history.history)
    history = model.fit(unbatched.batch(3), epochs=1, validation_data=unbatched.batch(2), verbose=0)
    assert np.isfinite(history.history["val_loss"][0])
    result = model.evaluate(SOURCES, TARGETS, verbose=0, return_dict=True)
    assert 0 <= result["token_accuracy"] <= 1


def test_bad_training_input_says_what_is_wrong():
    model = zoo.create("transformer", **TINY["transformer"])
    with pytest.raises(ValueError, match="needs targets"):
        model.fit(SOURCES)
    with pytest.raises(ValueError, match="4 source texts but 3 target texts"):
        model.fit(SOURCES, TARGETS[:3])
    with pytest.raises(ValueError, match="string pairs"):
        model.fit(tf.data.Dataset.from_tensor_slices((np.zeros((4, 3)), np.zeros(4))))
    with pytest.raises(ValueError, match="method must be one of"):
        model.translate(SOURCES, method="sampling")


def test_word_level_model_builds_its_vocabulary_from_the_training_text():
    model = zoo.create("seq2seq_attention", tokens="word", embedding_dim=8, units=16)
    assert model.network is None  # no vocabulary yet
    model.fit(["the cat sat", "a dog ran"], ["le chat", "un chien"], batch_size=2, epochs=1, verbose=0)
    assert "cat" in model.source_codec.tokens and "chien" in model.target_codec.tokens
    assert len(model.target_codec) == 4 + 4
    assert isinstance(model.translate("the dog"), str)
    with pytest.raises(ValueError, match="already has its vocabularies"):
        model.adapt(["x"], ["y"])


def test_dates_data_is_reproducible_and_held_out():
    (train_x, train_y), (test_x, test_y) = dates.splits(2_000, 300, seed=3)
    assert (train_x, train_y) == dates.pairs(2_000, seed=3)
    assert dates.splits(2_000, 300, seed=3)[1] == (test_x, test_y)
    assert len(test_x) == 300 and not set(test_x) & set(train_x)
    import datetime

    for written, iso in zip(train_x[:200], train_y[:200]):
        assert datetime.date.fromisoformat(iso).isoformat() == iso and written.strip()
    assert dates.FORMATS[0](datetime.date(2021, 3, 3)) == "3rd of March 2021"
    assert dates.FORMATS[12](datetime.date(2021, 3, 4)) == "03/04/21"  # slashes: month first
    assert [dates.ordinal(d) for d in (1, 2, 3, 11, 12, 13, 21, 22, 23)] == \
        ["1st", "2nd", "3rd", "11th", "12th", "13th", "21st", "22nd", "23rd"]


MIRRORED = """
import json, keras, numpy as np, zoo, zoo.distribute
zoo.distribute.cpu_devices(2)  # before TensorFlow initialises
SOURCES = ["march 3rd, 2021", "03/04/21", "5 may 1999", "jan 1 2000"] * 2
TARGETS = ["2021-03-03", "2021-03-04", "1999-05-05", "2000-01-01"] * 2   # equal lengths: equal token counts
TINY = {"seq2seq_attention": dict(embedding_dim=16, units=64), "transformer": dict(size="tiny", dropout=0.0)}
result = {}
for name, config in TINY.items():
    runs = {}
    for strategy in ("cpu", "mirrored:2"):
        keras.utils.set_random_seed(0)
        model = zoo.load(name, weights=None, strategy=strategy, **config)
        model.compile(keras.optimizers.SGD(0.1))
        history = model.fit(SOURCES, TARGETS, batch_size=8, epochs=3, shuffle=False, verbose=0)
        runs[strategy] = (model.distribute_strategy.num_replicas_in_sync, history.history["loss"],
                          [np.asarray(w) for w in model.network.weights])
    (r1, loss1, w1), (r2, loss2, w2) = runs["cpu"], runs["mirrored:2"]
    result[name] = {"replicas": [r1, r2], "loss_one": loss1, "loss_two": loss2,
                    "weights": max(float(np.abs(a - b).max()) for a, b in zip(w1, w2))}
print(json.dumps(result))
"""


def test_mirrored_strategy_on_two_cpu_devices_trains_like_one_device():
    env = dict(os.environ, PYTHONPATH=os.getcwd(), TF_CPP_MIN_LOG_LEVEL="2")
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(MIRRORED)], capture_output=True, text=True,
                               timeout=600, env=env)
    assert completed.returncode == 0, completed.stderr[-4000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    for name, run in result.items():
        assert run["replicas"] == [1, 2], name
        assert run["loss_two"][-1] < run["loss_two"][0], name
        np.testing.assert_allclose(run["loss_two"], run["loss_one"], rtol=1e-4, err_msg=name)
        assert run["weights"] < 1e-5, (name, run)
