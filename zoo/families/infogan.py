"""InfoGAN: a GAN whose latent holds codes the network learns to give a meaning (digit, slant, width).

The task object (zoo.tasks.infogan) builds the generator and the discriminator with its Q head;
``builder`` names the Q-headed discriminator, and ``params`` counts both networks.
"""

from __future__ import annotations

from zoo.families import MNIST_SHAPE, Family, ModelSpec

# The paper's MNIST latent: 62 noise values, one 10-way categorical code, two continuous codes.
INFOGAN_CONFIG = {"noise_dim": 62, "categorical_codes": [10], "continuous_codes": 2, "image_shape": MNIST_SHAPE,
                  "base_filters": 64, "continuous_loss": "gaussian", "info_weight": 1.0, "continuous_weight": 0.1}

FAMILY = Family(
    name="infogan",
    models=(
        ModelSpec(
            name="infogan",
            family="infogan",
            task="disentangled_generation",
            builder="zoo.models.infogan:build_discriminator_with_q",
            config=INFOGAN_CONFIG,
            input_shape=MNIST_SHAPE,
            min_input_size=8,
            params=1_565_776,
            description="InfoGAN: DCGAN networks on noise + categorical + continuous codes, a Q head on the "
                        "discriminator's body, mutual-information loss; sample(codes=...), traverse(...).",
            paper="Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, InfoGAN: Interpretable Representation "
                  "Learning by Information Maximizing GANs, 2016 (arXiv:1606.03657)",
            head_layers=(),
        ),
    ),
    search_spaces={"infogan": "zoo.tune.infogan:InfoGANHyperModel"},
)
