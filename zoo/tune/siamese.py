"""The Siamese space: embedding size, loss, margin, mining, widths, optimiser; scored on the validation
nearest-neighbour accuracy (losses with other margins are not comparable; the accuracy is)."""

from __future__ import annotations

from typing import Any

import keras_tuner

import zoo
from zoo.tune.common import classes_and_shape, compile_with_searched_optimizer


class SiameseHyperModel(keras_tuner.HyperModel):
    OBJECTIVE = ("val_nearest_neighbour_accuracy", "max")
    NEEDS_VALIDATION = False

    def __init__(self, shape: tuple[int, int, int], **kwargs: Any):
        super().__init__(name="siamese", **kwargs)
        self.shape = shape

    @classmethod
    def for_data(cls, data):
        _, shape = classes_and_shape(data, "siamese")
        return cls(shape)

    def build(self, hp: keras_tuner.HyperParameters):
        loss = hp.Choice("loss", ["triplet", "contrastive"])
        with hp.conditional_scope("loss", ["triplet"]):
            mining = hp.Choice("mining", ["hard", "semi_hard"])
        # Distances between unit vectors lie in [0, 2]: margins from FaceNet's 0.2 to orthogonality.
        margin = hp.Float("margin", 0.1, 1.0, step=0.1, default=0.2)
        model = zoo.create("siamese", image_shape=self.shape, loss=loss, mining=mining or "hard", margin=margin,
                           embedding_dim=hp.Choice("embedding_dim", [16, 32, 64, 128]),
                           base_filters=hp.Choice("base_filters", [16, 32]),
                           hidden_units=hp.Choice("hidden_units", [128, 256]))
        return compile_with_searched_optimizer(model, hp)
