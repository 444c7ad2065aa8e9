"""ResNet-18/34/50/101/152 (He et al., 2015), in the two layouts users meet.

``variant="v1"`` is keras.applications' layout (stride 2 in the first 1x1 conv of a
bottleneck, biases on every conv, BN epsilon 1.001e-5); layer names are the same
as keras.applications', so its weights load by name. ``variant="v1.5"`` is
torchvision's and timm's (stride on the 3x3 conv, no conv biases, BN epsilon
1e-5). Strided 3x3 convs pad explicitly by one on each side, as PyTorch does,
rather than Keras' asymmetric "same".

``stem="cifar"`` swaps the 7x7/2 conv and max pool for one 3x3/1 conv, the usual
stem for 32x32 images; ``base_width`` scales every stage (64 is the published
width; the bundled MNIST model uses 16).
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

from zoo.models._common import classifier_input, classifier_model, dense_predictions, global_average_pool
from zoo.models.fused_batch_norm import FusedBatchNormalization

BLOCKS_PER_STAGE = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}
BOTTLENECK_DEPTHS = frozenset({50, 101, 152})
# Stage widths are base_width * (1, 2, 4, 8); 64 is the published ResNet.
STAGE_MULTIPLIERS = (1, 2, 4, 8)

# What distinguishes the layouts; everything else is shared.
VARIANTS = {
    "v1": {"stride_on_3x3": False, "conv_bias": True, "bn_epsilon": 1.001e-5},
    "v1.5": {"stride_on_3x3": True, "conv_bias": False, "bn_epsilon": 1e-5},
}
STEMS = ("imagenet", "cifar")


class _Layout:
    def __init__(self, variant: str, bn_momentum: float = 0.99):
        if variant not in VARIANTS:
            raise ValueError(f"resnet: variant must be one of {sorted(VARIANTS)}, got {variant!r}.")
        knobs = VARIANTS[variant]
        self.stride_on_3x3: bool = knobs["stride_on_3x3"]
        self.conv_bias: bool = knobs["conv_bias"]
        self.bn_epsilon: float = knobs["bn_epsilon"]
        self.bn_momentum = bn_momentum

    def conv(self, x, filters: int, kernel: int, stride: int, name: str):
        if kernel > 1 and stride > 1:
            x = layers.ZeroPadding2D(kernel // 2, name=f"{name}_pad")(x)
            padding = "valid"
        else:
            padding = "same"
        return layers.Conv2D(
            filters, kernel, strides=stride, padding=padding, use_bias=self.conv_bias, name=name
        )(x)

    def bn(self, x, name: str):
        # Fused: one op instead of Keras' eight (bench/resnet50.py measures the difference).
        return FusedBatchNormalization(axis=-1, epsilon=self.bn_epsilon, momentum=self.bn_momentum, name=name)(x)


def _basic_block(x, layout: _Layout, filters: int, stride: int, name: str):
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layout.conv(x, filters, 1, stride, f"{name}_0_conv")
        shortcut = layout.bn(shortcut, f"{name}_0_bn")
    else:
        shortcut = x
    y = layout.conv(x, filters, 3, stride, f"{name}_1_conv")
    y = layout.bn(y, f"{name}_1_bn")
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layout.conv(y, filters, 3, 1, f"{name}_2_conv")
    y = layout.bn(y, f"{name}_2_bn")
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def _bottleneck_block(x, layout: _Layout, filters: int, stride: int, name: str):
    expanded = 4 * filters
    if stride != 1 or x.shape[-1] != expanded:
        shortcut = layout.conv(x, expanded, 1, stride, f"{name}_0_conv")
        shortcut = layout.bn(shortcut, f"{name}_0_bn")
    else:
        shortcut = x
    stride_1x1, stride_3x3 = (1, stride) if layout.stride_on_3x3 else (stride, 1)
    y = layout.conv(x, filters, 1, stride_1x1, f"{name}_1_conv")
    y = layout.bn(y, f"{name}_1_bn")
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layout.conv(y, filters, 3, stride_3x3, f"{name}_2_conv")
    y = layout.bn(y, f"{name}_2_bn")
    y = layers.Activation("relu", name=f"{name}_2_relu")(y)
    y = layout.conv(y, expanded, 1, 1, f"{name}_3_conv")
    y = layout.bn(y, f"{name}_3_bn")
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


BLOCKS = {"basic": _basic_block, "bottleneck": _bottleneck_block}


def _stem(x, layout: _Layout, stem: str, width: int):
    if stem == "cifar":
        x = layout.conv(x, width, 3, 1, "conv1_conv")
        x = layout.bn(x, "conv1_bn")
        return layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(3, name="conv1_pad")(x)
    x = layers.Conv2D(width, 7, strides=2, use_bias=layout.conv_bias, name="conv1_conv")(x)
    x = layout.bn(x, "conv1_bn")
    x = layers.Activation("relu", name="conv1_relu")(x)
    # Zero padding is safe before max pooling here: inputs are ReLU outputs (>= 0).
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    return layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)


def build_resnet(
    depth: int,
    *,
    variant: str = "v1",
    num_classes: int = 1000,
    input_shape: Sequence[int | None] = (224, 224, 3),
    include_top: bool = True,
    pooling: str | None = None,
    stem: str = "imagenet",
    base_width: int = 64,
    blocks_per_stage: Sequence[int] | None = None,
    block: str | None = None,
    dropout: float = 0.0,
    bn_momentum: float = 0.99,
    classifier_activation: str | None = "softmax",
    name: str | None = None,
) -> keras.Model:
    """A ResNet as a functional Keras model.

    ``blocks_per_stage`` (four block counts) and ``block`` (``"basic"`` or ``"bottleneck"``)
    override what ``depth`` implies, for searched architectures; ``dropout`` sits before the
    classifier; ``bn_momentum`` (Keras' 0.99 by default) is lowered by the search space, whose
    short trials would otherwise be judged on unsettled BatchNorm statistics.

    >>> model = build_resnet(18, variant="v1.5", num_classes=10, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 10)
    """
    if depth not in BLOCKS_PER_STAGE:
        raise ValueError(f"resnet: depth must be one of {sorted(BLOCKS_PER_STAGE)}, got {depth!r}.")
    if stem not in STEMS:
        raise ValueError(f"resnet: stem must be one of {STEMS}, got {stem!r}.")
    model_name = name or f"resnet{depth}"
    if not isinstance(base_width, int) or base_width < 1:
        raise ValueError(f"{model_name}: base_width must be a positive integer, got {base_width!r}.")
    layout = _Layout(variant, bn_momentum)
    inputs = classifier_input(model_name, input_shape, 1, num_classes=num_classes, pooling=pooling)

    stages = tuple(blocks_per_stage) if blocks_per_stage is not None else BLOCKS_PER_STAGE[depth]
    if len(stages) != 4 or not all(isinstance(n, int) and n >= 1 for n in stages):
        raise ValueError(f"{model_name}: blocks_per_stage must be four counts >= 1, got {blocks_per_stage!r}.")
    block = block or ("bottleneck" if depth in BOTTLENECK_DEPTHS else "basic")
    if block not in BLOCKS:
        raise ValueError(f"{model_name}: block must be one of {tuple(BLOCKS)}, got {block!r}.")
    x = _stem(inputs, layout, stem, base_width)
    for stage, (multiplier, blocks) in enumerate(zip(STAGE_MULTIPLIERS, stages)):
        width = base_width * multiplier
        for index in range(blocks):
            stride = 2 if (index == 0 and stage > 0) else 1
            x = BLOCKS[block](x, layout, width, stride, f"conv{stage + 2}_block{index + 1}")

    def head(x):
        return dense_predictions(global_average_pool(x), num_classes, classifier_activation, dropout=dropout)

    return classifier_model(inputs, x, head, name=model_name, include_top=include_top, pooling=pooling)
