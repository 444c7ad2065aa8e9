"""Siamese networks for metric learning: one shared encoder trained on pairs or triplets.

The task object (zoo.tasks.siamese) builds the encoder, a small CNN or any zoo backbone by name
(``backbone="resnet18"``); ``params`` counts the default small CNN.
"""

from __future__ import annotations

from zoo.families import MNIST_SHAPE, Family, ModelSpec

FAMILY = Family(
    name="siamese",
    models=(
        ModelSpec(
            name="siamese",
            family="siamese",
            task="metric_learning",
            builder="zoo.models.siamese:build_encoder",
            config={"embedding_dim": 64, "image_shape": MNIST_SHAPE, "base_filters": 32, "hidden_units": 256,
                    "backbone": None, "backbone_config": {}, "loss": "triplet", "mining": "hard", "margin": None,
                    "threshold": 0.5},
            input_shape=MNIST_SHAPE,
            min_input_size=4,
            params=838_336,
            description="Siamese network: a shared encoder to unit-length embeddings, trained with the contrastive "
                        "loss on pairs or the triplet loss with online hard / semi-hard mining; embed, similarity, "
                        "verify and few-shot classify.",
            paper="Bromley et al. 1993 (Siamese networks); Hadsell, Chopra & LeCun 2006 (contrastive loss); "
                  "Schroff, Kalenichenko & Philbin 2015 (FaceNet, triplet loss, arXiv:1503.03832); "
                  "Koch, Zemel & Salakhutdinov 2015 (one-shot)",
            head_layers=(),
        ),
    ),
    search_spaces={"siamese": "zoo.tune.siamese:SiameseHyperModel"},
)
