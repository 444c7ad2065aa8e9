"""The DCGAN space (latent size, width, loss: non-saturating or WGAN-GP, learning rate) and the
adversarial autoencoder's (latent size, widths, learning rate).

Scored by FID-MNIST (``zoo.tasks.quality``) of 256 samples against the validation
images after each trial's training, not by the adversarial losses, which do not
say how good the samples are. FID-MNIST reads the bundled MNIST classifier, so the
space is for single-channel digit-like images.
"""

from __future__ import annotations

from typing import Any

import keras_tuner
import numpy as np

from zoo.tune.vae import image_shape


class FIDScoredSpace(keras_tuner.HyperModel):
    """Generative spaces scored by FID-MNIST of samples against the validation images."""

    OBJECTIVE = ("fid_mnist", "min")
    NEEDS_VALIDATION = True
    SAMPLES = 256
    MODEL = ""

    def __init__(self, shape: tuple[int, int, int], **kwargs: Any):
        super().__init__(name=self.MODEL, **kwargs)
        self.shape = shape
        self._features = None

    @classmethod
    def for_data(cls, data):
        return cls(image_shape(data[0] if isinstance(data, (tuple, list)) else data))

    def fit(self, hp, model, x, y=None, validation_data=None, **kwargs):
        # The tuner's checkpoint callback finds no fid_mnist in the epoch logs, so it saves every epoch.
        history = model.fit(x, y, **kwargs)
        if validation_data is None:
            raise ValueError(f"the {self.MODEL} space is scored on validation images; pass validation_data")
        if self._features is None:
            from zoo.tasks.quality import MnistFeatures

            self._features = MnistFeatures()
        real = np.asarray(validation_data[0] if isinstance(validation_data, (tuple, list)) else validation_data,
                          "float32") / 255.0
        fid = self._features.fid(model.sample(self.SAMPLES, seed=0), real.reshape(-1, *self.shape))
        return {"fid_mnist": fid, **{name: values[-1] for name, values in history.history.items()}}


class GANHyperModel(FIDScoredSpace):
    MODEL = "dcgan"

    def build(self, hp: keras_tuner.HyperParameters):
        import keras

        import zoo

        model = zoo.create("dcgan", image_shape=self.shape, latent_dim=hp.Choice("latent_dim", [32, 64, 100]),
                           base_filters=hp.Choice("base_filters", [16, 32, 64]), loss=hp.Choice("loss", ["bce", "wgan-gp"]))
        learning_rate = hp.Float("learning_rate", 5e-5, 1e-3, sampling="log", default=2e-4)
        model.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                      g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5))
        return model


class AAEHyperModel(FIDScoredSpace):
    """Adversarial autoencoder: latent size, widths, learning rate of its three optimisers."""

    MODEL = "aae"

    def build(self, hp: keras_tuner.HyperParameters):
        import keras

        import zoo

        model = zoo.create("aae", image_shape=self.shape, latent_dim=hp.Choice("latent_dim", [2, 4, 8, 16]),
                           base_filters=hp.Choice("base_filters", [8, 16, 32]),
                           hidden_units=hp.Choice("hidden_units", [64, 128, 256]))
        rate = hp.Float("learning_rate", 1e-4, 3e-3, sampling="log", default=1e-3)
        model.compile(ae_optimizer=keras.optimizers.Adam(rate),  # the adversarial pair at 1/5, as by default
                      d_optimizer=keras.optimizers.Adam(rate / 5, beta_1=0.5),
                      g_optimizer=keras.optimizers.Adam(rate / 5, beta_1=0.5))
        return model
