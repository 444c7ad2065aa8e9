"""pix2pix networks (Isola et al., 2016): a U-Net generator and a PatchGAN discriminator.

U-Net: stride-2 conv blocks down to 1x1 (BatchNorm + LeakyReLU(0.2), none on the
first), transposed-conv blocks back up (BatchNorm + ReLU, dropout 0.5 on the
first three), each concatenated with the encoder block of the same size, tanh
out. PatchGAN: the source and target images stacked, stride-2 convs, then a
stride-1 conv to one logit per patch (70x70 receptive fields at 256x256 with
three stride-2 layers). Image sizes are powers of two from 32 to 256.
"""

from __future__ import annotations

import math
from typing import Sequence

import keras
from keras import layers


def _depth(size: int) -> int:
    depth = int(math.log2(size)) if size > 0 else 0
    if 2**depth != size or not 32 <= size <= 256:
        raise ValueError(f"pix2pix: image size must be a power of two from 32 to 256; got {size}.")
    return depth


def build_generator(*, image_shape: Sequence[int] = (32, 32, 1), output_channels: int | None = None,
                    base_filters: int = 64, name: str = "generator") -> keras.Model:
    size, _, channels = (int(v) for v in image_shape)
    depth = _depth(size)
    source = keras.Input((size, size, channels), name="source")
    x, skips = source, []
    for index in range(depth):
        filters = min(base_filters * 2**index, base_filters * 8)
        x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=index == 0, name=f"generator_down{index + 1}")(x)
        if index > 0:
            x = layers.BatchNormalization(name=f"generator_down{index + 1}_bn")(x)
        x = layers.LeakyReLU(0.2, name=f"generator_down{index + 1}_lrelu")(x)
        skips.append(x)
    for index, skip in enumerate(reversed(skips[:-1])):
        filters = min(base_filters * 2 ** (depth - 2 - index), base_filters * 8)
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False, name=f"generator_up{index + 1}")(x)
        x = layers.BatchNormalization(name=f"generator_up{index + 1}_bn")(x)
        if index < 3:
            x = layers.Dropout(0.5, name=f"generator_up{index + 1}_dropout")(x)
        x = layers.ReLU(name=f"generator_up{index + 1}_relu")(x)
        x = layers.Concatenate(name=f"generator_skip{index + 1}")([x, skip])
    x = layers.Conv2DTranspose(output_channels or channels, 4, strides=2, padding="same", name="generator_out")(x)
    return keras.Model(source, layers.Activation("tanh", name="generator_tanh", dtype="float32")(x), name=name)


def build_discriminator(*, image_shape: Sequence[int] = (32, 32, 1), output_channels: int | None = None,
                        base_filters: int = 64, name: str = "discriminator") -> keras.Model:
    size, _, channels = (int(v) for v in image_shape)
    strided = min(3, _depth(size) - 2)
    source = keras.Input((size, size, channels), name="source")
    target = keras.Input((size, size, output_channels or channels), name="target")
    x = layers.Concatenate(name="discriminator_pair")([source, target])
    for index in range(strided):
        x = layers.Conv2D(base_filters * 2**index, 4, strides=2, padding="same", name=f"discriminator_conv{index + 1}")(x)
        if index > 0:
            x = layers.BatchNormalization(name=f"discriminator_conv{index + 1}_bn")(x)
        x = layers.LeakyReLU(0.2, name=f"discriminator_conv{index + 1}_lrelu")(x)
    x = layers.Conv2D(base_filters * 2**strided, 4, padding="same", name="discriminator_conv_last")(x)
    x = layers.LeakyReLU(0.2, name="discriminator_conv_last_lrelu")(x)
    patches = layers.Conv2D(1, 4, padding="same", name="discriminator_patches", dtype="float32")(x)
    return keras.Model([source, target], patches, name=name)
