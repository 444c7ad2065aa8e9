"""The adversarial autoencoder: the VAE's networks, its codes shaped by a latent discriminator.

The task object builds encoder, decoder and discriminator; ``builder`` names the
encoder, and ``params`` counts all three.
"""

from __future__ import annotations

from zoo.families import MNIST_SHAPE, Family, ModelSpec

FAMILY = Family(
    name="aae",
    models=(
        ModelSpec(
            name="aae",
            family="aae",
            task="adversarial_autoencoder",
            builder="zoo.models.vae:build_encoder",
            config={"latent_dim": 8, "image_shape": MNIST_SHAPE, "base_filters": 32, "hidden_units": 256},
            input_shape=MNIST_SHAPE,
            min_input_size=8,
            params=1_719_306,
            description="Adversarial autoencoder: a latent discriminator makes the codes follow N(0, I).",
            paper="Makhzani et al., Adversarial Autoencoders, 2015 (arXiv:1511.05644)",
            head_layers=(),
        ),
    ),
    search_spaces={"aae": "zoo.tune.gan:AAEHyperModel"},
)
