"""ResNet-18/34/50/101/152: one builder, the depth and layout as data.

18/34 default to the v1.5 layout because their only published weights
(torchvision's) use it; 50/101/152 default to keras.applications' v1 layout,
the layout of their default weights.
"""

from __future__ import annotations

import re

from zoo.families import IMAGENET_SHAPE, FeatureStages, Family, ModelSpec

# The stem's last activation (reduction 2; 1 with stem="cifar"), then each stage's last block: reductions
# 4, 8, 16, 32 as timm's features_only gives them (index 0 is timm's "act1").
FEATURES = FeatureStages(("conv1_relu", "conv2_block*_out", "conv3_block*_out", "conv4_block*_out",
                          "conv5_block*_out"))


def _resnet(depth: int, variant: str, params: int) -> ModelSpec:
    return ModelSpec(
        name=f"resnet{depth}",
        family="resnet",
        task="image_classification",
        builder="zoo.models.resnet:build_resnet",
        config={"depth": depth, "variant": variant},
        input_shape=IMAGENET_SHAPE,
        min_input_size=1,
        params=params,
        description=f"ResNet-{depth}; variant='v1' (keras.applications) or 'v1.5' (torchvision/timm), "
                    f"stem='imagenet' or 'cifar'.",
        paper="He et al., Deep Residual Learning for Image Recognition, 2015 (arXiv:1512.03385)",
        features=FEATURES,
    )


def torch_layer(module: str) -> str:
    """torchvision/timm module -> zoo layer: ``layer2.0.conv1`` -> ``conv3_block1_1_conv`` (keras.applications)."""
    fixed = {"conv1": "conv1_conv", "bn1": "conv1_bn", "fc": "predictions"}
    if module in fixed:
        return fixed[module]
    match = re.fullmatch(r"layer(\d)\.(\d+)\.(conv(\d)|bn(\d)|downsample\.([01]))", module)
    if not match:
        raise KeyError(module)
    stage, block = int(match.group(1)) + 1, int(match.group(2)) + 1
    prefix = f"conv{stage}_block{block}"
    if match.group(4):
        return f"{prefix}_{match.group(4)}_conv"
    if match.group(5):
        return f"{prefix}_{match.group(5)}_bn"
    return f"{prefix}_0_{'conv' if match.group(6) == '0' else 'bn'}"


FAMILY = Family(
    name="resnet",
    models=(
        _resnet(18, "v1.5", 11_699_112),
        _resnet(34, "v1.5", 21_814_696),
        _resnet(50, "v1", 25_636_712),
        _resnet(101, "v1", 44_707_176),
        _resnet(152, "v1", 60_419_944),
    ),
    search_spaces={"resnet": "zoo.tune.resnet:ResNetHyperModel"},
    torch_layer=torch_layer,
)
