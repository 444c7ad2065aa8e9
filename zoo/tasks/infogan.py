"""InfoGAN (Chen et al., 2016): a GAN whose latent carries codes that Q must read back from the image.

The generator's latent is laid out as ``[noise | one-hot categorical code(s) | continuous codes]``
(MNIST defaults as in the paper: 62 noise values, one 10-way code, two codes uniform in [-1, 1]).
Each step trains the discriminator (with Q, which shares its body) on the adversarial loss plus
the mutual-information term on fakes, then the generator on the non-saturating loss plus the same
term: ``info_weight`` x cross-entropy of the categorical codes + ``continuous_weight`` x the
continuous codes' Gaussian negative log-likelihood (``continuous_loss="gaussian"``, Q predicts mean
and log std) or mean squared error (``"mse"``). ``fit(images)`` takes raw pixels (0-255).

>>> import zoo
>>> gan = zoo.create("infogan", image_shape=(16, 16, 1), noise_dim=4, base_filters=4)
>>> gan.sample(3, seed=0, codes={"categorical": [0, 1, 2]}).shape
(3, 16, 16, 1)
"""

from __future__ import annotations

import math
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf
from scipy.optimize import linear_sum_assignment

from zoo import preprocessing
from zoo.models import dcgan, infogan
from zoo.tasks import benchmark, generative
from zoo.tasks.base import CardText

CONTINUOUS_LOSSES = ("gaussian", "mse")
LOG_STD_FLOOR = -5.0  # keeps the Gaussian NLL finite when Q grows over-confident
HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


def compose_latent(noise, categorical, continuous, categorical_codes) -> tf.Tensor:
    """``[noise | one-hot of each categorical column | continuous]``, float32, one row per image."""
    parts = [tf.cast(noise, "float32")]
    for column, size in enumerate(categorical_codes):
        parts.append(tf.one_hot(tf.cast(categorical[:, column], "int32"), size))
    if continuous is not None and continuous.shape[-1]:
        parts.append(tf.cast(continuous, "float32"))
    return tf.concat(parts, axis=-1)


def mutual_information_loss(outputs: dict, categorical, continuous, categorical_codes,
                            continuous_loss: str = "gaussian") -> tuple[tf.Tensor, tf.Tensor]:
    """(categorical cross-entropy summed over the codes, continuous loss summed over the codes), each a
    batch mean: the lower bound on I(codes; image) that InfoGAN maximises, up to the codes' entropy."""
    cross_entropy = tf.constant(0.0)
    start = 0
    for column, size in enumerate(categorical_codes):
        logits = outputs["categorical"][:, start:start + size]
        cross_entropy += tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            tf.cast(categorical[:, column], "int32"), logits))
        start += size
    if "mean" not in outputs:
        return cross_entropy, tf.constant(0.0)
    error = tf.cast(continuous, "float32") - outputs["mean"]
    if continuous_loss == "mse":
        return cross_entropy, tf.reduce_mean(tf.square(error))
    log_std = tf.maximum(outputs["log_std"], LOG_STD_FLOOR)
    nll = 0.5 * tf.square(error * tf.exp(-log_std)) + log_std + HALF_LOG_TWO_PI
    return cross_entropy, tf.reduce_mean(tf.reduce_sum(nll, axis=-1))


def matched_accuracy(codes, digits, num_codes: int, num_digits: int = 10) -> float:
    """Accuracy of reading ``digits`` from ``codes`` after the best one-to-one matching of code values
    to digits (Hungarian algorithm on the code x digit counts)."""
    counts = np.zeros((num_codes, num_digits), "int64")
    np.add.at(counts, (np.asarray(codes, "int64"), np.asarray(digits, "int64")), 1)
    rows, columns = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, columns].sum() / max(1, counts.sum()))


