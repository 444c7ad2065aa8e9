"""Train-step throughput of our DCGAN and VAE against plain Keras versions of the same networks.

    python bench/generative.py [--smoke] [--json PATH]

Each reference is written in the style of the keras.io tutorials ("DCGAN to generate face
images", "Variational AutoEncoder"): a ``keras.Model`` subclass with its own ``train_step``
(a GradientTape, ``keras.metrics.Mean`` trackers), its networks built from plain
``keras.Sequential`` / functional layers. The reference networks have the same layers, weight
shapes and parameter counts as ``zoo.create("dcgan")`` and ``zoo.create("vae")`` (checked
before timing), and the reference steps use the same losses, optimizers and input scaling:
raw 0-255 pixels, scaled inside the step. Each reference also has a twin, built and compiled
the same way with the reference's weights copied in: the A/A calibration. All train with ``fit``
on one synthetic batch (64 images), repeated. The six ``fit`` timers (per model: reference,
twin, ours) run in alternating rounds in a single process, 8 DCGAN / 30 VAE steps per timing,
11 rounds after one dropped warm-up round, so drift of the machine affects every contender
alike. Goals are judged by process CPU time per step (paired by round, see zoo.bench.Step),
only when the A/A lands within ±5 %; wall-clock rates and ratios are printed beside them.
"""

from __future__ import annotations

from common import Report, arguments

import keras
import numpy as np
import tensorflow as tf
from keras import layers

import zoo
from zoo import bench

SHAPE = (28, 28, 1)  # MNIST, the default shape of both zoo models


# --- the plain DCGAN ------------------------------------------------------------------------------


def plain_generator(latent_dim: int, filters: int) -> keras.Model:
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 2 * filters, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Reshape((7, 7, 2 * filters)),
        layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
    ], name="generator")


