"""Convolutional encoder and decoder for the VAE (Kingma & Welling, 2013) and the AAE.

Encoder: strided convs -> dense -> (mu, log sigma^2). Decoder: dense -> reshape ->
transposed convs -> sigmoid pixels in [0, 1]. Depth follows the image size as
in ``dcgan.upsampling_plan`` (28 -> 7x7 at the bottleneck).
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

from zoo.models.dcgan import upsampling_plan


def build_encoder(*, latent_dim: int = 16, image_shape: Sequence[int] = (28, 28, 1), base_filters: int = 32,
                  hidden_units: int = 256, variational: bool = True, name: str = "encoder") -> keras.Model:
    """``variational``: outputs (mean, log variance) for a VAE; else one deterministic code (the AAE's)."""
    size, _, channels = (int(v) for v in image_shape)
    _, steps = upsampling_plan(size)
    images = keras.Input((size, size, channels), name="images")
    x = images
    for index in range(steps):
        x = layers.Conv2D(base_filters * 2**index, 3, strides=2, padding="same", activation="relu",
                          name=f"encoder_conv{index + 1}")(x)
    x = layers.Flatten(name="encoder_flatten")(x)
    x = layers.Dense(hidden_units, activation="relu", name="encoder_dense")(x)
    mean = layers.Dense(latent_dim, name="encoder_mean", dtype="float32")(x)
    if not variational:
        return keras.Model(images, mean, name=name)
    log_variance = layers.Dense(latent_dim, name="encoder_log_variance", dtype="float32")(x)
    return keras.Model(images, [mean, log_variance], name=name)


def build_latent_discriminator(*, latent_dim: int = 16, hidden_units: int = 256, num_classes: int | None = None,
                               name: str = "latent_discriminator"):
    """The adversarial autoencoder's discriminator: an MLP telling prior samples from codes.

    With ``num_classes`` it also sees the one-hot label (the label-conditioned prior).
    """
    code = keras.Input((latent_dim,), name="code")
    inputs, x = code, code
    if num_classes:
        label = keras.Input((num_classes,), name="label_one_hot")
        inputs = [code, label]
        x = layers.Concatenate(name="latent_discriminator_concat")([code, label])
    x = layers.Dense(hidden_units, name="latent_discriminator_dense1")(x)
    x = layers.LeakyReLU(0.2, name="latent_discriminator_lrelu1")(x)
    x = layers.Dense(hidden_units, name="latent_discriminator_dense2")(x)
    x = layers.LeakyReLU(0.2, name="latent_discriminator_lrelu2")(x)
    return keras.Model(inputs, layers.Dense(1, name="latent_discriminator_logit", dtype="float32")(x), name=name)


def build_decoder(*, latent_dim: int = 16, image_shape: Sequence[int] = (28, 28, 1), base_filters: int = 32,
                  hidden_units: int = 256, name: str = "decoder") -> keras.Model:
    size, _, channels = (int(v) for v in image_shape)
    start, steps = upsampling_plan(size)
    top = base_filters * 2 ** (steps - 1)
    code = keras.Input((latent_dim,), name="code")
    x = layers.Dense(hidden_units, activation="relu", name="decoder_dense")(code)
    x = layers.Dense(start * start * top, activation="relu", name="decoder_expand")(x)
    x = layers.Reshape((start, start, top), name="decoder_reshape")(x)
    for index in range(steps - 1):
        x = layers.Conv2DTranspose(base_filters * 2 ** (steps - 2 - index), 3, strides=2, padding="same",
                                   activation="relu", name=f"decoder_up{index + 1}")(x)
    x = layers.Conv2DTranspose(channels, 3, strides=2, padding="same", name="decoder_out")(x)
    pixels = layers.Activation("sigmoid", name="decoder_sigmoid", dtype="float32")(x)
    return keras.Model(code, pixels, name=name)
