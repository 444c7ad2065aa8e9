"""DCGAN generator and discriminator (Radford, Metz & Chintala, 2015).

Generator: dense -> reshape -> transposed convs (stride 2) with BatchNorm + ReLU,
tanh out. Discriminator: strided convs with LeakyReLU(0.2), no pooling, BatchNorm
after the first conv (LayerNorm instead for the WGAN-GP critic, whose gradient
penalty is per example), one logit out. With ``num_classes`` both take a class
label too, embedded and concatenated (the conditional GAN of Mirza & Osindero,
2014; registered as ``cgan``).
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers


def upsampling_plan(size: int) -> tuple[int, int]:
    """``(start size, number of stride-2 upsamplings)``: 28 -> (7, 2), 32 -> (4, 3), 64 -> (4, 4)."""
    start, steps = size, 0
    while start % 2 == 0 and start > 7:
        start //= 2
        steps += 1
    if steps == 0:
        raise ValueError(f"dcgan: image size {size} must be divisible by 2 at least once (e.g. 28, 32, 64).")
    return start, steps


def _check_shape(image_shape: Sequence[int]) -> tuple[int, int, int]:
    height, width, channels = (int(v) for v in image_shape)
    if height != width:
        raise ValueError(f"dcgan: images must be square, got {height}x{width}.")
    return height, width, channels


def build_generator(
    *,
    latent_dim: int = 100,
    image_shape: Sequence[int] = (28, 28, 1),
    base_filters: int = 64,
    num_classes: int | None = None,
    embedding_dim: int = 50,
    name: str = "generator",
) -> keras.Model:
    size, _, channels = _check_shape(image_shape)
    start, steps = upsampling_plan(size)
    noise = keras.Input((latent_dim,), name="noise")
    inputs = [noise]
    x = noise
    if num_classes:
        label = keras.Input((), dtype="int32", name="label")
        inputs.append(label)
        embedded = layers.Embedding(num_classes, embedding_dim, name="generator_label_embedding")(label)
        x = layers.Concatenate(name="generator_concat")([noise, embedded])
    top = base_filters * 2 ** (steps - 1)
    x = layers.Dense(start * start * top, use_bias=False, name="generator_dense")(x)
    x = layers.BatchNormalization(name="generator_dense_bn")(x)
    x = layers.ReLU(name="generator_dense_relu")(x)
    x = layers.Reshape((start, start, top), name="generator_reshape")(x)
    for index in range(steps - 1):
        filters = base_filters * 2 ** (steps - 2 - index)
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False, name=f"generator_up{index + 1}")(x)
        x = layers.BatchNormalization(name=f"generator_up{index + 1}_bn")(x)
        x = layers.ReLU(name=f"generator_up{index + 1}_relu")(x)
    x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", name="generator_out")(x)
    images = layers.Activation("tanh", name="generator_tanh", dtype="float32")(x)
    return keras.Model(inputs if num_classes else noise, images, name=name)


def build_discriminator(
    *,
    image_shape: Sequence[int] = (28, 28, 1),
    base_filters: int = 64,
    num_classes: int | None = None,
    norm: str = "batch",
    name: str = "discriminator",
) -> keras.Model:
    size, _, channels = _check_shape(image_shape)
    _, steps = upsampling_plan(size)
    images = keras.Input((size, size, channels), name="images")
    inputs = [images]
    x = images
    if num_classes:
        label = keras.Input((), dtype="int32", name="label")
        inputs.append(label)
        # The label becomes one extra image plane, so every conv sees it.
        plane = layers.Embedding(num_classes, size * size, name="discriminator_label_embedding")(label)
        plane = layers.Reshape((size, size, 1), name="discriminator_label_plane")(plane)
        x = layers.Concatenate(name="discriminator_concat")([images, plane])
    for index in range(steps):
        x = layers.Conv2D(base_filters * 2**index, 4, strides=2, padding="same", name=f"discriminator_conv{index + 1}")(x)
        if index > 0 and norm == "batch":
            x = layers.BatchNormalization(name=f"discriminator_conv{index + 1}_bn")(x)
        elif index > 0 and norm == "layer":
            x = layers.LayerNormalization(name=f"discriminator_conv{index + 1}_ln")(x)
        x = layers.LeakyReLU(0.2, name=f"discriminator_conv{index + 1}_lrelu")(x)
    x = layers.Flatten(name="discriminator_flatten")(x)
    logit = layers.Dense(1, name="discriminator_logit", dtype="float32")(x)
    return keras.Model(inputs if num_classes else images, logit, name=name)
