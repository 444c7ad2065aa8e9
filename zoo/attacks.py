"""Adversarial examples: FGSM (Goodfellow et al. 2015) and PGD (Madry et al. 2018), L-infinity.

Both take raw pixels (0-255, as every zoo classifier does) and return adversarial raw
pixels, within ``eps * 255`` of the originals and inside [0, 255]. ``eps`` is a fraction of
the full pixel range, the literature's convention (MNIST ``eps=0.3`` is 0.3 x 255 = 76.5).

The gradient is taken through the whole model a user calls: a zoo classifier's own
resize and preprocessing (``model.preprocess``), then its network; any other Keras
classifier is fed the raw pixels directly. The loss is cross-entropy on the logits (the
input of a final softmax layer, recomputed from its weights), not on the probabilities,
which saturate at 0 and 1 in float32 long before the logits stop saying which way to go.

>>> import zoo, numpy as np
>>> model = zoo.create("lego_cnn", num_classes=3, input_shape=(8, 8, 1), blocks=[{"filters": 4}])
>>> images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8))
>>> adversarial = zoo.attacks.pgd(model, images, [0, 1], eps=0.1, steps=3)
>>> bool(np.abs(adversarial - images).max() <= 0.1 * 255 + 1e-3)
True
"""

from __future__ import annotations

import numbers
import weakref
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from zoo import preprocessing

PIXEL_MAX = 255.0
# Compiled attack steps, one per model (and direction), reused across calls and eps values.
_STEPS: "weakref.WeakKeyDictionary[Any, tuple[Any, dict[bool, Callable]]]" = weakref.WeakKeyDictionary()


def fgsm(model, images, labels, eps: float, *, targeted: bool = False, batch_size: int = 256) -> np.ndarray:
    """Fast gradient sign method: one step of ``eps`` along the sign of the loss gradient.

    ``labels`` are the true classes (untargeted: move away from them), or with
    ``targeted=True`` the classes to reach (move towards them). Returns float32 raw pixels,
    shaped like ``images`` (a batch: ``(n, height, width[, channels])``).
    """
    return _attack("fgsm", model, images, labels, eps, steps=1, step_size=eps, random_start=False,
                   targeted=targeted, seed=0, batch_size=batch_size)


