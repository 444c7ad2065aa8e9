"""The curriculum's moving parts: difficulty scores, and an input that gives each epoch its subset.

``Feed.reorder`` replaces the training pipeline's shuffle: the dataset reads the epoch from a
variable when Keras starts the epoch's pass (a callback sets it at ``on_epoch_begin``, after
``BackupAndRestore`` has picked the epoch to resume from), keeps the examples whose difficulty
rank is below that epoch's count, and draws the epoch's examples from them. So what an epoch
sees depends only on (scores, pacing, seed, epoch): a resumed run sees the same subsets.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import tensorflow as tf

from zoo.train import data as data_lib

if TYPE_CHECKING:  # annotations only: zoo.train.curriculum imports this module to score data
    from zoo.train.curriculum import Curriculum

log = logging.getLogger("zoo")

SCORE_BATCH = 256
# Like the plain pipeline's shuffle: an exact shuffle up to this many examples, a buffered one beyond.
SHUFFLE_BUFFER = 10_000
# An epoch drawing from a small subset passes over it many times; it cycles through this many different orders.
DISTINCT_PASSES = 8


def _losses(classifier, examples: data_lib.Examples, where: str) -> np.ndarray:
    """Per-example cross-entropy of ``classifier`` on the (unaugmented) examples, in the data's order."""
    batches = data_lib.pipeline(examples, classifier.image_shape, classifier.preprocessing, batch_size=SCORE_BATCH,
                                training=False, transform=classifier.transform)
    losses, largest = [], -1
    for images, labels in batches:  # called eagerly: the reference may live under another strategy
        probabilities = classifier.network(images, training=False).numpy()
        labels = labels.numpy()
        largest = max(largest, int(labels.max()))
        if largest >= probabilities.shape[-1]:
            raise ValueError(f"{where}: the labels go up to class {largest}, but the scoring model "
                             f"{classifier.full_name} has {probabilities.shape[-1]} classes; score with a model "
                             "trained for these classes (reference=...), or another score.")
        picked = probabilities[np.arange(len(labels)), labels]
        losses.append(-np.log(np.clip(picked.astype("float64"), 1e-12, 1.0)))
    return np.concatenate(losses)


def _raw(examples: data_lib.Examples, image_shape, where: str) -> tuple[np.ndarray, np.ndarray]:
    """All raw images (resized to the model's size only if they come in different sizes) and class ids."""
    dataset = examples.dataset
    image_spec = dataset.element_spec[0]
    if not image_spec.shape.is_fully_defined():
        height, width = image_shape[:2]
        dataset = dataset.map(lambda x, y: (tf.image.resize(x, (height, width)), y))
        image_spec = dataset.element_spec[0]
    size = examples.count * image_spec.shape.num_elements() * image_spec.dtype.size
    if size > data_lib.CACHE_BUDGET_BYTES:
        raise ValueError(f"{where}: a score callable gets all images in one call, and these take {size / 2**30:.1f} "
                         "GiB; pass the difficulties as an array instead (score=numpy array, one per example).")
    images, labels = dataset.batch(examples.count).get_single_element()
    labels = labels.numpy()
    return images.numpy(), (labels.argmax(-1) if examples.one_hot else labels)


