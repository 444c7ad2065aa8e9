"""VGG-11/13/16/19 (with and without batch norm): one builder, the conv plan per depth as data.

Layer names are keras.applications' (``block1_conv1`` ... ``block5_pool``, ``fc1``, ``fc2``,
``predictions``), so its VGG16/VGG19 files load by name and style transfer can ask for
``block{b}_conv{c}``. torchvision numbers its layers ``features.N`` through the whole conv
stack, so where a conv sits in that numbering depends on the depth and on batch norm:
``torch_layer_map`` derives the names from the same plan the builder uses.
"""

from __future__ import annotations

from typing import Any, Callable

from zoo.families import IMAGENET_SHAPE, FeatureStages, Family, ModelSpec

# Convs per block for each depth (configurations A, B, D, E of Simonyan & Zisserman's Table 1).
CONV_PLANS: dict[int, tuple[int, ...]] = {
    11: (1, 1, 2, 2, 2),
    13: (2, 2, 2, 2, 2),
    16: (2, 2, 3, 3, 3),
    19: (2, 2, 4, 4, 4),
}
# Filters of each block's convs (the same at every depth).
BLOCK_FILTERS = (64, 128, 256, 512, 512)

# One stage per block, cut after its max pool: reductions 2, 4, 8, 16, 32.
FEATURES = FeatureStages(tuple(f"block{block}_pool" for block in range(1, 6)))

# torchvision's classifier.N (Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear).
TORCH_CLASSIFIER = {"classifier.0": "fc1", "classifier.3": "fc2", "classifier.6": "predictions"}

# Trainable parameters at 1000 classes, as torchvision's VGG*_Weights publish them (keras.applications'
# VGG16 and VGG19 have the same counts).
TORCHVISION_PARAMS = {
    (11, False): 132_863_336, (11, True): 132_868_840,
    (13, False): 133_047_848, (13, True): 133_053_736,
    (16, False): 138_357_544, (16, True): 138_365_992,
    (19, False): 143_667_240, (19, True): 143_678_248,
}


def keras_params(depth: int, batch_norm: bool) -> int:
    """What Keras counts: torchvision's parameters plus, with batch norm, its moving mean and variance
    (buffers to PyTorch, weights to Keras), two per channel of every conv."""
    if not batch_norm:
        return TORCHVISION_PARAMS[depth, False]
    channels = sum(convs * filters for convs, filters in zip(CONV_PLANS[depth], BLOCK_FILTERS))
    return TORCHVISION_PARAMS[depth, True] + 2 * channels


def torch_names(depth: int, batch_norm: bool) -> dict[str, str]:
    """torchvision module -> zoo layer for one configuration: ``features.N`` walks the plan
    (conv, [bn], relu per conv; a max pool after each block), then the classifier."""
    names = dict(TORCH_CLASSIFIER)
    index = 0
    for block, convs in enumerate(CONV_PLANS[depth], start=1):
        for conv in range(1, convs + 1):
            names[f"features.{index}"] = f"block{block}_conv{conv}"
            if batch_norm:
                names[f"features.{index + 1}"] = f"block{block}_conv{conv}_bn"
            index += 3 if batch_norm else 2
        index += 1  # the block's max pool
    return names


def torch_layer_map(config: dict[str, Any]) -> Callable[[str], str]:
    """The name map for a model built with ``config`` (its ``depth`` and ``batch_norm``)."""
    return torch_names(config["depth"], config.get("batch_norm", False)).__getitem__


def _vgg(depth: int, batch_norm: bool) -> ModelSpec:
    suffix = "_bn" if batch_norm else ""
    return ModelSpec(
        name=f"vgg{depth}{suffix}",
        family="vgg",
        task="image_classification",
        builder="zoo.models.vgg:build_vgg",
        config={"depth": depth, "batch_norm": batch_norm},
        input_shape=IMAGENET_SHAPE,
        min_input_size=32,
        params=keras_params(depth, batch_norm),
        description=f"VGG-{depth}{' with batch norm after every conv' if batch_norm else ''}: "
                    f"3x3 convs in 5 blocks {CONV_PLANS[depth]}, 4096-4096 classifier; "
                    f"keras.applications' layer names.",
        paper="Simonyan & Zisserman, Very Deep Convolutional Networks for Large-Scale Image Recognition, "
              "ICLR 2015 (arXiv:1409.1556)",
        features=FEATURES,
    )


FAMILY = Family(
    name="vgg",
    models=tuple(_vgg(depth, batch_norm) for batch_norm in (False, True) for depth in CONV_PLANS),
    search_spaces={"vgg": "zoo.tune.vgg:VGGHyperModel"},
    torch_layer_map=torch_layer_map,
    # torchvision average-pools to 7x7 and flattens (C, H, W) into fc1.
    torch_flattened={"fc1": (512, 7, 7)},
)
