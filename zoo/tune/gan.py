"""The DCGAN space (latent size, width, loss: non-saturating or WGAN-GP, learning rate), the
conditional GAN's (the same plus the label embedding size) and the adversarial autoencoder's
(latent size, widths, learning rate).

Scored by FID-MNIST (``zoo.tasks.quality``) of 256 samples against the validation
images after each trial's training, not by the adversarial losses, which do not
say how good the samples are. FID-MNIST reads the bundled MNIST classifier, so the
space is for single-channel digit-like images.
"""

from __future__ import annotations

from typing import Any

import keras
import keras_tuner
import numpy as np

import zoo
from zoo.tasks.quality import FEATURE_MODEL, MnistFeatures
from zoo.tune.common import classes_and_shape, image_shape


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
        return cls(image_shape(data[0] if isinstance(data, (tuple, list)) else data, cls.MODEL))

    def fit(self, hp, model, x, y=None, validation_data=None, **kwargs):
        # The tuner's checkpoint callback finds no fid_mnist in the epoch logs, so it saves every epoch.
        history = model.fit(x, y, **kwargs)
        if validation_data is None:
            raise ValueError(f"the {self.MODEL} space is scored on validation images; pass validation_data")
        if self._features is None:
            self._features = MnistFeatures(zoo.load(FEATURE_MODEL))
        real = np.asarray(validation_data[0] if isinstance(validation_data, (tuple, list)) else validation_data,
                          "float32") / 255.0
        samples = model.sample(self.SAMPLES, seed=0)
        scores = {"fid_mnist": self._features.fid(samples, real.reshape(-1, *self.shape)), **self.scores(model, samples)}
        return {**scores, **{name: values[-1] for name, values in history.history.items()}}

    def scores(self, model, samples: np.ndarray) -> dict[str, float]:
        """Further measurements of the samples, reported beside FID-MNIST (none by default)."""
        return {}


class GANHyperModel(FIDScoredSpace):
    MODEL = "dcgan"

    def options(self, hp: keras_tuner.HyperParameters) -> dict[str, Any]:
        return {"latent_dim": hp.Choice("latent_dim", [32, 64, 100]),
                "base_filters": hp.Choice("base_filters", [16, 32, 64]), "loss": hp.Choice("loss", ["bce", "wgan-gp"])}

    def build(self, hp: keras_tuner.HyperParameters):
        model = zoo.create(self.MODEL, image_shape=self.shape, **self.options(hp))
        learning_rate = hp.Float("learning_rate", 5e-5, 1e-3, sampling="log", default=2e-4)
        model.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                      g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5))
        return model


class CGANHyperModel(GANHyperModel):
    """The conditional GAN: trains on ``(images, labels)``; samples ask for every class in turn, and
    ``label_accuracy`` (how often the MNIST classifier reads the requested digit) is reported beside FID."""

    MODEL = "cgan"

    def __init__(self, shape: tuple[int, int, int], num_classes: int, **kwargs: Any):
        super().__init__(shape, **kwargs)
        self.num_classes = num_classes

    @classmethod
    def for_data(cls, data):
        if not (isinstance(data, (tuple, list)) and len(data) == 2):
            raise ValueError("the cgan space trains on (images, labels); got images only.")
        num_classes, shape = classes_and_shape(data, "cgan")
        return cls(shape, num_classes)

    def options(self, hp: keras_tuner.HyperParameters) -> dict[str, Any]:
        return {**super().options(hp), "num_classes": self.num_classes,
                "embedding_dim": hp.Choice("embedding_dim", [10, 50])}

    def scores(self, model, samples: np.ndarray) -> dict[str, float]:
        requested = np.arange(len(samples)) % self.num_classes  # what GAN.sample asks for by default
        return {"label_accuracy": float(np.mean(self._features.predict(samples) == requested))}


class AAEHyperModel(FIDScoredSpace):
    """Adversarial autoencoder: latent size, widths, learning rate of its three optimisers."""

    MODEL = "aae"

    def build(self, hp: keras_tuner.HyperParameters):
        model = zoo.create("aae", image_shape=self.shape, latent_dim=hp.Choice("latent_dim", [2, 4, 8, 16]),
                           base_filters=hp.Choice("base_filters", [8, 16, 32]),
                           hidden_units=hp.Choice("hidden_units", [64, 128, 256]))
        rate = hp.Float("learning_rate", 1e-4, 3e-3, sampling="log", default=1e-3)
        model.compile(ae_optimizer=keras.optimizers.Adam(rate),  # the adversarial pair at 1/5, as by default
                      d_optimizer=keras.optimizers.Adam(rate / 5, beta_1=0.5),
                      g_optimizer=keras.optimizers.Adam(rate / 5, beta_1=0.5))
        return model
