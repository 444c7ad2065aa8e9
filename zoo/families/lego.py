"""The "Lego" CNN: a conv stack described block by block, zoo.tune's architecture-search space."""

from __future__ import annotations

from zoo.families import IMAGENET_SHAPE, FeatureStages, Family, ModelSpec

# One stage per block, however many: each block's output (after its max pool when it has one).
FEATURES = FeatureStages(("block{n}_*",))

FAMILY = Family(
    name="lego",
    models=(
        ModelSpec(
            name="lego_cnn",
            family="lego",
            task="image_classification",
            builder="zoo.models.lego_cnn:build_lego_cnn",
            config={},
            input_shape=IMAGENET_SHAPE,
            min_input_size=1,
            params=1_450_152,
            description=("A plain conv stack described block by block (width, kernel, max pool, NiN 1x1 convs, "
                         "Inception branches) with a GAP or dense head: the architecture-search space of zoo.tune."),
            paper="Blocks after Lin et al. (NiN, arXiv:1312.4400) and Szegedy et al. (GoogLeNet, arXiv:1409.4842)",
            features=FEATURES,
        ),
    ),
    search_spaces={"lego": "zoo.tune.lego:LegoHyperModel"},
)
