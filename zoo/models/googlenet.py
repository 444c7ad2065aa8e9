"""GoogLeNet / Inception v1 (Szegedy et al., 2014) with its two auxiliary classifiers.

The layout is torchvision's (every conv followed by BatchNorm with epsilon 1e-3,
the "5x5" branch built with a 3x3 kernel as in torchvision's weights, ceil-mode
max pooling), so torchvision's weights map one to one; layer names follow
torchvision's module names with ``_`` for ``.``. Without the auxiliary heads the
model has 6,624,904 trainable parameters at 1000 classes.

With ``aux_logits=True`` the model has three outputs ``[main, aux1, aux2]``;
``zoo``'s image classifier trains all three (auxiliary loss weight 0.3 each, as
in the paper) and predicts with the main one only.
"""

from __future__ import annotations

import math
from typing import Sequence

import keras
from keras import layers

from zoo.models._common import classifier_input, classifier_model, dense_predictions, global_average_pool, scaled
from zoo.models.layers import AdaptiveAveragePooling2D

BN_EPSILON = 1e-3
# torchvision's metadata gives 15x15 as GoogLeNet's smallest input.
MIN_INPUT_SIZE = 15

# name: (1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool projection)
INCEPTION_BLOCKS = {
    "inception3a": (64, 96, 128, 16, 32, 32),
    "inception3b": (128, 128, 192, 32, 96, 64),
    "inception4a": (192, 96, 208, 16, 48, 64),
    "inception4b": (160, 112, 224, 24, 64, 64),
    "inception4c": (128, 128, 256, 24, 64, 64),
    "inception4d": (112, 144, 288, 32, 64, 64),
    "inception4e": (256, 160, 320, 32, 128, 128),
    "inception5a": (256, 160, 320, 32, 128, 128),
    "inception5b": (384, 192, 384, 48, 128, 128),
}


def _conv_bn(x, filters: int, kernel: int, name: str, *, stride: int = 1):
    """torchvision's BasicConv2d: conv without bias, BatchNorm, ReLU."""
    if kernel > 1 and stride > 1:
        x = layers.ZeroPadding2D(kernel // 2, name=f"{name}_pad")(x)
        padding = "valid"
    else:
        padding = "same"
    x = layers.Conv2D(filters, kernel, strides=stride, padding=padding, use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _ceil_max_pool(x, pool: int, stride: int, name: str):
    """Max pooling with PyTorch's ``ceil_mode=True``: a last, partial window is kept.

    Padding the bottom/right with zeros is exact here because every input is a
    ReLU output (>= 0), so a zero never wins over a real value.
    """
    pads = []
    for size in x.shape[1:3]:
        out = math.ceil((size - pool) / stride) + 1
        pads.append(max((out - 1) * stride + pool - size, 0))
    if any(pads):
        x = layers.ZeroPadding2D(((0, pads[0]), (0, pads[1])), name=f"{name}_pad")(x)
    return layers.MaxPooling2D(pool, strides=stride, name=name)(x)


def _inception(x, name: str, widths: tuple[int, ...], width: float):
    b1, b2_reduce, b2, b3_reduce, b3, b4 = (scaled(filters, width) for filters in widths)
    branch1 = _conv_bn(x, b1, 1, f"{name}_branch1")
    branch2 = _conv_bn(x, b2_reduce, 1, f"{name}_branch2_0")
    branch2 = _conv_bn(branch2, b2, 3, f"{name}_branch2_1")
    branch3 = _conv_bn(x, b3_reduce, 1, f"{name}_branch3_0")
    branch3 = _conv_bn(branch3, b3, 3, f"{name}_branch3_1")
    branch4 = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_branch4_pool")(x)
    branch4 = _conv_bn(branch4, b4, 1, f"{name}_branch4_1")
    return layers.Concatenate(name=f"{name}_concat")([branch1, branch2, branch3, branch4])


def _aux_head(x, num_classes: int, name: str, activation: str | None, dropout: float, width: float):
    x = AdaptiveAveragePooling2D(4, name=f"{name}_pool")(x)
    x = _conv_bn(x, scaled(128, width), 1, f"{name}_conv")
    x = layers.Flatten(name=f"{name}_flatten")(x)
    x = layers.Dense(scaled(1024, width), activation="relu", name=f"{name}_fc1")(x)
    x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return layers.Dense(num_classes, activation=activation, name=f"{name}_fc2", dtype="float32")(x)


def build_googlenet(
    *,
    num_classes: int = 1000,
    input_shape: Sequence[int] = (224, 224, 3),
    include_top: bool = True,
    pooling: str | None = None,
    aux_logits: bool = False,
    dropout: float = 0.2,
    aux_dropout: float = 0.7,
    width: float = 1.0,
    classifier_activation: str | None = "softmax",
    name: str = "googlenet",
) -> keras.Model:
    """GoogLeNet as a functional Keras model (three outputs when ``aux_logits``); ``width`` scales
    every conv and the auxiliary heads (1.0 is the published network).

    >>> build_googlenet(num_classes=10, input_shape=(64, 64, 3), aux_logits=True).output_shape
    [(None, 10), (None, 10), (None, 10)]
    """
    if aux_logits and not include_top:
        raise ValueError("googlenet: aux_logits=True needs include_top=True (the auxiliary heads are classifiers).")
    inputs = classifier_input(name, input_shape, MIN_INPUT_SIZE, num_classes=num_classes, pooling=pooling,
                              width=width, allow_dynamic=False)

    x = _conv_bn(inputs, scaled(64, width), 7, "conv1", stride=2)
    x = _ceil_max_pool(x, 3, 2, "maxpool1")
    x = _conv_bn(x, scaled(64, width), 1, "conv2")
    x = _conv_bn(x, scaled(192, width), 3, "conv3")
    x = _ceil_max_pool(x, 3, 2, "maxpool2")
    x = _inception(x, "inception3a", INCEPTION_BLOCKS["inception3a"], width)
    x = _inception(x, "inception3b", INCEPTION_BLOCKS["inception3b"], width)
    x = _ceil_max_pool(x, 3, 2, "maxpool3")
    aux_inputs = []
    for block in ("inception4a", "inception4b", "inception4c", "inception4d", "inception4e"):
        x = _inception(x, block, INCEPTION_BLOCKS[block], width)
        if block in ("inception4a", "inception4d"):
            aux_inputs.append(x)
    x = _ceil_max_pool(x, 2, 2, "maxpool4")
    x = _inception(x, "inception5a", INCEPTION_BLOCKS["inception5a"], width)
    x = _inception(x, "inception5b", INCEPTION_BLOCKS["inception5b"], width)

    def head(x):
        x = layers.Dropout(dropout, name="dropout")(global_average_pool(x))
        main = dense_predictions(x, num_classes, classifier_activation)
        if not aux_logits:
            return main
        aux1 = _aux_head(aux_inputs[0], num_classes, "aux1", classifier_activation, aux_dropout, width)
        aux2 = _aux_head(aux_inputs[1], num_classes, "aux2", classifier_activation, aux_dropout, width)
        return [main, aux1, aux2]

    return classifier_model(inputs, x, head, name=name, include_top=include_top, pooling=pooling)
