"""Every architecture zoo knows, declared as data.

Importing this module registers them without importing TensorFlow; the builders
named here are imported only when a model is built. ``params`` is the parameter
count of the default configuration (tests/test_catalog.py builds each model
and checks it; ``tools/print_param_counts.py`` prints them).
"""

from __future__ import annotations

from zoo.registry import ModelSpec, register

IMAGENET_SHAPE = (224, 224, 3)
RESNET_PAPER = "He et al., Deep Residual Learning for Image Recognition, 2015 (arXiv:1512.03385)"

register(
    ModelSpec(
        name="alexnet",
        family="alexnet",
        task="image_classification",
        builder="zoo.models.alexnet:build_alexnet",
        config={},
        input_shape=IMAGENET_SHAPE,
        min_input_size=63,
        params=61_100_840,
        description="AlexNet, torchvision's single-tower layout (64-192-384-256-256 convs, 4096-4096 classifier).",
        paper="Krizhevsky, Sutskever & Hinton, ImageNet Classification with Deep CNNs, NeurIPS 2012",
    )
)

register(
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
    )
)

register(
    ModelSpec(
        name="googlenet",
        family="googlenet",
        task="image_classification",
        builder="zoo.models.googlenet:build_googlenet",
        config={"aux_logits": False},
        input_shape=IMAGENET_SHAPE,
        min_input_size=15,
        params=6_639_464,
        description=(
            "GoogLeNet / Inception v1 with BatchNorm, torchvision's layout; "
            "aux_logits=True adds the paper's two auxiliary classifiers (loss weight 0.3)."
        ),
        paper="Szegedy et al., Going Deeper with Convolutions, 2014 (arXiv:1409.4842)",
        head_layers=("predictions", "aux1_fc2", "aux2_fc2"),
        auxiliary_layers=("aux1_*", "aux2_*"),
    )
)

# ResNets: one builder, the depth and layout as data. 18/34 default to the v1.5
# layout because their only published weights (torchvision's) use it; 50/101/152
# default to keras.applications' v1 layout, the layout of their default weights.
for depth, variant, params in (
    (18, "v1.5", 11_699_112),
    (34, "v1.5", 21_814_696),
    (50, "v1", 25_636_712),
    (101, "v1", 44_707_176),
    (152, "v1", 60_419_944),
):
    register(
        ModelSpec(
            name=f"resnet{depth}",
            family="resnet",
            task="image_classification",
            builder="zoo.models.resnet:build_resnet",
            config={"depth": depth, "variant": variant},
            input_shape=IMAGENET_SHAPE,
            min_input_size=1,
            params=params,
            description=f"ResNet-{depth}; variant='v1' (keras.applications) or 'v1.5' (torchvision/timm), stem='imagenet' or 'cifar'.",
            paper=RESNET_PAPER,
        )
    )
