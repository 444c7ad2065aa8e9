"""AlexNet (Krizhevsky et al., 2012) in the single-tower layout torchvision uses.

Convs of 64-192-384-256-256 filters, features average-pooled to 6x6, then a
dropout + 4096-4096 classifier: 61,100,840 parameters at 1000 classes. Paddings
are PyTorch's (symmetric), so torchvision's weights map one to one. Note the
flatten order: Keras flattens (H, W, C) where PyTorch flattens (C, H, W); the
weights converter permutes ``fc6`` accordingly.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

from zoo.models._common import classifier_input, classifier_model, dense_predictions, scaled
from zoo.models.layers import AdaptiveAveragePooling2D

# Smallest input whose last max pool still sees a 3x3 map (torchvision: min_size 63).
MIN_INPUT_SIZE = 63

# (name, filters, kernel, stride, padding, max pool after it)
CONVS = (
    ("conv1", 64, 11, 4, 2, True),
    ("conv2", 192, 5, 1, 2, True),
    ("conv3", 384, 3, 1, 1, False),
    ("conv4", 256, 3, 1, 1, False),
    ("conv5", 256, 3, 1, 1, True),
)


def build_alexnet(
    *,
    num_classes: int = 1000,
    input_shape: Sequence[int | None] = (224, 224, 3),
    include_top: bool = True,
    pooling: str | None = None,
    dropout: float = 0.5,
    width: float = 1.0,
    fc_units: int = 4096,
    classifier_activation: str | None = "softmax",
    name: str = "alexnet",
) -> keras.Model:
    """AlexNet as a functional Keras model; ``width`` scales every conv, ``fc_units`` the two
    hidden dense layers (1.0 and 4096 are the published network, which the weights need).

    >>> build_alexnet(num_classes=10, input_shape=(64, 64, 3)).output_shape
    (None, 10)
    """
    inputs = classifier_input(name, input_shape, MIN_INPUT_SIZE, num_classes=num_classes, pooling=pooling,
                              width=width, allow_dynamic=not include_top)
    x = inputs
    for conv_name, filters, kernel, stride, padding, pool_after in CONVS:
        x = layers.ZeroPadding2D(padding, name=f"{conv_name}_pad")(x)
        x = layers.Conv2D(scaled(filters, width), kernel, strides=stride, name=conv_name)(x)
        x = layers.Activation("relu", name=f"{conv_name}_relu")(x)
        if pool_after:
            x = layers.MaxPooling2D(3, strides=2, name=f"pool{conv_name[-1]}")(x)

    def head(x):
        x = AdaptiveAveragePooling2D(6, name="avgpool")(x)
        x = layers.Flatten(name="flatten")(x)
        for fc in ("fc6", "fc7"):
            x = layers.Dropout(dropout, name=f"{fc}_dropout")(x)
            x = layers.Dense(fc_units, activation="relu", name=fc)(x)
        return dense_predictions(x, num_classes, classifier_activation)

    return classifier_model(inputs, x, head, name=name, include_top=include_top, pooling=pooling)
