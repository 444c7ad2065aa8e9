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

from zoo.models import pix2pix as networks
from zoo.tasks import benchmark, generative
from zoo.tasks.base import CardText


@keras.saving.register_keras_serializable(package="zoo")
class Pix2Pix(generative.AdversarialPair):
    METRICS = ("d_loss", "g_loss", "l1")
    DEFAULT_IMAGE_SHAPE = (32, 32, 1)
    CARD_TEXT = CardText(
        "image-to-image",
        "Translating images from one domain to another as in its paired training data (pix2pix).",
        "Outputs are plausible, not faithful: it invents detail the input does not contain.",
    )

    def build_networks(self, config: dict[str, Any]) -> None:
        self.l1_weight = float(config.get("l1_weight", 100.0))
        shape = dict(image_shape=config["image_shape"], output_channels=config.get("output_channels"),
                     base_filters=int(config.get("base_filters", 64)))
        self.generator = networks.build_generator(**shape)
        self.discriminator = networks.build_discriminator(**shape)

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
        return self.track(d_loss=d_loss, g_loss=g_loss, l1=l1)

    def bench_workload(self, batch, rng):
        """Training on (source, target) pairs; the forward pass is the generator on sources."""
        images = self.bench_images(batch, rng)
        source = images / 127.5 - 1.0
        generator = self.generator
        return benchmark.Workload(self, benchmark.repeated(images, images), lambda x: generator(x, training=False),
                                  source, benchmark.one_sample_specs(source))

    def translate(self, images) -> np.ndarray:
        """Translated images in [0, 1], the same spatial size as the input (raw 0-255 pixels; no images
        in, an empty batch out)."""
        source = self.checked_images(images)
        if not len(source):
            return np.zeros((0, *self.generator.output_shape[1:]), "float32")
        return (self.generator.predict(source / 127.5 - 1.0, verbose=0) + 1.0) / 2.0

    def training_images(self, images, second) -> list:
        return [("images", images), ("targets", second)] if second is not None else [("images", images)]


def edge_map(images) -> np.ndarray:
    """Sobel edge magnitude of raw images (0-255), scaled per image to 0-255: the input of ``pix2pix.edges2mnist``."""
    x = generative.as_images(images) / 255.0
    gradients = tf.image.sobel_edges(x)
    magnitude = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=-1))
    peak = tf.reduce_max(magnitude, axis=[1, 2, 3], keepdims=True)
    return (255.0 * magnitude / tf.maximum(peak, 1e-6)).numpy()
