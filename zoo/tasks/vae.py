"""The variational autoencoder task: ``fit(images)`` maximises the ELBO.

Loss per image = reconstruction (binary cross-entropy, or squared error, summed
over pixels) + beta * KL(q(z|x) || N(0, I)); the ELBO reported is
-(reconstruction + KL) whatever beta is. Inputs are raw pixels (0-255), scaled
to [0, 1] here. The loss is divided by the replica count before the gradient,
and every metric is a ``keras.metrics.Mean`` (a global mean under tf.distribute).

>>> import zoo, numpy as np
>>> vae = zoo.create("vae", latent_dim=2, base_filters=8)
>>> vae.encode(np.zeros((3, 28, 28))).shape
(3, 2)
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo.models import vae as vae_models
from zoo.tasks import generative
from zoo.tasks.base import CardText

RECONSTRUCTIONS = ("bce", "mse")


@keras.saving.register_keras_serializable(package="zoo")
class VAE(generative.GenerativeTask):
    METRICS = ("loss", "reconstruction", "kl", "elbo")
    CARD_TEXT = CardText(
        "image-to-image",
        "Encoding images to a small latent code, reconstructing them and sampling new ones (`encode`, `decode`, "
        "`sample`).",
        "Reconstructions are blurry approximations; latent codes are only meaningful for images like its "
        "training data.",
    )

    def build_networks(self, config: dict[str, Any]) -> None:
        self.latent_dim = int(config.get("latent_dim", 16))
        self.beta = float(config.get("beta", 1.0))
        self.reconstruction = config.get("reconstruction", "bce")
        if self.reconstruction not in RECONSTRUCTIONS:
            raise ValueError(f"vae: reconstruction must be one of {RECONSTRUCTIONS}; got {self.reconstruction!r}.")
        shape = dict(latent_dim=self.latent_dim, image_shape=config["image_shape"],
                     base_filters=int(config.get("base_filters", 32)), hidden_units=int(config.get("hidden_units", 256)))
        self.encoder = vae_models.build_encoder(**shape)
        self.decoder = vae_models.build_decoder(**shape)

    def call(self, inputs, training=None):
        mean, _ = self.encoder(inputs, training=training)
        return self.decoder(mean, training=training)

    def weight_layers(self) -> list:
        return self.encoder.layers + self.decoder.layers

    def _loss_terms(self, images, training: bool):
        x = generative.as_images(images) / 255.0
        mean, log_variance = self.encoder(x, training=training)
        code = mean + tf.exp(0.5 * log_variance) * tf.random.normal(tf.shape(mean))
        pixels = self.decoder(code, training=training)
        if self.reconstruction == "bce":
            per_pixel = keras.losses.binary_crossentropy(x[..., None], pixels[..., None])
        else:
            per_pixel = tf.square(x - pixels)
        reconstruction = tf.reduce_sum(tf.reshape(per_pixel, [tf.shape(x)[0], -1]), axis=1)
        kl = -0.5 * tf.reduce_sum(1.0 + log_variance - tf.square(mean) - tf.exp(log_variance), axis=1)
        return reconstruction, kl

    def _track(self, reconstruction, kl, loss):
        return self.track(loss=loss, reconstruction=reconstruction, kl=kl, elbo=-(reconstruction + kl))

    def train_step(self, data):
        images, _ = generative.unpack(data)
        with tf.GradientTape() as tape:
            reconstruction, kl = self._loss_terms(images, training=True)
            loss = tf.reduce_mean(reconstruction + self.beta * kl)
            scaled = loss / generative.replica_count()  # inside the tape, or the gradient is lost
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        return self._track(reconstruction, kl, loss)

    def test_step(self, data):
        images, _ = generative.unpack(data)
        reconstruction, kl = self._loss_terms(images, training=False)
        return self._track(reconstruction, kl, tf.reduce_mean(reconstruction + self.beta * kl))

    def compile(self, optimizer=None, **kwargs):
        super().compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), **kwargs)

    def get_compile_config(self):
        return keras.Model.get_compile_config(self)  # one optimizer: a .keras file keeps it

    # --- what a user wants ------------------------------------------------------------------------

    def encode(self, images) -> np.ndarray:
        """The posterior means of raw images (0-255): ``(n, latent_dim)``."""
        x = self.checked_images(images)
        if not len(x):
            return np.zeros((0, self.latent_dim), "float32")
        return self.encoder.predict(x / 255.0, verbose=0)[0]

    def decode(self, codes) -> np.ndarray:
        """Images in [0, 1] for latent codes ``(n, latent_dim)``."""
        codes = self.checked_codes(codes)
        if not len(codes):
            return self.empty_images()
        return self.decoder.predict(codes, verbose=0)

    def reconstruct(self, images) -> np.ndarray:
        """Raw images (0-255) through the code and back: images in [0, 1]."""
        return self.decode(self.encode(images))

    def sample(self, n: int, *, seed: int | None = None) -> np.ndarray:
        """``n`` images in [0, 1] decoded from the prior (``n=0``: an empty (0, H, W, C) batch); a fixed
        ``seed`` gives the same images."""
        n = generative.sample_count(n, f"{self.full_name}.sample")
        return self.decode(np.random.default_rng(seed).normal(size=(n, self.latent_dim)))

    def sample_grid(self, n: int, path, *, seed: int | None = 0):
        """Write ``n`` (>= 1) samples as one PNG grid; returns its path."""
        generative.sample_count(n, f"{self.full_name}.sample_grid", minimum=1)
        return generative.write_grid(self.sample(n, seed=seed), path)
