"""The Siamese network task: ``fit(images, labels)`` learns embeddings where a class's images lie close.

One shared encoder embeds every image (both branches of a pair, all three of a triplet are the same
variables); pairs or triplets are formed online inside each batch from the labels
(``zoo.tasks.metric_losses``): ``loss="contrastive"`` (Hadsell et al. 2006) or ``loss="triplet"``
with ``mining="hard"`` or ``"semi_hard"`` (Schroff et al. 2015). The encoder is a small CNN, or any
zoo classifier by name (``backbone="resnet18"``, options in ``backbone_config``) built headless with
global average pooling. Inputs are raw pixels (0-255), scaled to [0, 1] here. Losses are divided
by the replica count before the gradient; metrics are ``keras.metrics.Mean`` (global means).

>>> import zoo, numpy as np
>>> net = zoo.create("siamese", embedding_dim=8, base_filters=4, hidden_units=16)
>>> net.embed(np.zeros((3, 28, 28))).shape
(3, 8)
"""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo import preprocessing, registry
from zoo.models import siamese as siamese_models
from zoo.tasks import backbone as backbones
from zoo.tasks import benchmark, few_shot, generative, metric_losses
from zoo.tasks.base import CardText


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"siamese: {what} must be one of {allowed}; got {value!r}.")
    return value


