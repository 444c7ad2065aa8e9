"""The pix2pix space: U-Net/PatchGAN width, the L1 weight (100 in the paper), learning rate.

Scored by ``val_l1``: the mean absolute error, in [0, 1] pixels, between the
generator's translations of the validation sources and their targets (the
adversarial losses say little about how close the translations are).
"""

from __future__ import annotations

from typing import Any

import keras
import keras_tuner
import numpy as np

import zoo
from zoo.tune.common import image_shape, pair


class Pix2PixHyperModel(keras_tuner.HyperModel):
    OBJECTIVE = ("val_l1", "min")
    NEEDS_VALIDATION = True

    def __init__(self, source_shape: tuple[int, int, int], target_channels: int, **kwargs: Any):
        super().__init__(name="pix2pix", **kwargs)
        self.source_shape, self.target_channels = source_shape, target_channels

    @classmethod
    def for_data(cls, data):
        sources, targets = pair(data, "pix2pix", "(source images, target images) pairs")
        return cls(image_shape(sources, "pix2pix"), image_shape(targets, "pix2pix")[-1])

    def build(self, hp: keras_tuner.HyperParameters):
        model = zoo.create("pix2pix", image_shape=self.source_shape, output_channels=self.target_channels,
                           base_filters=hp.Choice("base_filters", [16, 32, 64]),
                           l1_weight=hp.Choice("l1_weight", [10.0, 50.0, 100.0], default=100.0))
        rate = hp.Float("learning_rate", 5e-5, 1e-3, sampling="log", default=2e-4)
        model.compile(d_optimizer=keras.optimizers.Adam(rate, beta_1=0.5),
                      g_optimizer=keras.optimizers.Adam(rate, beta_1=0.5))
        return model

    def fit(self, hp, model, x, y=None, validation_data=None, **kwargs):
        history = model.fit(x, y, **kwargs)
        if validation_data is None:
            raise ValueError("the pix2pix space is scored on validation (source, target) pairs; pass validation_data")
        sources, targets = validation_data
        translated = model.translate(sources)
        error = float(np.mean(np.abs(translated - np.asarray(targets, "float32").reshape(translated.shape) / 255.0)))
        return {"val_l1": error, **{name: values[-1] for name, values in history.history.items()}}
