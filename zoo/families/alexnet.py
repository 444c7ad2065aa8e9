"""AlexNet: torchvision's single-tower layout, torchvision's weights."""

from __future__ import annotations

from zoo.families import IMAGENET_SHAPE, FeatureStages, Family, ModelSpec

# The last activation before each max pool, then the last pool (the head's input): reductions 4, 8, 16, 32.
FEATURES = FeatureStages(("conv1_relu", "conv2_relu", "conv5_relu", "pool5"))

# torchvision module -> zoo layer (zoo/models/alexnet.py names its layers after the paper).
TORCH_LAYERS = {
    "features.0": "conv1",
    "features.3": "conv2",
    "features.6": "conv3",
    "features.8": "conv4",
    "features.10": "conv5",
    "classifier.1": "fc6",
    "classifier.4": "fc7",
    "classifier.6": "predictions",
}


def torch_layer(module: str) -> str:
    return TORCH_LAYERS[module]


FAMILY = Family(
    name="alexnet",
    models=(
        ModelSpec(
            name="alexnet",
            family="alexnet",
            task="image_classification",
            builder="zoo.models.alexnet:build_alexnet",
            config={},
            input_shape=IMAGENET_SHAPE,
            min_input_size=63,
            params=61_100_840,
            description="AlexNet, torchvision's single-tower layout (64-192-384-256-256 convs, 4096-4096 "
                        "classifier).",
            paper="Krizhevsky, Sutskever & Hinton, ImageNet Classification with Deep CNNs, NeurIPS 2012",
            features=FEATURES,
        ),
    ),
    search_spaces={"alexnet": "zoo.tune.alexnet:AlexNetHyperModel"},
    torch_layer=torch_layer,
    torch_flattened={"fc6": (256, 6, 6)},
)
