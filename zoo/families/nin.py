"""Network in Network, the ImageNet model (no published weights)."""

from __future__ import annotations

from zoo.families import IMAGENET_SHAPE, FeatureStages, Family, ModelSpec

# Each mlpconv block's last activation, before its max pool; block 4's before the class-map conv
# (the head): reductions 4, 8, 16, 32.
FEATURES = FeatureStages(("block1_mlp2", "block2_mlp2", "block3_mlp2", "block4_mlp1"))

FAMILY = Family(
    name="nin",
    models=(
        ModelSpec(
            name="nin",
            family="nin",
            task="image_classification",
            builder="zoo.models.nin:build_nin",
            config={},
            input_shape=IMAGENET_SHAPE,
            min_input_size=67,
            params=7_595_176,
            description="Network in Network for ImageNet: four mlpconv blocks, global average pooling, no dense head.",
            paper="Lin, Chen & Yan, Network In Network, 2013 (arXiv:1312.4400)",
            features=FEATURES,
        ),
    ),
    search_spaces={"nin": "zoo.tune.nin:NiNHyperModel"},
)
