"""The convolutional variational autoencoder.

The task object (zoo.tasks.vae) builds encoder and decoder; ``builder`` names the
encoder, and ``params`` counts both networks.
"""

from __future__ import annotations

from zoo.families import MNIST_SHAPE, Family, ModelSpec

FAMILY = Family(
    name="vae",
    models=(
        ModelSpec(
            name="vae",
            family="vae",
            task="autoencoder",
            builder="zoo.models.vae:build_encoder",
            config={"latent_dim": 16, "image_shape": MNIST_SHAPE, "base_filters": 32, "hidden_units": 256,
                    "beta": 1.0, "reconstruction": "bce"},
            input_shape=MNIST_SHAPE,
            min_input_size=8,
            params=1_659_169,
            description="Convolutional variational autoencoder; loss = reconstruction + beta * KL, reports the ELBO.",
            paper="Kingma & Welling, Auto-Encoding Variational Bayes, 2013 (arXiv:1312.6114)",
            head_layers=(),
        ),
    ),
    search_spaces={"vae": "zoo.tune.vae:VAEHyperModel"},
)
