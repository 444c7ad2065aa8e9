"""The adversarial autoencoder (Makhzani et al., 2015): ``fit(images)``.

Each step (1) trains encoder + decoder to reconstruct (binary cross-entropy
summed over pixels), (2) trains a discriminator to tell samples of the prior
from codes, and (3) trains the encoder to fool it, so the codes follow the prior
and ``sample`` can decode prior draws. ``prior="gaussian"`` (default) is N(0, I);
``prior="categorical"`` (with ``num_classes``, trained on ``(images, labels)``) is
a mixture of ``num_classes`` Gaussians on a circle in the first two latent
dimensions, and the discriminator sees the label, so class k's codes gather
around component k and ``sample(n, labels=...)`` draws a chosen digit. Three optimizers, built in the
strategy's scope by ``compile``; losses divided by the replica count inside the
tape; metrics are ``keras.metrics.Mean`` (global means).

>>> import zoo
>>> aae = zoo.create("aae", latent_dim=2, base_filters=8, hidden_units=32)
>>> aae.compile(); aae.sample(3, seed=0).shape
(3, 28, 28, 1)
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo.models import vae as networks
from zoo.tasks import generative
from zoo.tasks.base import CardText


@keras.saving.register_keras_serializable(package="zoo")
class AAE(generative.GenerativeTask):
    METRICS = ("reconstruction", "d_loss", "g_loss")
    CARD_TEXT = CardText(
        "image-to-image",
        "Encoding images to a latent code shaped by a prior, and sampling per class.",
        "As for any autoencoder: only meaningful for images like its training data.",
    )

    def build_networks(self, config: dict[str, Any]) -> None:
        self.latent_dim = int(config.get("latent_dim", 8))
        self.prior = config.get("prior", "gaussian")
        self.num_classes = config.get("num_classes") or None
        if self.prior not in ("gaussian", "categorical"):
            raise ValueError(f"aae: prior must be 'gaussian' or 'categorical'; got {self.prior!r}.")
        if self.prior == "categorical" and (not self.num_classes or self.latent_dim < 2):
            raise ValueError("aae: prior='categorical' needs num_classes and latent_dim >= 2.")
        shape = dict(latent_dim=self.latent_dim, image_shape=config["image_shape"],
                     base_filters=int(config.get("base_filters", 32)), hidden_units=int(config.get("hidden_units", 256)))
        self.encoder = networks.build_encoder(variational=False, **shape)
        self.decoder = networks.build_decoder(**shape)
        self.latent_discriminator = networks.build_latent_discriminator(
            latent_dim=self.latent_dim, hidden_units=shape["hidden_units"],
            num_classes=self.num_classes if self.prior == "categorical" else None)

    def call(self, inputs, training=None):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def compile(self, ae_optimizer=None, d_optimizer=None, g_optimizer=None, **kwargs):
        autoencoder = self.encoder.trainable_variables + self.decoder.trainable_variables
        self.compile_optimizers({
            "ae_optimizer": (ae_optimizer, lambda: keras.optimizers.Adam(1e-3), autoencoder),
            "d_optimizer": (d_optimizer, generative.gan_adam, self.latent_discriminator.trainable_variables),
            "g_optimizer": (g_optimizer, generative.gan_adam, self.encoder.trainable_variables),
        }, main="ae_optimizer", **kwargs)

    def weight_layers(self) -> list:
        return self.encoder.layers + self.decoder.layers + self.latent_discriminator.layers

    @property
    def conditional(self) -> bool:
        return self.prior == "categorical"

    # --- the prior ------------------------------------------------------------------------------

    def _component_means(self, labels):
        """Centre of each label's mixture component: radius 2 on a circle in (z1, z2)."""
        angles = 2.0 * np.pi * tf.cast(labels, "float32") / float(self.num_classes)
        circle = 2.0 * tf.stack([tf.cos(angles), tf.sin(angles)], axis=-1)
        return tf.pad(circle, [[0, 0], [0, self.latent_dim - 2]])

    def _prior_samples(self, batch, labels):
        noise = tf.random.normal([batch, self.latent_dim])
        if self.prior == "gaussian":
            return noise
        return self._component_means(labels) + 0.5 * noise

    def _judge(self, codes, labels, training: bool):
        if self.prior == "categorical":
            return self.latent_discriminator([codes, tf.one_hot(labels, self.num_classes)], training=training)
        return self.latent_discriminator(codes, training=training)

    def train_step(self, data):
        images, labels = generative.unpack(data)
        if self.prior == "categorical":
            if labels is None:
                raise ValueError("aae with prior='categorical' trains on (images, labels) pairs.")
            labels = tf.cast(tf.reshape(labels, [-1]), "int32")
        x = generative.as_images(images) / 255.0
        replicas = generative.replica_count()
        with tf.GradientTape() as tape:
            pixels = self.decoder(self.encoder(x, training=True), training=True)
            per_pixel = keras.losses.binary_crossentropy(x[..., None], pixels[..., None])
            reconstruction = tf.reduce_mean(tf.reduce_sum(tf.reshape(per_pixel, [tf.shape(x)[0], -1]), axis=1))
            scaled = reconstruction / replicas
        variables = self.encoder.trainable_variables + self.decoder.trainable_variables
        self.ae_optimizer.apply(tape.gradient(scaled, variables), variables)

        prior = self._prior_samples(tf.shape(x)[0], labels)
        with tf.GradientTape() as tape:
            codes = self.encoder(x, training=True)
            d_loss = (tf.reduce_mean(tf.nn.softplus(-self._judge(prior, labels, training=True)))
                      + tf.reduce_mean(tf.nn.softplus(self._judge(codes, labels, training=True))))
            scaled = d_loss / replicas
        variables = self.latent_discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)

        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(tf.nn.softplus(-self._judge(self.encoder(x, training=True), labels, training=True)))
            scaled = g_loss / replicas
        variables = self.encoder.trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)

        return self.track(reconstruction=reconstruction, d_loss=d_loss, g_loss=g_loss)

    def encode(self, images) -> np.ndarray:
        """The codes of raw images (0-255): ``(n, latent_dim)``."""
        x = self.checked_images(images)
        if not len(x):
            return np.zeros((0, self.latent_dim), "float32")
        return self.encoder.predict(x / 255.0, verbose=0)

    def decode(self, codes) -> np.ndarray:
        """Images in [0, 1] for latent codes ``(n, latent_dim)``."""
        codes = self.checked_codes(codes)
        if not len(codes):
            return self.empty_images()
        return self.decoder.predict(codes, verbose=0)

    def reconstruct(self, images) -> np.ndarray:
        """Raw images (0-255) through the code and back: images in [0, 1]."""
        return self.decode(self.encode(images))

    def sample(self, n: int, *, seed: int | None = None, labels=None) -> np.ndarray:
        """``n`` images in [0, 1] decoded from prior draws (of ``labels``' components for the categorical
        prior); ``n=0`` gives an empty (0, H, W, C) batch; a fixed ``seed`` gives the same images."""
        where = f"{self.full_name}.sample"
        n = generative.sample_count(n, where)
        if labels is not None and self.prior != "categorical":
            generative.refuse_labels(self, where)
        noise = np.random.default_rng(seed).normal(size=(n, self.latent_dim)).astype("float32")
        if self.prior == "gaussian":
            return self.decode(noise)
        if labels is None:
            labels = np.arange(n, dtype="int32") % self.num_classes
        labels = generative.class_ids(labels, n, where, self.num_classes)
        if n == 0:
            return self.empty_images()
        return self.decode(np.asarray(self._component_means(labels)) + 0.5 * noise)

    def sample_grid(self, n: int, path, *, seed: int | None = 0, labels=None):
        """Write ``n`` (>= 1) samples as one PNG grid; returns its path."""
        generative.sample_count(n, f"{self.full_name}.sample_grid", minimum=1)
        options = {"labels": labels} if self.prior == "categorical" else {}
        if labels is not None and not options:
            generative.refuse_labels(self, f"{self.full_name}.sample_grid")
        return generative.write_grid(self.sample(n, seed=seed, **options), path)