def plain_discriminator(filters: int) -> keras.Model:
    return keras.Sequential([
        keras.Input(SHAPE),
        layers.Conv2D(filters, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Conv2D(2 * filters, 4, strides=2, padding="same"),
        layers.BatchNormalization(),
        layers.LeakyReLU(0.2),
        layers.Flatten(),
        layers.Dense(1),
    ], name="discriminator")


class PlainGAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real_images):
        real_images = real_images / 127.5 - 1.0  # the same scaling ours does in its step
        batch_size = tf.shape(real_images)[0]
        real_labels = tf.ones((batch_size, 1))
        fake_labels = tf.zeros((batch_size, 1))

        # Discriminator: real and fake in two passes, as ours does (BatchNorm sees each apart).
        noise = tf.random.normal((batch_size, self.latent_dim))
        with tf.GradientTape() as tape:
            fake_images = self.generator(noise, training=True)
            d_loss = (self.loss_fn(real_labels, self.discriminator(real_images, training=True))
                      + self.loss_fn(fake_labels, self.discriminator(fake_images, training=True)))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        # Generator: the non-saturating loss, i.e. fakes labelled real.
        noise = tf.random.normal((batch_size, self.latent_dim))
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(noise, training=True), training=True)
            g_loss = self.loss_fn(real_labels, fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


# --- the plain VAE --------------------------------------------------------------------------------


class Sampling(layers.Layer):
    """z = mean + sigma * epsilon (tf.random.normal, the same sampler ours uses)."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        return z_mean + tf.exp(0.5 * z_log_var) * tf.random.normal(tf.shape(z_mean))


def plain_encoder(latent_dim: int, filters: int, hidden: int) -> keras.Model:
    images = keras.Input(SHAPE)
    x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(images)
    x = layers.Conv2D(2 * filters, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(hidden, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(images, [z_mean, z_log_var, z], name="encoder")


def plain_decoder(latent_dim: int, filters: int, hidden: int) -> keras.Model:
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(7 * 7 * 2 * filters, activation="relu"),
        layers.Reshape((7, 7, 2 * filters)),
        layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
    ], name="decoder")


class PlainVAE(keras.Model):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        data = data / 255.0  # the same scaling ours does in its step
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data, training=True)
            reconstruction = self.decoder(z, training=True)
            reconstruction_loss = tf.reduce_mean(tf.reduce_sum(
                keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
            kl_loss = -0.5 * (1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var))
            kl_loss = tf.reduce_mean(tf.reduce_sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {metric.name: metric.result() for metric in self.metrics}


# --- the comparison -------------------------------------------------------------------------------


def same_networks(what: str, ours: keras.Model, reference: keras.Model) -> int:
    """Assert the two networks hold the same weights, shape by shape (BatchNorm statistics too)."""
    shapes = [tuple(w.shape) for w in ours.weights], [tuple(w.shape) for w in reference.weights]
    assert shapes[0] == shapes[1], f"{what}: weight shapes differ: ours {shapes[0]} vs reference {shapes[1]}"
    assert ours.count_params() == reference.count_params(), what
    return ours.count_params()


def twin_of(reference: keras.Model, build, networks: tuple[str, ...]) -> keras.Model:
    """The A/A twin: ``build()`` makes the reference again, the same way; then each of its ``networks``
    takes the reference's weights (checked shape by shape)."""
    twin = build()
    for name in networks:
        same_networks(f"twin {name}", getattr(twin, name), getattr(reference, name))
        getattr(twin, name).set_weights(getattr(reference, name).get_weights())
    return twin


def plain_gan() -> PlainGAN:
    gan = PlainGAN(plain_discriminator(64), plain_generator(100, 64), latent_dim=100)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    return gan


def plain_vae() -> PlainVAE:
    vae = PlainVAE(plain_encoder(16, 32, 256), plain_decoder(16, 32, 256))
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    return vae


def contenders() -> tuple[dict[str, keras.Model], dict[str, int]]:
    keras.utils.set_random_seed(0)
    gan = zoo.create("dcgan")  # latent 100, base filters 64
    gan.compile()  # both optimizers: Adam(2e-4, beta_1=0.5)
    reference_gan = plain_gan()
    vae = zoo.create("vae")  # latent 16, base filters 32, hidden 256
    vae.compile()  # Adam(1e-3)
    reference_vae = plain_vae()
    # The twins last, so the others' initial weights are those of earlier runs of this script.
    twin_gan = twin_of(reference_gan, plain_gan, ("generator", "discriminator"))
    twin_vae = twin_of(reference_vae, plain_vae, ("encoder", "decoder"))

    params = {
        "DCGAN generator": same_networks("generator", gan.generator, reference_gan.generator),
        "DCGAN discriminator": same_networks("discriminator", gan.discriminator, reference_gan.discriminator),
        "VAE encoder": same_networks("encoder", vae.encoder, reference_vae.encoder),
        "VAE decoder": same_networks("decoder", vae.decoder, reference_vae.decoder),
    }
    # Reference first, then its twin, then ours (as bench/resnet50.py); the order is the alternation's.
    models = {"DCGAN reference": reference_gan, "DCGAN twin": twin_gan, "DCGAN ours": gan,
              "VAE reference": reference_vae, "VAE twin": twin_vae, "VAE ours": vae}
    # CPU-only: Keras' jit_compile="auto" resolves to False; make sure no contender differs.
    assert len({model.jit_compile for model in models.values()}) == 1
    return models, params


def train_flops(models: dict[str, keras.Model], batch: int) -> dict[str, float]:
    """Training FLOPs of one step of ours, per model, from the profiler's forward counts (per image).

    VAE: the forward is the task's (encoder, then decoder), times TRAIN_FLOPS_PER_FORWARD.
    DCGAN: the step passes G (generator) and D (discriminator) several times: the discriminator
    step runs G forward only, then D on real and on fake images with backward; the generator step
    runs G then D with backward through both. Counted as G + 3 x (2D + G + D) = 4G + 9D per image
    (the 3x convention for every backpropagated pass; the generator step's D computes no weight
    gradients, so this is a slight overcount)."""
    rng = np.random.default_rng(0)
    gan = models["DCGAN ours"]
    work = gan.bench_workload(1, rng)
    generator = bench.forward_flops(work.forward, *work.forward_specs)
    discriminator = bench.forward_flops(lambda x: gan.discriminator(x, training=False),
                                        tf.TensorSpec((1, *SHAPE), tf.float32))
    work = models["VAE ours"].bench_workload(1, rng)
    vae = bench.forward_flops(work.forward, *work.forward_specs)
    return {"DCGAN": batch * (generator + bench.TRAIN_FLOPS_PER_FORWARD * (generator + 3 * discriminator)),
            "VAE": batch * bench.TRAIN_FLOPS_PER_FORWARD * vae,
            "G": generator, "D": discriminator, "VAE forward": vae}


def median_step(steps: list[bench.Step]) -> bench.Step:
    return bench.Step(*(float(np.median([getattr(step, clock) for step in steps])) for clock in bench.CLOCKS))


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    # Full mode: a DCGAN step at batch 64 takes ~250 ms and a VAE step ~40-65 ms on 2 cores, so 8 DCGAN
    # and 30 VAE steps make every timing 1.2-2 s of work; a round of the six timers is ~10 s, and
    # 1 dropped + 11 timed rounds ~2 min, ~2.5 min with building, tracing and the warm-up fits.
    batch, gan_steps, vae_steps, rounds, warm_up = (4, 1, 1, 1, 0) if args.smoke else (64, 8, 30, 11, 1)
    peak_size = 512 if args.smoke else 2048
    report = Report("bench/generative.py", args)
    models, params = contenders()

    # Random 0-255 pixels as float32, what ours takes from fit(images); one batch, repeated.
    images = np.random.default_rng(0).integers(0, 256, (batch, *SHAPE)).astype("float32")
    data = tf.data.Dataset.from_tensors(tf.constant(images)).repeat()
    steps = {"DCGAN": gan_steps, "VAE": vae_steps}
    timers = {name: bench.fit_timer(model.fit, data, steps[name.split()[0]]) for name, model in models.items()}
    times = bench.alternate(timers, rounds, warm_up)
    flops = train_flops(models, batch)

    aa = {}
    for net, goal in (("DCGAN", "a plain Keras DCGAN"), ("VAE", "a plain Keras VAE")):
        ours, reference, twin = times[f"{net} ours"], times[f"{net} reference"], times[f"{net} twin"]
        aa[net] = {clock: bench.paired_ratio(twin, reference, clock) for clock in bench.CLOCKS}
        label = f"{net} train step, batch {batch}"
        for what, steps_of in ((label, ours), (f"{label}: reference twin (A/A)", twin)):
            report.row(what, bench.rate(steps_of, batch), bench.rate(reference, batch), "images/s",
                       cpu_ratio=bench.paired_ratio(steps_of, reference, "cpu"),
                       mfu=bench.mfu(flops[net], median_step(steps_of), "fp32", peak_size),
                       wall_ratio_paired=bench.paired_ratio(steps_of, reference, "wall"))
        report.goal(f"{net} train ≥ 1.0× {goal}", bench.paired_ratio(ours, reference, "cpu"), 1.0,
                    aa=aa[net]["cpu"], clock="cpu")
    for net in ("DCGAN", "VAE"):
        report.note(f"{net} A/A (twin vs reference): {aa[net]['cpu']:.3f} by CPU time, "
                    f"{aa[net]['wall']:.3f} by wall time.")
    report.note("parameters, same in ours and the reference (checked weight by weight): "
                + ", ".join(f"{what} {count:,}" for what, count in params.items()) + ".")
    report.note(f"batch {batch}; {gan_steps} DCGAN / {vae_steps} VAE fit steps per timing, median of {rounds} "
                f"alternating rounds (reference, twin, ours) after {warm_up} dropped; "
                f"XLA {'on' if models['DCGAN ours'].jit_compile else 'off'} for all (Keras' 'auto' on CPU).")
    report.note(f"MFU: training FLOPs of ours per step from the profiler's forward counts, x"
                f"{bench.TRAIN_FLOPS_PER_FORWARD} for training. VAE: encoder + decoder "
                f"({flops['VAE forward'] / 1e6:.1f} MFLOPs per image). DCGAN: the step's passes through the "
                f"generator G ({flops['G'] / 1e6:.1f} MFLOPs per image) and the discriminator D "
                f"({flops['D'] / 1e6:.1f}): G forward only in the discriminator step, then D on real and on fake, "
                f"and G then D in the generator step, each backpropagated: 4G + 9D per image.")
    report.note("The plain DCGAN's loss is BinaryCrossentropy(from_logits=True) on 1/0 labels, the same "
                "function as our softplus form; ours also tracks a fourth VAE metric (the ELBO).")
    report.finish()


if __name__ == "__main__":
    main()
