"""The adversarial autoencoder (Makhzani et al., 2015): ``fit(images)``.

Each step (1) trains encoder + decoder to reconstruct (binary cross-entropy
summed over pixels), (2) trains a discriminator to tell samples of the prior
N(0, I) from codes, and (3) trains the encoder to fool it, so the codes follow
the prior and ``sample`` can decode prior draws. Three optimizers, built in the
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

from zoo import registry
from zoo.models import vae as networks
from zoo.tasks import generative


@keras.saving.register_keras_serializable(package="zoo")
class AAE(keras.Model):
    def __init__(self, model_name: str, build_config: dict[str, Any] | None = None, *, weights_tag=None,
                 preprocessing=None, **kwargs: Any):
        kwargs.setdefault("name", model_name)
        super().__init__(**kwargs)
        self.spec = registry.get_spec(model_name)
        self.model_name = self.spec.name
        config = dict(self.spec.config if build_config is None else build_config)
        config["image_shape"] = tuple(config.get("image_shape", (28, 28, 1)))
        self.build_config = config
        self.latent_dim = int(config.get("latent_dim", 8))
        shape = dict(latent_dim=self.latent_dim, image_shape=config["image_shape"],
                     base_filters=int(config.get("base_filters", 32)), hidden_units=int(config.get("hidden_units", 256)))
        self.encoder = networks.build_encoder(variational=False, **shape)
        self.decoder = networks.build_decoder(**shape)
        self.latent_discriminator = networks.build_latent_discriminator(
            latent_dim=self.latent_dim, hidden_units=shape["hidden_units"])
        self.weights_tag = weights_tag
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("reconstruction", "d_loss", "g_loss")}
        self.built = True

    def call(self, inputs, training=None):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def compile(self, ae_optimizer=None, d_optimizer=None, g_optimizer=None, **kwargs):
        with self.distribute_strategy.scope():
            self.ae_optimizer = ae_optimizer or keras.optimizers.Adam(1e-3)
            self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
            self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
            self.ae_optimizer.build(self.encoder.trainable_variables + self.decoder.trainable_variables)
            self.d_optimizer.build(self.latent_discriminator.trainable_variables)
            self.g_optimizer.build(self.encoder.trainable_variables)
        super().compile(optimizer=self.ae_optimizer, **kwargs)

    def get_compile_config(self):
        return None  # three optimizers: compile() again after loading

    @property
    def metrics(self):
        return list(self.trackers.values())

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, "model_name": self.model_name,
                "build_config": self.build_config, "weights_tag": self.weights_tag}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def weight_layers(self) -> list:
        return self.encoder.layers + self.decoder.layers + self.latent_discriminator.layers

    def train_step(self, data):
        images, _ = generative.unpack(data)
        x = generative.as_images(images) / 255.0
        replicas = generative.replica_count()
        with tf.GradientTape() as tape:
            pixels = self.decoder(self.encoder(x, training=True), training=True)
            per_pixel = keras.losses.binary_crossentropy(x[..., None], pixels[..., None])
            reconstruction = tf.reduce_mean(tf.reduce_sum(tf.reshape(per_pixel, [tf.shape(x)[0], -1]), axis=1))
            scaled = reconstruction / replicas
        variables = self.encoder.trainable_variables + self.decoder.trainable_variables
        self.ae_optimizer.apply(tape.gradient(scaled, variables), variables)

        prior = tf.random.normal([tf.shape(x)[0], self.latent_dim])
        with tf.GradientTape() as tape:
            codes = self.encoder(x, training=True)
            d_loss = (tf.reduce_mean(tf.nn.softplus(-self.latent_discriminator(prior, training=True)))
                      + tf.reduce_mean(tf.nn.softplus(self.latent_discriminator(codes, training=True))))
            scaled = d_loss / replicas
        variables = self.latent_discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)

        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(tf.nn.softplus(-self.latent_discriminator(self.encoder(x, training=True), training=True)))
            scaled = g_loss / replicas
        variables = self.encoder.trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)

        for name, value in (("reconstruction", reconstruction), ("d_loss", d_loss), ("g_loss", g_loss)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def encode(self, images) -> np.ndarray:
        return self.encoder.predict(generative.as_images(images) / 255.0, verbose=0)

    def decode(self, codes) -> np.ndarray:
        return self.decoder.predict(np.asarray(codes, "float32"), verbose=0)

    def reconstruct(self, images) -> np.ndarray:
        return self.decode(self.encode(images))

    def sample(self, n: int, *, seed: int | None = None) -> np.ndarray:
        """``n`` images decoded from prior draws; a fixed ``seed`` gives the same images."""
        return self.decode(np.random.default_rng(seed).normal(size=(n, self.latent_dim)))

    def sample_grid(self, n: int, path, *, seed: int | None = 0):
        return generative.write_grid(self.sample(n, seed=seed), path)