def _checked(values: Any, count: int, what: str, where: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {what} must give one difficulty (a number) per example; got {array.dtype} values.")
    if array.shape != (count,):
        raise ValueError(f"{where}: {what} must give one difficulty per training example, shape ({count},); "
                         f"got shape {array.shape}.")
    array = array.astype("float64")
    bad = ~np.isfinite(array)
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(f"{where}: {what} gave {array[index]} for example {index}; difficulties must be finite "
                         "numbers (higher is harder).")
    return array


def random_scores(count: int, seed: int) -> np.ndarray:
    # A stream of its own: default_rng(seed) is what a user may have drawn label noise from, and reusing
    # it would order examples by that noise (tools/curriculum_experiment.py first did exactly this).
    return np.random.default_rng([seed, 2009]).random(count)


def difficulty(plan: Curriculum, model, examples: data_lib.Examples, *, seed: int = 0,
               where: str = "curriculum") -> np.ndarray:
    """One difficulty per example, in the data's order (higher is harder), checked."""
    count = examples.count
    if isinstance(plan.score, str) and plan.score == "random":
        return random_scores(count, seed)
    if isinstance(plan.score, str):  # "loss"
        scorer = model if plan.reference is None else plan.reference
        return _checked(_losses(scorer, examples, where), count, "the loss", where)
    if callable(plan.score):
        images, labels = _raw(examples, model.image_shape, where)
        return _checked(plan.score(images, labels), count, "the score callable", where)
    return _checked(plan.score, count, "the score array", where)


def score_data(plan: Curriculum, model, data: Any, *, seed: int = 0) -> np.ndarray:
    """``difficulty`` of any ``finetune`` input, for a look before training (``Curriculum.difficulty``)."""
    examples = data_lib.prepare(data, model.image_shape)
    return difficulty(plan, model, examples, seed=seed, where=f"{model.full_name}: curriculum")


def ranks(scores: np.ndarray) -> np.ndarray:
    """0 for the easiest example, N-1 for the hardest; ties keep the data's order."""
    order = np.argsort(scores, kind="stable")
    out = np.empty(len(scores), dtype="int64")
    out[order] = np.arange(len(scores))
    return out


class Feed:
    """Per-epoch subsets for one finetune run: ``reorder`` for the pipeline, ``callback`` for fit."""

    def __init__(self, plan: Curriculum, example_ranks: np.ndarray, counts: list[int], per_epoch: int,
                 shuffle: bool, seed: int):
        self.plan, self.ranks, self.counts = plan, example_ranks, counts
        self.per_epoch, self.shuffle, self.seed = per_epoch, shuffle, seed
        # Made in finetune's strategy scope: every replica's input reads the same epoch.
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False,
                                 aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.callback = _EpochSetter(self)

    def _seed(self, epoch: int, number: int) -> int:
        return (self.seed * 1_000_003 + epoch * 1_009 + number) % (2**31 - 1)

    def reorder(self, dataset: tf.data.Dataset, cached: bool) -> tf.data.Dataset:
        if cached:  # fill the in-memory cache now: an epoch's pass may stop before its end, which drops a cache
            for _ in dataset:
                pass
        ranks = tf.constant(self.ranks, tf.int64)

        def subset(epoch: int, available: int) -> tf.data.Dataset:
            chosen = dataset.enumerate().filter(lambda index, example: tf.gather(ranks, index) < available)
            chosen = chosen.map(lambda index, example: example)
            if not self.shuffle:
                return chosen.repeat()
            # Fixed Python seeds per (epoch, pass), never reshuffled per iteration: a reshuffling seed advances with
            # every iterator made (Keras makes extra ones), so a resumed run would draw other orders.
            passes = [chosen.shuffle(min(available, SHUFFLE_BUFFER), seed=self._seed(epoch, number),
                                     reshuffle_each_iteration=False)
                      for number in range(min(DISTINCT_PASSES, -(-self.per_epoch // available)))]
            for following in passes[1:]:
                passes[0] = passes[0].concatenate(following)
            return passes[0].repeat()

        subsets = [subset(epoch, available) for epoch, available in enumerate(self.counts)]

        def one_epoch(_):
            epoch = tf.minimum(self.epoch.read_value(), len(subsets) - 1)
            return tf.data.Dataset.choose_from_datasets(subsets, tf.data.Dataset.from_tensors(epoch).repeat(
                self.per_epoch))

        epochs = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64)).flat_map(one_epoch)
        return epochs.apply(tf.data.experimental.assert_cardinality(self.per_epoch))


class _EpochSetter(keras.callbacks.Callback):
    """Tells the input which epoch starts; logs how many examples it drew from (``curriculum_examples``)."""

    def __init__(self, feed: Feed):
        super().__init__()
        self.feed = feed

    def on_epoch_begin(self, epoch, logs=None):
        self.feed.epoch.assign(min(epoch, len(self.feed.counts) - 1))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:  # History comes after this callback, so the count lands in history.history
            logs["curriculum_examples"] = float(self.feed.counts[min(epoch, len(self.feed.counts) - 1)])


def prepare(plan: Curriculum, model, examples: data_lib.Examples, *, total_epochs: int, global_batch: int,
            drop_remainder: bool, shuffle: bool, seed: int) -> Feed:
    """Score the examples and fix the schedule, before anything trains (bad scores are refused here)."""
    where = f"{model.full_name}.finetune"
    counts = plan.counts(examples.count, total_epochs)
    ramp = plan.epochs or max(1, total_epochs // 2)
    if not callable(plan.pacing) and ramp > total_epochs:
        log.warning("%s: the curriculum reaches all the data at epoch %d, after this run's %d epochs: the last "
                    "epoch draws from %d of %d examples.", where, ramp, total_epochs, counts[-1], examples.count)
    scores = difficulty(plan, model, examples, seed=seed, where=where)
    per_epoch = (examples.count // global_batch) * global_batch if drop_remainder else examples.count
    return Feed(plan, ranks(scores), counts, max(per_epoch, global_batch if drop_remainder else 1), shuffle, seed)
