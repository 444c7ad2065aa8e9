"""GANs on MNIST-sized images: DCGAN and the class-conditional GAN, on the same networks.

The task object (zoo.tasks.gan) builds generator and discriminator; ``builder``
names the generator, and ``params`` counts both networks.
"""

from __future__ import annotations

from zoo.families import MNIST_SHAPE, Family, ModelSpec

DCGAN_CONFIG = {"latent_dim": 100, "image_shape": MNIST_SHAPE, "base_filters": 64, "loss": "bce"}

FAMILY = Family(
    name="gan",
    models=(
        ModelSpec(
            name="dcgan",
            family="gan",
            task="image_generation",
            builder="zoo.models.dcgan:build_generator",
            config=DCGAN_CONFIG,
            input_shape=MNIST_SHAPE,
            min_input_size=8,
            params=923_714,
            description="DCGAN: transposed-conv generator, strided-conv discriminator; loss 'bce' (non-saturating) "
                        "or 'wgan-gp'.",
            paper="Radford, Metz & Chintala, Unsupervised Representation Learning with DCGANs, 2015 "
                  "(arXiv:1511.06434)",
            head_layers=(),
        ),
        ModelSpec(
            name="cgan",
            family="gan",
            task="image_generation",
            builder="zoo.models.dcgan:build_generator",
            config={**DCGAN_CONFIG, "num_classes": 10},
            input_shape=MNIST_SHAPE,
            min_input_size=8,
            params=1_246_678,
            description="Conditional GAN on class labels (label embeddings in generator and discriminator), "
                        "DCGAN networks.",
            paper="Mirza & Osindero, Conditional Generative Adversarial Nets, 2014 (arXiv:1411.1784)",
            head_layers=(),
        ),
    ),
    # The conditional GAN searches its own space (labels in, label accuracy reported): zoo.tune("cgan", ...).
    search_spaces={"gan": "zoo.tune.gan:GANHyperModel", "cgan": "zoo.tune.gan:CGANHyperModel"},
)
