"""The "Lego" CNN: a plain stack of conv blocks described as data, the search space of ``zoo.tune("lego_cnn")``.

Architecture design as it is usually taught: stack blocks and decide, per block,
its width and kernel, whether a max pool follows, how many NiN-style 1x1 convs
(a "micro MLP") refine it, and whether it is an Inception-style block (parallel
1x1 / 3x3 / 5x5 / pool-projection branches, concatenated) instead of one conv.
The head is global average pooling (NiN, GoogLeNet) or flatten + a dense layer
(AlexNet, VGG). Each block is a dict::

    {"filters": 64, "kernel": 3, "pool": True, "mlpconv": 1, "inception": False}

Every conv is followed by BatchNorm (momentum 0.9) and ReLU; pools use "same"
padding, so any input size of at least 1 pixel works.
"""

from __future__ import annotations

from typing import Any, Sequence

import keras
from keras import layers

from zoo.models._common import classifier_input, classifier_model, dense_predictions, global_average_pool

DEFAULT_BLOCKS = (
    {"filters": 64, "kernel": 3, "pool": True, "mlpconv": 0, "inception": False},
    {"filters": 128, "kernel": 3, "pool": True, "mlpconv": 0, "inception": False},
    {"filters": 256, "kernel": 3, "pool": True, "mlpconv": 1, "inception": False},
    {"filters": 512, "kernel": 3, "pool": True, "mlpconv": 0, "inception": True},
)
HEADS = ("gap", "dense")
BLOCK_KEYS = {"filters", "kernel", "pool", "mlpconv", "inception"}


def _conv(x, filters: int, kernel: int, name: str):
    x = layers.Conv2D(filters, kernel, padding="same", use_bias=False, name=f"{name}_conv")(x)
    # Momentum 0.9, not Keras' 0.99: a search trial trains a few hundred steps, and with 0.99 the
    # moving statistics are still mostly their initial values then; tools/search_mnist.py scored
    # 9 of 10 trials at chance (0.105) with 0.99.
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _inception(x, filters: int, name: str):
    """Branches of 1/4, 1/2, 1/8 and 1/8 of ``filters`` (1x1, 3x3 after a 1x1 reduce, 5x5 after a
    1x1 reduce, 3x3 max pool + 1x1 projection), concatenated."""
    quarter, half, eighth = max(filters // 4, 1), max(filters // 2, 1), max(filters // 8, 1)
    one = _conv(x, quarter, 1, f"{name}_1x1")
    three = _conv(_conv(x, max(half // 2, 1), 1, f"{name}_3x3_reduce"), half, 3, f"{name}_3x3")
    five = _conv(_conv(x, eighth, 1, f"{name}_5x5_reduce"), eighth, 5, f"{name}_5x5")
    pool = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_branch_pool")(x)
    pool = _conv(pool, eighth, 1, f"{name}_pool_proj")
    return layers.Concatenate(name=f"{name}_concat")([one, three, five, pool])


def check_blocks(blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if not blocks:
        raise ValueError("lego_cnn: blocks must list at least one block.")
    checked = []
    for index, block in enumerate(blocks):
        unknown = set(block) - BLOCK_KEYS
        if unknown or "filters" not in block:
            raise ValueError(f"lego_cnn: block {index} must have 'filters' and only keys {sorted(BLOCK_KEYS)}; "
                             f"got {block!r}.")
        checked.append({"kernel": 3, "pool": False, "mlpconv": 0, "inception": False, **block})
    return checked


def build_lego_cnn(
    *,
    blocks: Sequence[dict[str, Any]] = DEFAULT_BLOCKS,
    head: str = "gap",
    dense_units: int = 256,
    dropout: float = 0.0,
    num_classes: int = 1000,
    input_shape: Sequence[int | None] = (224, 224, 3),
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: str | None = "softmax",
    name: str = "lego_cnn",
) -> keras.Model:
    """A conv stack from ``blocks``.

    >>> model = build_lego_cnn(blocks=[{"filters": 8, "pool": True}], num_classes=3, input_shape=(16, 16, 1))
    >>> model.output_shape
    (None, 3)
    """
    blocks = check_blocks(blocks)
    if head not in HEADS:
        raise ValueError(f"lego_cnn: head must be one of {HEADS}; got {head!r}.")
    inputs = classifier_input(name, input_shape, 1, num_classes=num_classes, pooling=pooling,
                              allow_dynamic=head == "gap" or not include_top)
    x = inputs
    for index, block in enumerate(blocks):
        prefix = f"block{index + 1}"
        if block["inception"]:
            x = _inception(x, int(block["filters"]), prefix)
        else:
            x = _conv(x, int(block["filters"]), int(block["kernel"]), prefix)
        for micro in range(int(block["mlpconv"])):
            x = _conv(x, int(block["filters"]), 1, f"{prefix}_mlp{micro + 1}")
        if block["pool"]:
            x = layers.MaxPooling2D(2, padding="same", name=f"{prefix}_pool")(x)

    def top(x):
        if head == "gap":
            x = global_average_pool(x)
        else:
            x = layers.Dense(dense_units, activation="relu", name="fc")(layers.Flatten(name="flatten")(x))
        return dense_predictions(x, num_classes, classifier_activation, dropout=dropout)

    return classifier_model(inputs, x, top, name=name, include_top=include_top, pooling=pooling)
