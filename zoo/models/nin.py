"""Network in Network (Lin, Chen & Yan, 2013), the ImageNet model.

Four mlpconv blocks (a spatial conv followed by two 1x1 convs, the "micro MLP"),
max pooling between them, dropout after the third, and no dense head: the last
1x1 conv emits one map per class and global average pooling turns each map into
a score. Unlike the original Caffe model we do not apply a ReLU to the class
maps, which would clip every negative score before the softmax.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

from zoo.models._common import classifier_input, classifier_model, global_average_pool, scaled

# (filters, kernel, stride) of each block's spatial conv; its two 1x1 convs keep the width.
BLOCKS = ((96, 11, 4), (256, 5, 1), (384, 3, 1), (1024, 3, 1))
# Smallest input whose third max pool still sees a 3x3 map.
MIN_INPUT_SIZE = 67


def _mlpconv(x, filters: int, kernel: int, stride: int, name: str, *, last_1x1: bool = True):
    padding = "valid" if stride > 1 else "same"
    x = layers.Conv2D(filters, kernel, strides=stride, padding=padding, activation="relu", name=f"{name}_conv")(x)
    x = layers.Conv2D(filters, 1, activation="relu", name=f"{name}_mlp1")(x)
    if last_1x1:
        x = layers.Conv2D(filters, 1, activation="relu", name=f"{name}_mlp2")(x)
    return x


def build_nin(
    *,
    num_classes: int = 1000,
    input_shape: Sequence[int | None] = (224, 224, 3),
    include_top: bool = True,
    pooling: str | None = None,
    dropout: float = 0.5,
    width: float = 1.0,
    classifier_activation: str | None = "softmax",
    name: str = "nin",
) -> keras.Model:
    """Network in Network as a functional Keras model; ``width`` scales every block (1.0 is published).

    With ``include_top=False`` the output is the 1024-channel map of the fourth
    block before its class-map conv.

    >>> build_nin(num_classes=10, input_shape=(96, 96, 3)).output_shape
    (None, 10)
    """
    inputs = classifier_input(name, input_shape, MIN_INPUT_SIZE, num_classes=num_classes, pooling=pooling,
                              width=width)
    x = inputs
    for index, (filters, kernel, stride) in enumerate(BLOCKS[:3], start=1):
        x = _mlpconv(x, scaled(filters, width), kernel, stride, f"block{index}")
        x = layers.MaxPooling2D(3, strides=2, name=f"block{index}_pool")(x)
    x = layers.Dropout(dropout, name="block3_dropout")(x)
    filters, kernel, stride = BLOCKS[3]
    # The fourth block's second 1x1 conv is the class-map conv, built below as the head.
    x = _mlpconv(x, scaled(filters, width), kernel, stride, "block4", last_1x1=False)

    def head(x):
        # No dense layer: one class map per class, averaged into its score.
        x = global_average_pool(layers.Conv2D(num_classes, 1, name="predictions", dtype="float32")(x))
        if classifier_activation is not None:
            x = layers.Activation(classifier_activation, name="probabilities", dtype="float32")(x)
        return x

    return classifier_model(inputs, x, head, name=name, include_top=include_top, pooling=pooling)
