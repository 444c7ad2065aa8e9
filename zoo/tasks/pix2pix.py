"""pix2pix: paired image-to-image translation, ``fit((sources, targets))``.

Generator loss = non-saturating GAN loss on the PatchGAN's patch logits +
``l1_weight`` (100, as in the paper) * mean |target - output|; the discriminator
sees (source, target) and (source, output) pairs. Raw pixels (0-255) in, scaled
to [-1, 1]; two optimizers built in the strategy's scope; losses divided by the
replica count inside the tape; metrics are ``keras.metrics.Mean``.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo import registry
from zoo.models import pix2pix as networks
from zoo.tasks import generative


@keras.saving.register_keras_serializable(package="zoo")
class Pix2Pix(keras.Model):
    def __init__(self, model_name: str, build_config: dict[str, Any] | None = None, *, weights_tag=None,
                 preprocessing=None, **kwargs: Any):
        kwargs.setdefault("name", model_name)
        super().__init__(**kwargs)
        self.spec = registry.get_spec(model_name)
        self.model_name = self.spec.name
        config = dict(self.spec.config if build_config is None else build_config)
        config["image_shape"] = tuple(config.get("image_shape", (32, 32, 1)))
        self.build_config = config
        self.l1_weight = float(config.get("l1_weight", 100.0))
        shape = dict(image_shape=config["image_shape"], output_channels=config.get("output_channels"),
                     base_filters=int(config.get("base_filters", 64)))
        self.generator = networks.build_generator(**shape)
        self.discriminator = networks.build_discriminator(**shape)
        self.weights_tag = weights_tag
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "l1")}
        self.built = True

    def call(self, inputs, training=None):
        return self.generator(inputs, training=training)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        with self.distribute_strategy.scope():
            self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
            self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
            self.d_optimizer.build(self.discriminator.trainable_variables)
            self.g_optimizer.build(self.generator.trainable_variables)
        super().compile(optimizer=self.g_optimizer, **kwargs)

    def get_compile_config(self):
        return None  # two optimizers: compile() again after loading

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
        return self.generator.layers + self.discriminator.layers

    def train_step(self, data):
        if isinstance(data, (tuple, list)) and len(data) == 1:
            data = data[0]
        if not (isinstance(data, (tuple, list)) and len(data) == 2):
            raise ValueError("pix2pix trains on (source images, target images) pairs.")
        source = generative.as_images(data[0]) / 127.5 - 1.0
        target = generative.as_images(data[1]) / 127.5 - 1.0
        replicas = generative.replica_count()
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            output = self.generator(source, training=True)
            real_logits = self.discriminator([source, target], training=True)
            fake_logits = self.discriminator([source, output], training=True)
            l1 = tf.reduce_mean(tf.abs(target - output))
            g_loss = tf.reduce_mean(tf.nn.softplus(-fake_logits)) + self.l1_weight * l1
            d_loss = tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))
            g_scaled, d_scaled = g_loss / replicas, d_loss / replicas
        g_variables = self.generator.trainable_variables
        d_variables = self.discriminator.trainable_variables
        self.g_optimizer.apply(g_tape.gradient(g_scaled, g_variables), g_variables)
        self.d_optimizer.apply(d_tape.gradient(d_scaled, d_variables), d_variables)
        for name, value in (("d_loss", d_loss), ("g_loss", g_loss), ("l1", l1)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def translate(self, images) -> np.ndarray:
        """Translated images in [0, 1], the same spatial size as the input."""
        source = generative.as_images(images) / 127.5 - 1.0
        return (self.generator.predict(source, verbose=0) + 1.0) / 2.0


def edge_map(images) -> np.ndarray:
    """Sobel edge magnitude of raw images (0-255), scaled per image to 0-255: the input of ``pix2pix.edges2mnist``."""
    x = generative.as_images(images) / 255.0
    gradients = tf.image.sobel_edges(x)
    magnitude = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=-1))
    peak = tf.reduce_max(magnitude, axis=[1, 2, 3], keepdims=True)
    return (255.0 * magnitude / tf.maximum(peak, 1e-6)).numpy()
