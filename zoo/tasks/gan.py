"""GANs that train with ``fit``: DCGAN and the conditional GAN (``cgan``), BCE or WGAN-GP.

``fit(images)`` or ``fit((images, labels))`` with raw pixels (0-255); the model
scales them to [-1, 1]. Each step trains the discriminator (``critic_steps``
times) then the generator, each with its own optimizer, both built in the
strategy's scope by ``compile``. Losses are divided by the replica count before
the gradient (replicas' gradients are summed), and ``d_loss``/``g_loss`` are
tracked with ``keras.metrics.Mean``, i.e. reported as global means.

>>> import zoo, numpy as np
>>> gan = zoo.create("dcgan", image_shape=(28, 28, 1), latent_dim=16, base_filters=8)
>>> gan.compile()
>>> gan.sample(4, seed=0).shape
(4, 28, 28, 1)
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo.models import dcgan
from zoo.tasks import benchmark, generative
from zoo.tasks.base import CardText

LOSSES = ("bce", "wgan-gp")


@keras.saving.register_keras_serializable(package="zoo")
class GAN(generative.AdversarialPair):
    METRICS = ("d_loss", "g_loss")
    CARD_TEXT = CardText(
        "unconditional-image-generation",
        "Sampling images like its training data (`model.sample(n)`, `zoo sample`), data augmentation experiments, "
        "teaching.",
        "Samples reproduce its training data's biases and can memorise training images; they are not evidence "
        "of anything real.",
    )

    def build_networks(self, config: dict[str, Any]) -> None:
        self.latent_dim = int(config.get("latent_dim", 100))
        self.num_classes = config.get("num_classes") or None
        self.loss_kind = config.get("loss", "bce")
        if self.loss_kind not in LOSSES:
            raise ValueError(f"{self.model_name}: loss must be one of {LOSSES}; got {self.loss_kind!r}.")
        if self.spec.config.get("num_classes") and not self.num_classes:  # registered as conditional (cgan)
            raise ValueError(f"{self.model_name} needs num_classes (the number of class labels it is conditioned on).")
        self.gp_weight = float(config.get("gp_weight", 10.0))
        self.critic_steps = int(config.get("critic_steps", 1))
        base = int(config.get("base_filters", 64))
        self.generator = dcgan.build_generator(
            latent_dim=self.latent_dim, image_shape=config["image_shape"], base_filters=base, num_classes=self.num_classes
        )
        self.discriminator = dcgan.build_discriminator(
            image_shape=config["image_shape"], base_filters=base, num_classes=self.num_classes,
            norm="layer" if self.loss_kind == "wgan-gp" else "batch",
        )

    @property
    def conditional(self) -> bool:
        return bool(self.num_classes)

    def bench_workload(self, batch, rng):
        """Training on images (and class ids); the forward pass is sampling: the generator on noise (and ids)."""
        images = self.bench_images(batch, rng)
        noise = tf.constant(rng.normal(size=(batch, self.latent_dim)).astype("float32"))
        if self.conditional:
            labels = self.bench_labels(batch)
            inputs, data = [noise, labels], benchmark.repeated(images, labels)
        else:
            inputs, data = noise, benchmark.repeated(images)
        generator = self.generator
        return benchmark.Workload(self, data, lambda z: generator(z, training=False), inputs,
                                  benchmark.one_sample_specs(inputs))

    # --- training ---------------------------------------------------------------------------------

    def _generator_inputs(self, noise, labels):
        return [noise, labels] if self.num_classes else noise

    def _discriminator_inputs(self, images, labels):
        return [images, labels] if self.num_classes else images

    def _gradient_penalty(self, real, fake, labels):
        mix = tf.random.uniform([tf.shape(real)[0], 1, 1, 1])
        between = real + mix * (fake - real)
        with tf.GradientTape() as tape:
            tape.watch(between)
            logits = self.discriminator(self._discriminator_inputs(between, labels), training=True)
        norms = tf.sqrt(tf.reduce_sum(tf.square(tape.gradient(logits, between)), axis=[1, 2, 3]) + 1e-12)
        return tf.reduce_mean(tf.square(norms - 1.0))

    def _discriminator_loss(self, real_logits, fake_logits):
        if self.loss_kind == "wgan-gp":
            return tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)
        return tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))

    def _generator_loss(self, fake_logits):
        if self.loss_kind == "wgan-gp":
            return -tf.reduce_mean(fake_logits)
        return tf.reduce_mean(tf.nn.softplus(-fake_logits))  # the non-saturating loss

    def train_step(self, data):
        images, labels = generative.unpack(data)
        if self.num_classes:
            if labels is None:
                raise ValueError(f"{self.model_name} trains on (images, labels) pairs; got images only.")
            labels = tf.cast(tf.reshape(labels, [-1]), "int32")
        real = generative.as_images(images) / 127.5 - 1.0
        batch = tf.shape(real)[0]
        replicas = generative.replica_count()
        for _ in range(self.critic_steps):
            noise = tf.random.normal([batch, self.latent_dim])
            with tf.GradientTape() as tape:
                fake = self.generator(self._generator_inputs(noise, labels), training=True)
                real_logits = self.discriminator(self._discriminator_inputs(real, labels), training=True)
                fake_logits = self.discriminator(self._discriminator_inputs(fake, labels), training=True)
                d_loss = self._discriminator_loss(real_logits, fake_logits)
                if self.loss_kind == "wgan-gp":
                    d_loss += self.gp_weight * self._gradient_penalty(real, fake, labels)
                scaled = d_loss / replicas  # inside the tape, or the gradient is lost
            variables = self.discriminator.trainable_variables
            self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        noise = tf.random.normal([batch, self.latent_dim])
        with tf.GradientTape() as tape:
            fake = self.generator(self._generator_inputs(noise, labels), training=True)
            g_loss = self._generator_loss(self.discriminator(self._discriminator_inputs(fake, labels), training=True))
            scaled = g_loss / replicas
        variables = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        return self.track(d_loss=d_loss, g_loss=g_loss)

    # --- what a user wants ------------------------------------------------------------------------

    def sample(self, n: int, *, seed: int | None = None, labels=None) -> np.ndarray:
        """``n`` generated images in [0, 1] (NHWC; ``n=0`` gives an empty (0, H, W, C) batch); a fixed
        ``seed`` gives the same images. A conditional GAN draws ``labels`` (default: 0, 1, 2, ... in turn)."""
        where = f"{self.full_name}.sample"
        n = generative.sample_count(n, where)
        if labels is not None and not self.num_classes:
            generative.refuse_labels(self, where)
        if self.num_classes:
            if labels is None:
                labels = np.arange(n, dtype="int32") % self.num_classes
            labels = generative.class_ids(labels, n, where, self.num_classes)
        if n == 0:
            return self.empty_images()
        noise = np.random.default_rng(seed).normal(size=(n, self.latent_dim)).astype("float32")
        images = self.generator.predict(self._generator_inputs(noise, labels), verbose=0)
        return (images + 1.0) / 2.0

    def sample_grid(self, n: int, path, *, seed: int | None = 0, labels=None):
        """Write ``n`` (>= 1) samples as one PNG grid; returns its path."""
        generative.sample_count(n, f"{self.full_name}.sample_grid", minimum=1)
        return generative.write_grid(self.sample(n, seed=seed, labels=labels), path)
