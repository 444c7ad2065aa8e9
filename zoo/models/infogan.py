"""InfoGAN networks (Chen et al., 2016): the DCGAN generator on a structured latent, and the DCGAN
discriminator with the Q head grown from its body.

The discriminator and Q share every conv (the paper's choice: Q costs one small head,
not a second network). One model returns a dict: ``logit`` (real vs fake), and Q's guesses
of the codes behind an image: ``categorical`` (logits, one block per categorical code,
side by side), ``mean`` and, for a Gaussian Q, ``log_std`` of the continuous codes.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

from zoo.models import dcgan


def build_discriminator_with_q(
    *,
    image_shape: Sequence[int] = (28, 28, 1),
    base_filters: int = 64,
    categorical_codes: Sequence[int] = (10,),
    continuous_codes: int = 2,
    gaussian: bool = True,
    q_units: int = 128,
    name: str = "discriminator",
) -> keras.Model:
    body = dcgan.build_discriminator(image_shape=image_shape, base_filters=base_filters, norm="batch")
    features = body.get_layer("discriminator_flatten").output
    outputs = {"logit": body.output}
    x = layers.Dense(q_units, use_bias=False, name="q_dense")(features)
    x = layers.BatchNormalization(name="q_dense_bn")(x)
    x = layers.LeakyReLU(0.2, name="q_dense_lrelu")(x)
    if categorical_codes:
        outputs["categorical"] = layers.Dense(sum(categorical_codes), name="q_categorical", dtype="float32")(x)
    if continuous_codes:
        outputs["mean"] = layers.Dense(continuous_codes, name="q_mean", dtype="float32")(x)
        if gaussian:
            outputs["log_std"] = layers.Dense(continuous_codes, name="q_log_std", dtype="float32")(x)
    return keras.Model(body.input, outputs, name=name)
