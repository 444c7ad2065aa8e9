"""pix2pix: image-to-image translation with a U-Net generator and a PatchGAN discriminator.

The task object builds both networks; ``builder`` names the generator, and
``params`` counts both.
"""

from __future__ import annotations

from zoo.families import Family, ModelSpec

FAMILY = Family(
    name="pix2pix",
    models=(
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
            paper="Isola et al., Image-to-Image Translation with Conditional Adversarial Networks, 2016 "
                  "(arXiv:1611.07004)",
            head_layers=(),
        ),
    ),
    search_spaces={"pix2pix": "zoo.tune.pix2pix:Pix2PixHyperModel"},
)