@keras.saving.register_keras_serializable(package="zoo")
class InfoGAN(generative.AdversarialPair):
    METRICS = ("d_loss", "g_loss", "info_categorical", "info_continuous")
    CARD_TEXT = CardText(
        "unconditional-image-generation",
        "Sampling images with chosen codes (`model.sample(n, codes=...)`), traversals of a code "
        "(`model.traverse`), unsupervised clustering by the categorical code, teaching.",
        "What each code means is found by training, not chosen: check a traversal before trusting one. "
        "Samples reproduce the training data's biases.",
    )

    def build_networks(self, config: dict[str, Any]) -> None:
        where = self.model_name
        self.noise_dim = preprocessing.whole_number(config.get("noise_dim", 62), "noise_dim", name=where, minimum=1)
        sizes = config.get("categorical_codes", (10,))
        if isinstance(sizes, (int, str)) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 2
                                                     for s in sizes):
            raise ValueError(f"{where}: categorical_codes must be a list of code sizes, each a whole number >= 2 "
                             f"(e.g. [10] for one 10-way code, [] for none); got {sizes!r}.")
        self.categorical_codes = tuple(sizes)
        self.continuous_codes = preprocessing.whole_number(config.get("continuous_codes", 2), "continuous_codes",
                                                           name=where, minimum=0)
        self.continuous_loss = config.get("continuous_loss", "gaussian")
        if self.continuous_loss not in CONTINUOUS_LOSSES:
            raise ValueError(f"{where}: continuous_loss must be one of {CONTINUOUS_LOSSES}; got "
                             f"{self.continuous_loss!r}.")
        self.info_weight = float(config.get("info_weight", 1.0))
        self.continuous_weight = float(config.get("continuous_weight", 0.1))
        self.latent_dim = self.noise_dim + sum(self.categorical_codes) + self.continuous_codes
        base = int(config.get("base_filters", 64))
        self.generator = dcgan.build_generator(latent_dim=self.latent_dim, image_shape=config["image_shape"],
                                               base_filters=base)
        self.discriminator = infogan.build_discriminator_with_q(
            image_shape=config["image_shape"], base_filters=base, categorical_codes=self.categorical_codes,
            continuous_codes=self.continuous_codes, gaussian=self.continuous_loss == "gaussian")

    def bench_workload(self, batch, rng):
        """Training on images; the forward pass is sampling: the generator on latents."""
        images = self.bench_images(batch, rng)
        latent = tf.constant(self.latents(batch, rng, None)[0])
        generator = self.generator
        return benchmark.Workload(self, benchmark.repeated(images), lambda z: generator(z, training=False), latent,
                                  benchmark.one_sample_specs(latent))

    # --- training ---------------------------------------------------------------------------------

    def _random_codes(self, batch):
        categorical = tf.stack([tf.random.uniform([batch], 0, size, dtype="int32") for size in self.categorical_codes]
                               or [tf.zeros([batch], "int32")], axis=1)
        continuous = tf.random.uniform([batch, self.continuous_codes], -1.0, 1.0)
        noise = tf.random.normal([batch, self.noise_dim])
        return compose_latent(noise, categorical, continuous, self.categorical_codes), categorical, continuous

    def _info_losses(self, outputs, categorical, continuous):
        return mutual_information_loss(outputs, categorical, continuous, self.categorical_codes, self.continuous_loss)

    def train_step(self, data):
        images, _ = generative.unpack(data)
        real = generative.as_images(images) / 127.5 - 1.0
        batch = tf.shape(real)[0]
        replicas = generative.replica_count()
        latent, categorical, continuous = self._random_codes(batch)
        with tf.GradientTape() as tape:
            fake = self.generator(latent, training=True)
            real_logits = self.discriminator(real, training=True)["logit"]
            fake_outputs = self.discriminator(fake, training=True)
            d_loss = (tf.reduce_mean(tf.nn.softplus(-real_logits))
                      + tf.reduce_mean(tf.nn.softplus(fake_outputs["logit"])))
            cross_entropy, continuous_loss = self._info_losses(fake_outputs, categorical, continuous)
            info = self.info_weight * cross_entropy + self.continuous_weight * continuous_loss
            scaled = (d_loss + info) / replicas  # inside the tape, or the gradient is lost
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        latent, categorical, continuous = self._random_codes(batch)
        with tf.GradientTape() as tape:
            outputs = self.discriminator(self.generator(latent, training=True), training=True)
            g_loss = tf.reduce_mean(tf.nn.softplus(-outputs["logit"]))  # the non-saturating loss
            cross_entropy, continuous_loss = self._info_losses(outputs, categorical, continuous)
            info = self.info_weight * cross_entropy + self.continuous_weight * continuous_loss
            scaled = (g_loss + info) / replicas
        variables = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        return self.track(d_loss=d_loss, g_loss=g_loss, info_categorical=cross_entropy,
                          info_continuous=continuous_loss)

    # --- what a user wants ------------------------------------------------------------------------

    def latents(self, n: int, rng: np.random.Generator, codes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(latent, categorical ids (n, codes), continuous (n, codes)): ``codes`` as given, the rest drawn."""
        codes = self._checked_codes(codes, n)
        noise = rng.normal(size=(n, self.noise_dim)).astype("float32")
        categorical = codes.get("categorical")
        if categorical is None:
            categorical = np.stack([rng.integers(0, s, n) for s in self.categorical_codes], 1) \
                if self.categorical_codes else np.zeros((n, 0), "int32")
        continuous = codes.get("continuous")
        if continuous is None:
            continuous = rng.uniform(-1.0, 1.0, (n, self.continuous_codes)).astype("float32")
        latent = compose_latent(noise, categorical, continuous, self.categorical_codes).numpy()
        return latent, categorical.astype("int32"), continuous.astype("float32")

    def _checked_codes(self, codes, n: int) -> dict[str, np.ndarray]:
        where = f"{self.full_name}.sample"
        if codes is None:
            return {}
        if not isinstance(codes, dict) or set(codes) - {"categorical", "continuous"}:
            raise ValueError(f"{where}: codes must be a dict with 'categorical' and/or 'continuous' keys; got "
                             f"{codes!r:.200}.")
        checked = {}
        if codes.get("categorical") is not None:
            if not self.categorical_codes:
                raise ValueError(f"{where}: this model has no categorical code (categorical_codes=[]).")
            values = np.asarray(codes["categorical"])
            columns = len(self.categorical_codes)
            flat = values.reshape(n, columns) if values.size == n * columns and values.ndim <= 2 else None
            if flat is None or (values.ndim == 2 and values.shape != (n, columns)):
                raise ValueError(f"{where}: codes['categorical'] must hold one id per image and categorical code, "
                                 f"shaped ({n},) or ({n}, {columns}); got shape {values.shape}.")
            checked["categorical"] = np.stack([generative.class_ids(flat[:, c], n, f"{where}: codes['categorical']",
                                                                    size) for c, size in
                                               enumerate(self.categorical_codes)], 1)
        if codes.get("continuous") is not None:
            values = np.asarray(codes["continuous"])
            if values.dtype.kind not in "biuf" or values.shape != (n, self.continuous_codes) \
                    or not np.isfinite(values).all():
                raise ValueError(f"{where}: codes['continuous'] must be finite numbers shaped "
                                 f"({n}, {self.continuous_codes}) (trained on uniform(-1, 1)); got "
                                 f"{values.dtype} of shape {values.shape}.")
            checked["continuous"] = values.astype("float32")
        return checked

    def sample(self, n: int, *, seed: int | None = None, codes: dict | None = None) -> np.ndarray:
        """``n`` images in [0, 1] (NHWC); ``codes={"categorical": ids, "continuous": values}`` fixes codes
        (ids shaped (n,) or (n, number of categorical codes); values (n, continuous_codes)), the rest is
        drawn from ``seed``."""
        n = generative.sample_count(n, f"{self.full_name}.sample")
        latent = self.latents(n, np.random.default_rng(seed), codes)[0]
        if n == 0:
            return self.empty_images()
        return (self.generator.predict(latent, verbose=0) + 1.0) / 2.0

    def sample_grid(self, n: int, path, *, seed: int | None = 0, codes: dict | None = None):
        """Write ``n`` (>= 1) samples as one PNG grid; returns its path."""
        generative.sample_count(n, f"{self.full_name}.sample_grid", minimum=1)
        return generative.write_grid(self.sample(n, seed=seed, codes=codes), path)

    def traverse(self, code_index: int, values=None, *, path, seed: int = 0, categorical_code: int = 0):
        """A PNG grid (returns its path): row r holds categorical code ``categorical_code`` = r, column c
        continuous code ``code_index`` = ``values[c]`` (default: 9 steps from -2 to 2, beyond the training
        range as in the paper); one noise vector from ``seed`` throughout, the other codes 0."""
        where = f"{self.full_name}.traverse"
        if not self.continuous_codes:
            raise ValueError(f"{where}: this model has no continuous code to sweep (continuous_codes=0).")
        code_index = preprocessing.whole_number(code_index, "code_index", name=where, minimum=0)
        if code_index >= self.continuous_codes:
            raise ValueError(f"{where}: code_index must be in [0, {self.continuous_codes}) (the continuous codes); "
                             f"got {code_index}.")
        sweep = np.linspace(-2.0, 2.0, 9) if values is None else np.asarray(values)
        if sweep.dtype.kind not in "biuf" or sweep.ndim != 1 or not sweep.size or not np.isfinite(sweep).all():
            raise ValueError(f"{where}: values must be a non-empty list of finite numbers (the sweep of code "
                             f"{code_index}); got {values!r:.200}.")
        sizes = self.categorical_codes or (1,)
        if not 0 <= categorical_code < len(sizes):
            raise ValueError(f"{where}: categorical_code must be in [0, {len(sizes)}); got {categorical_code!r}.")
        rows, columns = sizes[categorical_code], sweep.size
        categorical = np.zeros((rows * columns, len(self.categorical_codes)), "int32")
        if self.categorical_codes:
            categorical[:, categorical_code] = np.repeat(np.arange(rows), columns)
        continuous = np.zeros((rows * columns, self.continuous_codes), "float32")
        continuous[:, code_index] = np.tile(sweep, rows)
        noise = np.random.default_rng(seed).normal(size=(1, self.noise_dim)).astype("float32")
        latent = compose_latent(np.repeat(noise, rows * columns, 0), categorical, continuous, self.categorical_codes)
        images = (self.generator.predict(latent.numpy(), verbose=0) + 1.0) / 2.0
        return generative.write_grid(images, path, columns=columns)

    def code_accuracy(self, read_digits: Callable[[np.ndarray], np.ndarray], per_code: int = 100,
                      seed: int = 0) -> float:
        """How well the first categorical code recovers classes: ``per_code`` samples for each code value,
        ``read_digits`` (images in [0, 1] -> class ids, e.g. a classifier) labels them, accuracy after
        the best one-to-one matching of code values to classes."""
        if not self.categorical_codes:
            raise ValueError(f"{self.full_name}.code_accuracy: this model has no categorical code.")
        per_code = preprocessing.whole_number(per_code, "per_code", name=f"{self.full_name}.code_accuracy", minimum=1)
        size = self.categorical_codes[0]
        ids = np.repeat(np.arange(size), per_code)
        categorical = np.zeros((ids.size, len(self.categorical_codes)), "int64")
        categorical[:, 0] = ids
        rng = np.random.default_rng(seed)
        categorical[:, 1:] = np.stack([rng.integers(0, s, ids.size) for s in self.categorical_codes[1:]], 1) \
            if len(self.categorical_codes) > 1 else categorical[:, 1:]
        digits = np.asarray(read_digits(self.sample(ids.size, seed=seed, codes={"categorical": categorical})))
        return matched_accuracy(ids, digits, size, max(size, int(digits.max()) + 1))
