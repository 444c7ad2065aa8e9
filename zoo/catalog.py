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

register(
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
    )
)

# Generative models: the task object builds its networks (generator + discriminator,
# encoder + decoder); ``builder`` names the main one. ``params`` counts them all.
MNIST_SHAPE = (28, 28, 1)
# (name, family, task, builder, default config, params, smallest size, description, paper)
GENERATIVE = (
    ("dcgan", "gan", "image_generation", "zoo.models.dcgan:build_generator",
     {"latent_dim": 100, "image_shape": MNIST_SHAPE, "base_filters": 64, "loss": "bce"}, 923_714, 8,
     "DCGAN: transposed-conv generator, strided-conv discriminator; loss 'bce' (non-saturating) or 'wgan-gp'.",
     "Radford, Metz & Chintala, Unsupervised Representation Learning with DCGANs, 2015 (arXiv:1511.06434)"),
    ("cgan", "gan", "image_generation", "zoo.models.dcgan:build_generator",
     {"latent_dim": 100, "image_shape": MNIST_SHAPE, "base_filters": 64, "loss": "bce", "num_classes": 10}, 1_246_678, 8,
     "Conditional GAN on class labels (label embeddings in generator and discriminator), DCGAN networks.",
     "Mirza & Osindero, Conditional Generative Adversarial Nets, 2014 (arXiv:1411.1784)"),
    ("vae", "vae", "autoencoder", "zoo.models.vae:build_encoder",
     {"latent_dim": 16, "image_shape": MNIST_SHAPE, "base_filters": 32, "hidden_units": 256, "beta": 1.0,
      "reconstruction": "bce"}, 1_659_169, 8,
     "Convolutional variational autoencoder; loss = reconstruction + beta * KL, reports the ELBO.",
     "Kingma & Welling, Auto-Encoding Variational Bayes, 2013 (arXiv:1312.6114)"),
    ("aae", "aae", "adversarial_autoencoder", "zoo.models.vae:build_encoder",
     {"latent_dim": 8, "image_shape": MNIST_SHAPE, "base_filters": 32, "hidden_units": 256}, 1_719_306, 8,
     "Adversarial autoencoder: a latent discriminator makes the codes follow N(0, I).",
     "Makhzani et al., Adversarial Autoencoders, 2015 (arXiv:1511.05644)"),
    ("pix2pix", "pix2pix", "image_translation", "zoo.models.pix2pix:build_generator",
     {"image_shape": (32, 32, 1), "base_filters": 64, "l1_weight": 100.0}, 19_424_002, 32,
     "pix2pix: U-Net generator + PatchGAN discriminator, loss = cGAN + 100 * L1; sizes 32 to 256.",
     "Isola et al., Image-to-Image Translation with Conditional Adversarial Networks, 2016 (arXiv:1611.07004)"),
)
for name, family, task, builder, config, params, smallest, description, paper in GENERATIVE:
    register(ModelSpec(name=name, family=family, task=task, builder=builder, config=config,
                       input_shape=config["image_shape"], min_input_size=smallest, params=params,
                       description=description, paper=paper, head_layers=()))

# Sequence models: text in, text out (zoo.tasks.translation.Translator). Without a
# vocabulary in the config they read and write printable ASCII characters, so the
# parameter counts are for that 99-token vocabulary (95 characters + 4 specials).
TEXT = {"tokens": "char", "lowercase": False, "max_output_length": 128}
register(ModelSpec(
    name="seq2seq_attention", family="seq2seq", task="translation",
    builder="zoo.models.seq2seq_attention:build_seq2seq_attention",
    config={**TEXT, "embedding_dim": 128, "units": 256, "cell": "gru", "dropout": 0.0},
    input_shape=(None,), min_input_size=1, params=1_725_155,
    description="Encoder-decoder RNN with additive attention: bidirectional GRU (or LSTM) encoder, GRU decoder "
                "attending over the encoder states before each step.",
    paper="Bahdanau, Cho & Bengio, Neural Machine Translation by Jointly Learning to Align and Translate, 2014 "
          "(arXiv:1409.0473)",
    head_layers=()))
register(ModelSpec(
    name="transformer", family="transformer", task="translation",
    builder="zoo.models.transformer:build_transformer",
    config={**TEXT, "size": "base", "dropout": 0.1, "positions": "sinusoidal", "norm": "post"},
    input_shape=(None,), min_input_size=1, params=44_290_659,
    description="Transformer encoder-decoder; size 'tiny'/'small'/'base' (d_model 512, 6+6 layers, 8 heads), "
                "pre- or post-norm, sinusoidal or learned positions.",
    paper="Vaswani et al., Attention Is All You Need, 2017 (arXiv:1706.03762)",
    head_layers=()))
