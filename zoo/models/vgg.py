"""VGG (Simonyan & Zisserman, 2015): five blocks of 3x3 convs, each closed by a 2x2 max pool.

The conv plan per depth is data (``zoo/families/vgg.py`` ``CONV_PLANS``). Without batch
norm the layers are keras.applications' exactly (each ``block{b}_conv{c}`` a Conv2D with
its ReLU, so its output is the rectified map style transfer reads); with ``batch_norm=True``
each conv is followed by ``block{b}_conv{c}_bn`` (epsilon 1e-5, torchvision's) and
``block{b}_conv{c}_relu``.

The head follows torchvision: average-pool to 7x7 (a no-op at 224x224, so keras.applications'
weights, flattened from 7x7x512, fit too), flatten, fc1/fc2 of 4096 with dropout, predictions.
The pooling lets the head run from the 32x32 minimum up.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

from zoo.families.vgg import BLOCK_FILTERS, CONV_PLANS
from zoo.models._common import classifier_input, classifier_model, dense_predictions, scaled
from zoo.models.layers import AdaptiveAveragePooling2D

# Five 2x2 pools: 32x32 is the smallest input that leaves a 1x1 map (torchvision: min_size 32).
MIN_INPUT_SIZE = 32
BN_EPSILON = 1e-5


def _conv(x, filters: int, name: str, batch_norm: bool):
    if not batch_norm:
        return layers.Conv2D(filters, 3, padding="same", activation="relu", name=name)(x)
    x = layers.Conv2D(filters, 3, padding="same", name=name)(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def build_vgg(
    *,
    depth: int = 16,
    batch_norm: bool = False,
    num_classes: int = 1000,
    input_shape: Sequence[int | None] = (224, 224, 3),
    include_top: bool = True,
    pooling: str | None = None,
    dropout: float = 0.5,
    width: float = 1.0,
    fc_units: int = 4096,
    classifier_activation: str | None = "softmax",
    name: str | None = None,
) -> keras.Model:
    """VGG-``depth`` (11, 13, 16 or 19) as a functional Keras model; ``width`` scales every conv,
    ``fc_units`` fc1 and fc2 (1.0 and 4096 are the published network, which the weights need).

    >>> build_vgg(depth=11, num_classes=10, input_shape=(32, 32, 3), fc_units=64).output_shape
    (None, 10)
    """
    if depth not in CONV_PLANS:
        raise ValueError(f"{name or 'vgg'}: depth must be one of {sorted(CONV_PLANS)} (the paper's configurations "
                         f"A, B, D, E), got {depth!r}.")
    name = name or f"vgg{depth}{'_bn' if batch_norm else ''}"
    if not isinstance(fc_units, int) or fc_units < 1:
        raise ValueError(f"{name}: fc_units must be a positive integer, got {fc_units!r}.")
    inputs = classifier_input(name, input_shape, MIN_INPUT_SIZE, num_classes=num_classes, pooling=pooling,
                              width=width, allow_dynamic=not include_top)
    x = inputs
    for block, (convs, filters) in enumerate(zip(CONV_PLANS[depth], BLOCK_FILTERS), start=1):
        for conv in range(1, convs + 1):
            x = _conv(x, scaled(filters, width), f"block{block}_conv{conv}", batch_norm)
        x = layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)

    def head(x):
        x = AdaptiveAveragePooling2D(7, name="avgpool")(x)
        x = layers.Flatten(name="flatten")(x)
        for fc in ("fc1", "fc2"):
            x = layers.Dense(fc_units, activation="relu", name=fc)(x)
            x = layers.Dropout(dropout, name=f"{fc}_dropout")(x)
        return dense_predictions(x, num_classes, classifier_activation)

    return classifier_model(inputs, x, head, name=name, include_top=include_top, pooling=pooling)
