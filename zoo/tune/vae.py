"""The VAE space: latent size, widths, beta, optimiser; scored on the validation ELBO (not the training loss)."""

from __future__ import annotations

from typing import Any

import keras_tuner

import zoo
from zoo.tune.common import compile_with_searched_optimizer, image_shape


class VAEHyperModel(keras_tuner.HyperModel):
    OBJECTIVE = ("val_elbo", "max")
    NEEDS_VALIDATION = False

    def __init__(self, shape: tuple[int, int, int], **kwargs: Any):
        super().__init__(name="vae", **kwargs)
        self.shape = shape

    @classmethod
    def for_data(cls, data):
        return cls(image_shape(data[0] if isinstance(data, (tuple, list)) else data, "vae"))

    def build(self, hp: keras_tuner.HyperParameters):
        model = zoo.create("vae", image_shape=self.shape, latent_dim=hp.Choice("latent_dim", [2, 4, 8, 16]),
                           base_filters=hp.Choice("base_filters", [8, 16, 32]),
                           hidden_units=hp.Choice("hidden_units", [64, 128, 256]),
                           beta=hp.Float("beta", 0.5, 2.0, step=0.5, default=1.0))
        return compile_with_searched_optimizer(model, hp)
