"""Adversarial training (Madry et al. 2018's min-max): each batch attacked against the current model, then trained on.

``finetune(..., adversarial="pgd"|"fgsm", eps=...)`` runs Keras' own ``train_step`` on
adversarial batches: for the length of the fit, the model's ``train_step`` is wrapped by one
that first replaces ``fraction`` of each batch (1.0, Madry's recipe: all of it; 0.5,
Goodfellow et al.'s mix) with its PGD or FGSM version, generated in inference mode.

The pipeline hands the network preprocessed inputs, so the attack runs there: the
preprocessings zoo names are per-channel affine maps of the 0-255 pixels, so the
pixel-space ball of ``eps * 255`` and the [0, 255] range map to a per-channel box. (A resize
in the transform makes this a slightly larger set than the pixel-space ball: a stronger adversary.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import numbers
from typing import Iterator

import keras
import numpy as np
import tensorflow as tf

from zoo import attacks, preprocessing

KINDS = ("pgd", "fgsm")


@dataclasses.dataclass(frozen=True)
class AdversarialOptions:
    kind: str
    eps: float
    steps: int
    fraction: float

    @property
    def step_size(self) -> float:
        return self.eps if self.kind == "fgsm" else 2.5 * self.eps / self.steps  # Madry et al.'s rule


def checked(kind, eps, steps, fraction, *, where: str) -> AdversarialOptions | None:
    """The options as given to ``finetune``, refused before any data is read unless they make sense."""
    if kind is None:
        if eps is not None:
            raise ValueError(f"{where}: eps={eps!r} is only used with adversarial='pgd' or 'fgsm'; pass one, "
                             "or leave eps out.")
        return None
    if kind not in KINDS:
        raise ValueError(f"{where}: adversarial must be one of {KINDS} or None; got {kind!r}.")
    if eps is None:
        raise ValueError(f"{where}: adversarial={kind!r} needs eps, the attack's L-infinity radius as a fraction of "
                         "the pixel range (e.g. eps=0.3 for MNIST).")
    eps = attacks.check_eps(eps, where)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"{where}: attack_steps must be a whole number >= 1; got {steps!r}.")
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction <= 1:
        raise ValueError(f"{where}: adversarial_fraction must be in (0, 1] (the share of each batch replaced by "
                         f"its adversarial version); got {fraction!r}.")
    return AdversarialOptions(kind, eps, 1 if kind == "fgsm" else int(steps), float(fraction))


def input_box(preprocessing_name: str, channels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low, high, scale) per channel in network-input units: where pixels 0 and 255 land, and how
    far one pixel unit moves an input."""
    function = preprocessing.get(preprocessing_name)
    black = np.asarray(function(np.zeros((1, 1, 1, channels), "float32")), "float32").reshape(channels)
    white = np.asarray(function(np.full((1, 1, 1, channels), 255.0, "float32")), "float32").reshape(channels)
    return np.minimum(black, white), np.maximum(black, white), np.abs(white - black) / 255.0


def perturb_function(model, options: AdversarialOptions):
    """``(network inputs, labels) -> adversarial network inputs`` against ``model.network`` as it is now."""
    channels = model.image_shape[-1]
    low, high, scale = (tf.constant(v) for v in input_box(model.preprocessing, channels))
    radius = options.eps * 255.0 * scale
    step = options.step_size * 255.0 * scale
    logits = attacks.network_logits(model.network)

    def perturb(x, labels):
        x0 = tf.cast(x, "float32")
        labels = tf.cast(tf.reshape(labels, [-1]), "int64")
        start = tf.random.uniform(tf.shape(x0), -1.0, 1.0) * radius if options.kind == "pgd" else 0.0
        adversarial = tf.clip_by_value(x0 + start, low, high)
        for _ in range(options.steps):  # unrolled: a handful of steps
            with tf.GradientTape() as tape:
                tape.watch(adversarial)
                loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits(adversarial)))
            adversarial = adversarial + step * tf.sign(tape.gradient(loss, adversarial))
            adversarial = tf.clip_by_value(tf.clip_by_value(adversarial, x0 - radius, x0 + radius), low, high)
        return tf.cast(tf.stop_gradient(adversarial), x.dtype)

    return perturb


@contextlib.contextmanager
def training(model, options: AdversarialOptions | None) -> Iterator[None]:
    """While inside, ``model.fit`` trains on adversarial batches (nothing changes with ``options=None``)."""
    if options is None:
        yield
        return
    perturb = perturb_function(model, options)
    plain_step = type(model).train_step.__get__(model)

    def adversarial_step(data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        attacked = perturb(x, y)
        if options.fraction < 1:
            keep = tf.cast(tf.round(options.fraction * tf.cast(tf.shape(x)[0], "float32")), "int32")
            attacked = tf.concat([attacked[:keep], x[keep:]], axis=0)
        return plain_step(keras.utils.pack_x_y_sample_weight(attacked, y, sample_weight))

    # Set on the instance, around Keras' tracking: Keras builds its train function from self.train_step.
    object.__setattr__(model, "train_step", adversarial_step)
    model.train_function = None
    try:
        yield
    finally:
        object.__delattr__(model, "train_step")
        model.train_function = None
