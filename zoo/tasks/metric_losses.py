"""Metric-learning losses on one batch of embeddings and their labels, with online mining.

Every function takes the batch's pairwise Euclidean distances (``pairwise_distances``) and its
integer labels; pairs and triplets are formed inside the batch, so a batch should hold several
images of each class (random batches of 64 over 5 classes hold about 13).

- ``contrastive_loss`` (Hadsell, Chopra & LeCun 2006): every pair i != j; a same-class pair costs
  d^2 / 2, a different-class pair max(0, margin - d)^2 / 2; the mean over the pairs.
- ``triplet_loss`` with ``mining="hard"`` (batch hard: each anchor with its farthest positive and
  nearest negative, Hermans et al. 2017) or ``"semi_hard"`` (Schroff et al. 2015: each anchor-positive
  pair with the nearest negative farther than the positive; where there is none, the farthest
  negative); each triplet costs max(0, d(a, p) - d(a, n) + margin); the mean over the triplets.
"""

from __future__ import annotations

import tensorflow as tf

LOSSES = ("triplet", "contrastive")
MININGS = ("hard", "semi_hard")
# Margins on unit-length embeddings (distances in [0, 2]): FaceNet's 0.2 for triplets; for pairs a
# different-class pair stops costing at distance 1 (orthogonal embeddings).
DEFAULT_MARGINS = {"triplet": 0.2, "contrastive": 1.0}


def pairwise_distances(embeddings: tf.Tensor) -> tf.Tensor:
    """Euclidean distances between the rows of ``embeddings``, ``(n, n)``."""
    embeddings = tf.cast(embeddings, "float32")
    squared = tf.reduce_sum(tf.square(embeddings), axis=1)
    d2 = squared[:, None] - 2.0 * tf.matmul(embeddings, embeddings, transpose_b=True) + squared[None, :]
    # sqrt's gradient is infinite at 0 (each row's distance to itself): keep it just above.
    return tf.sqrt(tf.maximum(d2, 0.0) + 1e-12)


def masks(labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(positive, negative) boolean ``(n, n)`` masks: same label and not itself; another label."""
    labels = tf.reshape(labels, [-1])
    same = tf.equal(labels[:, None], labels[None, :])
    itself = tf.eye(tf.shape(labels)[0], dtype=tf.bool)
    return tf.logical_and(same, tf.logical_not(itself)), tf.logical_not(same)


def _mean_where(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    mask = tf.cast(mask, values.dtype)
    return tf.reduce_sum(values * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def contrastive_loss(distances: tf.Tensor, labels: tf.Tensor, margin: float) -> tf.Tensor:
    positive, negative = masks(labels)
    per_pair = tf.where(positive, 0.5 * tf.square(distances), 0.5 * tf.square(tf.nn.relu(margin - distances)))
    return _mean_where(per_pair, tf.logical_or(positive, negative))


def hardest(distances: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Batch-hard mining: per anchor, the index of its farthest positive and of its nearest negative, and
    whether it has both (an anchor alone in its class, or a batch of one class, has no triplet)."""
    positive, negative = masks(labels)
    far = tf.argmax(tf.where(positive, distances, -tf.ones_like(distances)), axis=1, output_type=tf.int32)
    near = tf.argmin(tf.where(negative, distances, tf.fill(tf.shape(distances), 1e9)), axis=1, output_type=tf.int32)
    valid = tf.logical_and(tf.reduce_any(positive, axis=1), tf.reduce_any(negative, axis=1))
    return far, near, valid


def semi_hard_negatives(distances: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """Per anchor-positive pair (a, p), ``(n, n)``: d(a, n) of the nearest negative farther than p, or of the
    farthest negative when none is farther (meaningful where the pair is a positive pair)."""
    _, negative = masks(labels)
    d_an = distances[:, None, :]  # [anchor, positive, negative]
    d_ap = distances[:, :, None]
    farther = tf.logical_and(negative[:, None, :], d_an > d_ap)
    nearest_farther = tf.reduce_min(tf.where(farther, d_an, tf.fill(tf.shape(farther), 1e9)), axis=2)
    farthest = tf.reduce_max(tf.where(negative, distances, -tf.ones_like(distances)), axis=1)
    return tf.where(tf.reduce_any(farther, axis=2), nearest_farther, farthest[:, None])


def triplet_loss(distances: tf.Tensor, labels: tf.Tensor, margin: float, mining: str = "hard") -> tf.Tensor:
    if mining == "hard":
        far, near, valid = hardest(distances, labels)
        d_ap = tf.gather(distances, far, batch_dims=1)
        d_an = tf.gather(distances, near, batch_dims=1)
        return _mean_where(tf.nn.relu(d_ap - d_an + margin), valid)
    positive, negative = masks(labels)
    has_negative = tf.reduce_any(negative, axis=1, keepdims=True)
    per_pair = tf.nn.relu(distances - semi_hard_negatives(distances, labels) + margin)
    return _mean_where(per_pair, tf.logical_and(positive, has_negative))


def batch_loss(distances: tf.Tensor, labels: tf.Tensor, loss: str, margin: float, mining: str) -> tf.Tensor:
    if loss == "contrastive":
        return contrastive_loss(distances, labels, margin)
    return triplet_loss(distances, labels, margin, mining)


def batch_measures(distances: tf.Tensor, labels: tf.Tensor) -> dict[str, tf.Tensor]:
    """What training reports besides the loss: mean same-class and other-class distances, and how often
    an image's nearest other image in the batch has its label (comparable across losses and margins)."""
    positive, negative = masks(labels)
    itself = tf.eye(tf.shape(distances)[0], dtype=tf.bool)
    nearest = tf.argmin(tf.where(itself, tf.fill(tf.shape(distances), 1e9), distances), axis=1, output_type=tf.int32)
    hit = tf.gather(positive, nearest, batch_dims=1)
    return {"positive_distance": _mean_where(distances, positive), "negative_distance": _mean_where(distances, negative),
            "nearest_neighbour_accuracy": tf.reduce_mean(tf.cast(hit, "float32"))}
