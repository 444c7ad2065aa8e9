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

# Generative models: the task object builds its networks (generator + discriminator,
# encoder + decoder); ``builder`` names the main one. ``params`` counts both.
DCGAN_PAPER = "Radford, Metz & Chintala, Unsupervised Representation Learning with DCGANs, 2015 (arXiv:1511.06434)"
for name, config, params, description, paper in (
    ("dcgan", {"latent_dim": 100, "image_shape": (28, 28, 1), "base_filters": 64, "loss": "bce"}, 923_714,
     "DCGAN: transposed-conv generator, strided-conv discriminator; loss 'bce' (non-saturating) or 'wgan-gp'.",
     DCGAN_PAPER),
    ("cgan", {"latent_dim": 100, "image_shape": (28, 28, 1), "base_filters": 64, "loss": "bce", "num_classes": 10}, 1_246_678,
     "Conditional GAN on class labels (label embeddings in generator and discriminator), DCGAN networks.",
     "Mirza & Osindero, Conditional Generative Adversarial Nets, 2014 (arXiv:1411.1784)"),
):
    register(ModelSpec(name=name, family="gan", task="image_generation", builder="zoo.models.dcgan:build_generator",
                       config=config, input_shape=(28, 28, 1), min_input_size=8, params=params,
                       description=description, paper=paper, head_layers=()))

register(
    ModelSpec(
        name="vae",
        family="vae",
        task="autoencoder",
        builder="zoo.models.vae:build_encoder",
        config={"latent_dim": 16, "image_shape": (28, 28, 1), "base_filters": 32, "hidden_units": 256, "beta": 1.0,
                "reconstruction": "bce"},
        input_shape=(28, 28, 1),
        min_input_size=8,
        params=1_659_169,
        description="Convolutional variational autoencoder; loss = reconstruction + beta * KL, reports the ELBO.",
        paper="Kingma & Welling, Auto-Encoding Variational Bayes, 2013 (arXiv:1312.6114)",
        head_layers=(),
    )
)

register(
    ModelSpec(
        name="aae",
        family="aae",
        task="adversarial_autoencoder",
        builder="zoo.models.vae:build_encoder",
        config={"latent_dim": 8, "image_shape": (28, 28, 1), "base_filters": 32, "hidden_units": 256},
        input_shape=(28, 28, 1),
        min_input_size=8,
        params=1_719_306,
        description="Adversarial autoencoder: a latent discriminator makes the codes follow N(0, I).",
        paper="Makhzani et al., Adversarial Autoencoders, 2015 (arXiv:1511.05644)",
        head_layers=(),
    )
)

register(
    ModelSpec(
        name="pix2pix",
        family="pix2pix",
        task="image_translation",
        builder="zoo.models.pix2pix:build_generator",
        config={"image_shape": (32, 32, 1), "base_filters": 64, "l1_weight": 100.0},
        input_shape=(32, 32, 1),
        min_input_size=32,
        params=19_424_002,
        description="pix2pix: U-Net generator + PatchGAN discriminator, loss = cGAN + 100 * L1; sizes 32 to 256.",
        paper="Isola et al., Image-to-Image Translation with Conditional Adversarial Networks, 2016 (arXiv:1611.07004)",
        head_layers=(),
    )
)