@keras.saving.register_keras_serializable(package="zoo")
class Siamese(generative.GenerativeTask):
    METRICS = ("loss", "positive_distance", "negative_distance", "nearest_neighbour_accuracy")
    SERVED_NETWORK = "encoder"
    CARD_TEXT = CardText(
        "image-feature-extraction",
        "Embedding images so that images of one class lie close (`embed`, `similarity`, `verify`), and "
        "classifying new classes from a few labelled examples (`classify`).",
        "Distances are meaningful for images like its training data; the verification threshold needs "
        "calibrating on your own pairs. Not evaluated for fairness or for biometric or safety-critical use.",
    )

    def build_networks(self, config: dict[str, Any]) -> None:
        self.embedding_dim = preprocessing.whole_number(config.get("embedding_dim", 64), "embedding_dim", name="siamese")
        self.loss_name = _choice(config.get("loss", "triplet"), metric_losses.LOSSES, "loss")
        self.mining = _choice(config.get("mining", "hard"), metric_losses.MININGS, "mining")
        margin = config.get("margin")
        if margin is not None and (isinstance(margin, bool) or not isinstance(margin, numbers.Real) or margin <= 0):
            raise ValueError(f"siamese: margin must be a positive number (distances lie in [0, 2]) or None for "
                             f"the loss's default {metric_losses.DEFAULT_MARGINS}; got {margin!r}.")
        self.margin = float(margin if margin is not None else metric_losses.DEFAULT_MARGINS[self.loss_name])
        self.threshold = self.checked_threshold(config.get("threshold", 0.5))
        shape = config["image_shape"]
        self.encoder = siamese_models.build_encoder(
            embedding_dim=self.embedding_dim, image_shape=shape, base_filters=int(config.get("base_filters", 32)),
            hidden_units=int(config.get("hidden_units", 256)),
            trunk=self._trunk(config.get("backbone"), config.get("backbone_config") or {}, shape))

    @staticmethod
    def _trunk(name: Any, options: dict[str, Any], shape) -> keras.Model | None:
        """The named zoo classifier, headless and globally pooled, at the task's image shape (None: the small CNN)."""
        if name is None:
            return None
        usable = backbones.backbone_models()
        if not isinstance(name, str) or "." in name or name not in usable:
            hint = " (a tag's weights are not loaded into the encoder: give the bare name)" if \
                isinstance(name, str) and "." in name else ""
            raise ValueError(f"siamese: backbone must be the name of a zoo classifier, one of {', '.join(usable)}, "
                             f"or None for the small CNN; got {name!r}{hint}.")
        if not isinstance(options, dict):
            raise TypeError(f"siamese: backbone_config must be a dict of {name}'s build options; got {options!r}.")
        head = sorted(set(options) & {"include_top", "pooling", "num_classes", "input_shape"})
        if head:
            raise ValueError(f"siamese: backbone_config may not set {', '.join(head)}: the encoder builds {name} "
                             "headless, average-pooled, at image_shape.")
        spec = registry.get_spec(name)
        return spec.resolve_builder()(**{**spec.config, **options, "input_shape": tuple(shape), "include_top": False,
                                         "pooling": "avg"})

    def checked_threshold(self, threshold: Any) -> float:
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not -1.0 <= threshold <= 1.0:
            raise ValueError(f"siamese: threshold must be a cosine similarity in [-1, 1] (pairs at or above it are "
                             f"the same); got {threshold!r}.")
        return float(threshold)

    def call(self, inputs, training=None):
        return self.encoder(generative.as_images(inputs) / 255.0, training=training)

    def weight_layers(self) -> list:
        return self.encoder.layers

    # --- training ---------------------------------------------------------------------------------

    def _step(self, data, training: bool):
        images, labels = generative.unpack(data)
        if labels is None:
            raise ValueError(f"{self.full_name} trains on (images, labels) pairs; got images only.")
        labels = tf.reshape(tf.cast(labels, "int32"), [-1])
        distances = metric_losses.pairwise_distances(self(images, training=training))
        loss = metric_losses.batch_loss(distances, labels, self.loss_name, self.margin, self.mining)
        return loss, metric_losses.batch_measures(distances, labels)

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss, measures = self._step(data, training=True)
            scaled = loss / generative.replica_count()  # inside the tape, or the gradient is lost
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        return self.track(loss=loss, **measures)

    def test_step(self, data):
        loss, measures = self._step(data, training=False)
        return self.track(loss=loss, **measures)

    def compile(self, optimizer=None, **kwargs):
        super().compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), **kwargs)

    def get_compile_config(self):
        return keras.Model.get_compile_config(self)  # one optimizer: a .keras file keeps it

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit`` on ``(images, labels)``: labels are whole class ids, one per image."""
        if isinstance(x, (np.ndarray, list)) or tf.is_tensor(x):
            if y is None:
                raise ValueError(f"{self.full_name}.fit: metric learning needs labels: fit(images, labels), one class "
                                 "id per image (pairs and triplets are formed from them in each batch).")
            self.checked_labels(y, len(x), "fit")
        return super().fit(x, y, *args, **kwargs)

    def checked_labels(self, labels, count: int, method: str, *, ids: bool = True) -> np.ndarray:
        """``labels`` as a 1-D array of ``count`` entries (whole numbers when ``ids``), refused otherwise."""
        values = np.asarray(labels)
        where = f"{self.full_name}.{method}"
        if values.ndim != 1 or len(values) != count:
            raise ValueError(f"{where}: labels must be one label per image, shaped ({count},); got shape {values.shape}.")
        if ids:
            return generative.class_ids(values, count, where, num_classes=np.iinfo("int32").max)
        if values.dtype.kind not in "biufUS":
            raise TypeError(f"{where}: support_labels must be numbers or strings; got {values.dtype}.")
        return values

    # --- what a user wants ------------------------------------------------------------------------

    def embed(self, images, batch_size: int = 256) -> np.ndarray:
        """Unit-length embeddings of raw images (0-255), ``(n, embedding_dim)``."""
        batch_size = preprocessing.whole_number(batch_size, "batch_size", name=self.full_name)
        x = self.checked_images(images)
        if not len(x):
            return np.zeros((0, self.embedding_dim), "float32")
        return self.encoder.predict(x / 255.0, batch_size=batch_size, verbose=0)

    def similarity(self, a, b) -> np.ndarray:
        """Cosine similarity of each pair (``a[i]``, ``b[i]``) of raw images, in [-1, 1]; ``(n,)``."""
        first, second = self.checked_images(a, "a"), self.checked_images(b, "b")
        if len(first) != len(second):
            raise ValueError(f"{self.full_name}.similarity: a and b must hold the same number of images (pairs a[i], "
                             f"b[i]); got {len(first)} and {len(second)}.")
        return np.sum(self.embed(first) * self.embed(second), axis=1)

    def verify(self, a, b, threshold: float | None = None) -> np.ndarray:
        """Whether each pair shows the same class: similarity >= ``threshold`` (default: the model's)."""
        threshold = self.threshold if threshold is None else self.checked_threshold(threshold)
        return self.similarity(a, b) >= threshold

    def classify(self, queries, support_images, support_labels, batch_size: int = 256) -> np.ndarray:
        """Few-shot classification: each query's label is that of the nearest class mean of the support
        images' embeddings (one or more labelled images per class, of classes never trained on)."""
        support = self.checked_images(support_images, "support_images")
        labels = self.checked_labels(support_labels, len(support), "classify", ids=False)
        if not len(support):
            raise ValueError(f"{self.full_name}.classify: the support set is empty; give at least one image per class.")
        return few_shot.prototype_predict(self.embed(queries, batch_size), self.embed(support, batch_size), labels)

    def few_shot_accuracy(self, images, labels, *, ways: int = 5, shots: int = 1, queries: int = 5,
                          episodes: int = 200, seed: int = 0) -> float:
        """Accuracy over ``episodes`` seeded ``ways``-way ``shots``-shot episodes drawn from ``images``
        (see ``zoo.tasks.few_shot``)."""
        counts = {key: preprocessing.whole_number(value, key, name=self.full_name)
                  for key, value in dict(ways=ways, shots=shots, queries=queries, episodes=episodes).items()}
        labels = self.checked_labels(labels, len(self.checked_images(images)), "few_shot_accuracy", ids=False)
        return few_shot.episode_accuracy(self.embed(images), labels, ways=counts["ways"], shots=counts["shots"],
                                         queries=counts["queries"], count=counts["episodes"], seed=seed)

    def plot_embeddings(self, images, labels, path: str | Path, *, groups=None, title: str | None = None) -> Path:
        """A PNG of the images' embeddings on their first two principal components, coloured by label."""
        labels = self.checked_labels(labels, len(self.checked_images(images)), "plot_embeddings", ids=False)
        return few_shot.plot_embeddings(self.embed(images), labels, path, groups=groups,
                                        title=title or f"{self.full_name} embeddings (PCA)")

    # --- serving and measuring -------------------------------------------------------------------

    def serving_signature(self, rng, batch):
        """Raw pixels (0-255) in, unit-length embeddings out."""
        shape = (None, *self.build_config["image_shape"])
        probe = rng.uniform(0, 255, (batch, *shape[1:])).astype("float32")

        def serve(images):
            return self(images, training=False)

        return serve, [tf.TensorSpec(shape, tf.float32, name="images")], [probe]

    def bench_workload(self, batch, rng):
        images = self.bench_images(batch, rng)
        data = benchmark.repeated(images, tf.constant(np.arange(batch) % 4))
        return benchmark.Workload(self, data, lambda x: self(x, training=False), images,
                                  benchmark.one_sample_specs(images))
