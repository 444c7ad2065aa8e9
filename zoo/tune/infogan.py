"""The InfoGAN space: width, the continuous codes' loss and both information weights, the learning rate.

Scored by FID-MNIST of 256 samples against the validation images (as the DCGAN space), with how well
the categorical code recovers the digits (``categorical_code_accuracy``, 10 samples per code value
read by the bundled classifier) reported beside it.
"""

from __future__ import annotations

from typing import Any

import keras
import keras_tuner
import numpy as np

import zoo
from zoo.tune.gan import FIDScoredSpace


class InfoGANHyperModel(FIDScoredSpace):
    MODEL = "infogan"

    def build(self, hp: keras_tuner.HyperParameters):
        model = zoo.create(self.MODEL, image_shape=self.shape, base_filters=hp.Choice("base_filters", [16, 32, 64]),
                           continuous_loss=hp.Choice("continuous_loss", ["gaussian", "mse"]),
                           info_weight=hp.Choice("info_weight", [0.5, 1.0, 2.0]),
                           continuous_weight=hp.Choice("continuous_weight", [0.05, 0.1, 0.5]))
        learning_rate = hp.Float("learning_rate", 5e-5, 1e-3, sampling="log", default=2e-4)
        model.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                      g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5))
        return model

    def scores(self, model, samples: np.ndarray) -> dict[str, Any]:
        return {"categorical_code_accuracy": model.code_accuracy(self._features.predict, per_code=10)}