def pgd(model, images, labels, eps: float, *, steps: int = 40, step_size: float | None = None,
        random_start: bool = True, targeted: bool = False, seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """Projected gradient descent: ``steps`` signed-gradient steps of ``step_size`` (a fraction of
    the pixel range; default ``2.5 * eps / steps``, Madry et al.'s rule), each projected back into
    the ``eps`` ball and [0, 255], from a uniformly random start in the ball (``random_start``,
    drawn from ``seed``). Madry et al. attack MNIST with 40 steps of 0.01 at eps 0.3 (100 to evaluate).
    """
    if step_size is None and _is_number(eps) and _is_count(steps) and steps >= 1:
        step_size = 2.5 * eps / steps
    return _attack("pgd", model, images, labels, eps, steps=steps, step_size=step_size, random_start=random_start,
                   targeted=targeted, seed=seed, batch_size=batch_size)


def predict_classes(model, images, batch_size: int = 256) -> np.ndarray:
    """The predicted class of each raw image (through the same path the attacks differentiate)."""
    logits = logits_function(model)
    pixels = _as_batch(np.asarray(images, "float32"))
    return np.concatenate([np.argmax(logits(tf.constant(pixels[i:i + batch_size])).numpy(), axis=-1)
                           for i in range(0, len(pixels), batch_size)] or [np.zeros((0,), "int64")])


# --- checks, before any graph runs ----------------------------------------------------------------

def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_count(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def num_classes(model) -> int:
    """How many classes ``model`` scores (a zoo classifier's, or the width of a Keras model's output)."""
    if hasattr(model, "num_classes"):
        return int(model.num_classes)
    return int(model.outputs[0].shape[-1])


def check_eps(eps, where: str) -> float:
    if not _is_number(eps) or not 0 <= eps <= 1 or not np.isfinite(eps):
        raise ValueError(f"{where}: eps must be a number in [0, 1], a fraction of the 0-255 pixel range "
                         f"(MNIST's usual 0.3 means 0.3 * 255); got {eps!r}.")
    return float(eps)


def check_images_and_labels(model, images, labels, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw pixels as float32 and labels as int64, refused unless they make one batch the model can score."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"{where}: model must be a zoo classifier or a keras.Model classifier; got "
                        f"{type(model).__name__}.")
    pixels = preprocessing.checked_pixels(images, model, name=where)
    if pixels.ndim not in (3, 4):
        raise ValueError(f"{where}: images must be a batch (n, height, width[, channels]); got shape "
                         f"{pixels.shape}. Wrap one image as images[None].")
    if pixels.size and (pixels.min() < 0 or pixels.max() > PIXEL_MAX):
        raise ValueError(f"{where}: images must be raw pixels in [0, 255]; got values from {pixels.min():g} "
                         f"to {pixels.max():g}. Undo any preprocessing: the model applies its own.")
    classes = np.asarray(labels)
    if classes.ndim != 1 or classes.dtype.kind not in "ui" or len(classes) != len(pixels):
        raise ValueError(f"{where}: labels must be {len(pixels)} class ids (one whole number per image, shape "
                         f"({len(pixels)},)); got shape {classes.shape}, dtype {classes.dtype}.")
    count = num_classes(model)
    outside = np.flatnonzero((classes < 0) | (classes >= count))
    if outside.size:
        raise ValueError(f"{where}: labels must be class ids 0..{count - 1}; label {classes[outside[0]]} at "
                         f"position {outside[0]} is not.")
    return pixels.astype("float32"), classes.astype("int64")


def _check_options(steps, step_size, random_start, targeted, seed, batch_size, where: str) -> None:
    if not _is_count(steps) or steps < 1:
        raise ValueError(f"{where}: steps must be a whole number >= 1; got {steps!r}.")
    if not _is_number(step_size) or not np.isfinite(step_size) or step_size < 0 or step_size > 1:
        raise ValueError(f"{where}: step_size must be a number in [0, 1] (a fraction of the pixel range, like "
                         f"eps); got {step_size!r}.")
    for name, flag in (("random_start", random_start), ("targeted", targeted)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{where}: {name} must be True or False; got {flag!r}.")
    if not _is_count(seed):
        raise TypeError(f"{where}: seed must be a whole number; got {seed!r}.")
    if not _is_count(batch_size) or batch_size < 1:
        raise ValueError(f"{where}: batch_size must be a whole number >= 1; got {batch_size!r}.")


# --- the graph ------------------------------------------------------------------------------------

def _output_layer(network):
    outputs = getattr(network, "outputs", None)
    if outputs:
        return outputs[0]._keras_history.operation
    return None


def network_logits(network) -> Callable:
    """``network inputs -> logits`` for a Keras classifier: the input of its final softmax when it has one
    (a Dense or Activation/Softmax layer), else its outputs as they are."""
    layer = _output_layer(network)
    softmax = keras.activations.softmax
    if isinstance(layer, keras.layers.Dense) and layer.activation is softmax:
        features = keras.Model(network.inputs, layer.input)

        def scores(x):
            hidden = tf.cast(features(x, training=False), layer.kernel.dtype)
            out = tf.matmul(hidden, layer.kernel)
            return tf.cast(out + layer.bias if layer.use_bias else out, "float32")
        return scores
    if isinstance(layer, keras.layers.Softmax) or (isinstance(layer, keras.layers.Activation)
                                                  and layer.activation is softmax):
        before = keras.Model(network.inputs, layer.input)
        return lambda x: tf.cast(before(x, training=False), "float32")

    def outputs(x):
        out = network(x, training=False)
        return tf.cast(out[0] if isinstance(out, (list, tuple)) else out, "float32")
    return outputs


def logits_function(model) -> Callable:
    """``raw pixels (n, h, w, c) -> logits`` for ``model``, differentiable end to end."""
    if hasattr(model, "preprocess") and hasattr(model, "network"):  # a zoo classifier: its transform, then its network
        scores = network_logits(model.network)
        return lambda pixels: scores(model.preprocess(pixels))
    scores = network_logits(model)
    without_channels = len(model.inputs[0].shape) == 3  # a Keras model taking (n, height, width)
    return lambda pixels: scores(pixels[..., 0] if without_channels else pixels)


def _step_function(model, targeted: bool) -> Callable:
    """A compiled ``(x0, labels, start, eps, step, steps) -> adversarial x`` for ``model`` (pixels 0-255)."""
    network = getattr(model, "network", model)
    if model in _STEPS and _STEPS[model][0] is not network:  # the head or strategy was replaced since
        del _STEPS[model]
    cached = _STEPS.setdefault(model, (network, {}))[1]
    if targeted in cached:
        return cached[targeted]
    logits = logits_function(model)
    direction = -1.0 if targeted else 1.0  # targeted: lower the target's loss; untargeted: raise the label's

    def one_step(x, x0, labels, eps, step):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits(x)))
        x = x + direction * step * tf.sign(tape.gradient(loss, x))
        return tf.clip_by_value(tf.clip_by_value(x, x0 - eps, x0 + eps), 0.0, PIXEL_MAX)

    # An explicit while loop (not AutoGraph, which needs the source): one graph for any number of steps.
    @tf.function(reduce_retracing=True, autograph=False)
    def attack(x0, labels, start, eps, step, steps):
        x = tf.clip_by_value(x0 + start, 0.0, PIXEL_MAX)
        _, x = tf.while_loop(lambda i, _: i < steps, lambda i, x: (i + 1, one_step(x, x0, labels, eps, step)),
                             (tf.constant(0), x))
        return x

    cached[targeted] = attack
    return attack


def _as_batch(pixels: np.ndarray) -> np.ndarray:
    return pixels[..., None] if pixels.ndim == 3 else pixels  # (n, h, w): grayscale without a channel axis


def _attack(kind, model, images, labels, eps, *, steps, step_size, random_start, targeted, seed, batch_size):
    where = f"zoo.attacks.{kind}"
    eps = check_eps(eps, where)
    _check_options(steps, step_size, random_start, targeted, seed, batch_size, where)
    pixels, classes = check_images_and_labels(model, images, labels, where)
    x0 = _as_batch(pixels)
    start = np.zeros_like(x0)
    if random_start:
        start = np.random.default_rng(seed).uniform(-eps, eps, x0.shape).astype("float32") * PIXEL_MAX
    attack = _step_function(model, bool(targeted))
    arguments = (tf.constant(eps * PIXEL_MAX), tf.constant(float(step_size) * PIXEL_MAX), tf.constant(int(steps)))
    strategy = model.distribute_strategy
    results = []
    for begin in range(0, len(x0), batch_size):
        batch = (x0[begin:begin + batch_size], classes[begin:begin + batch_size], start[begin:begin + batch_size])
        results.append(_run(strategy, attack, batch, arguments))
    adversarial = np.concatenate(results) if results else x0.copy()
    return adversarial.reshape(pixels.shape)


def _run(strategy, attack, batch, arguments) -> np.ndarray:
    """One batch, split over the replicas of ``strategy`` when it has several."""
    if strategy.num_replicas_in_sync == 1:
        return attack(*(tf.constant(part) for part in batch), *arguments).numpy()
    dataset = tf.data.Dataset.from_tensor_slices(batch).batch(len(batch[0]))
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    distributed = strategy.experimental_distribute_dataset(dataset.with_options(options))
    outputs = []
    for x0, labels, start in distributed:
        result = strategy.run(attack, args=(x0, labels, start, *arguments))
        outputs.extend(part.numpy() for part in strategy.experimental_local_results(result))
    return np.concatenate([part for part in outputs if len(part)])
