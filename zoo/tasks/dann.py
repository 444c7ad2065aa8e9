"""Domain-adversarial training (DANN; Ganin & Lempitsky, 2015): a classifier whose features cannot tell
the labelled source domain from the unlabelled target domain.

``model.fit_domains((source_images, source_labels), target_images)`` trains three parts at
once: the feature extractor and label head on the labelled source images (cross-entropy), and
a domain classifier on the features of both (logistic loss, source 0 / target 1) whose gradient
reaches the features through a gradient reversal layer, so the features learn to *confuse* it.
The reversal weight follows the paper, ``lambda_p = 2 / (1 + exp(-10 p)) - 1`` with ``p`` the
training progress 0 -> 1 (``LambdaSchedule``), and the learning rate its annealing,
``mu_p = mu_0 / (1 + 10 p) ** 0.75`` (``AnnealedLearningRate``), with SGD momentum 0.9.

After training it is an ``ImageClassifier``: raw 0-255 pixels in, ``predict_top_k``,
``features``, ``.keras`` and presets (which hold the classifier network; the domain
classifier is a training device and lives only in ``.keras`` files).

>>> import zoo, numpy as np
>>> model = zoo.create("dann", num_classes=3, hidden_units=8, domain_units=8, base_filters=4)
>>> rng = np.random.default_rng(0)
>>> source = (rng.integers(0, 256, (8, 28, 28)), np.arange(8) % 3)
>>> history = model.fit_domains(source, rng.integers(0, 256, (8, 28, 28, 3)), epochs=1, batch_size=4, verbose=0)
>>> sorted(history.history)[:3], model.predict_top_k(source[0], k=1).ids.shape
(['domain_accuracy', 'domain_loss', 'label_accuracy'], (8, 1))
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from zoo import distribute, registry
from zoo import preprocessing as preprocessing_lib
from zoo.models import dann as dann_models
from zoo.models.gradient_reversal import ganin_lambda
from zoo.tasks.base import CardText
from zoo.tasks.classifier import ImageClassifier
from zoo.tasks.generative import class_ids, replica_count

# Models from the network's input to the shared features, built on demand and kept out of Keras'
# tracking (as the classifier's feature extractors are), so their layers are not saved twice.
_SHARED_FEATURES: "weakref.WeakKeyDictionary[DANN, keras.Model]" = weakref.WeakKeyDictionary()


@keras.saving.register_keras_serializable(package="zoo")
class AnnealedLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """Ganin & Lempitsky's annealing: ``initial / (1 + alpha p) ** beta``, ``p = step / total_steps`` (capped at 1)."""

    def __init__(self, initial: float, total_steps: int, alpha: float = 10.0, beta: float = 0.75):
        self.initial, self.total_steps, self.alpha, self.beta = float(initial), int(total_steps), alpha, beta

    def __call__(self, step):
        progress = keras.ops.minimum(keras.ops.cast(step, "float32") / max(self.total_steps, 1), 1.0)
        return self.initial / (1.0 + self.alpha * progress) ** self.beta

    def get_config(self):
        return {"initial": self.initial, "total_steps": self.total_steps, "alpha": self.alpha, "beta": self.beta}


class LambdaSchedule(keras.callbacks.Callback):
    """Before each training batch, set the gradient reversal's lambda to ``ganin_lambda(step / total_steps)``
    (or keep it at ``fixed`` when given: 0 trains the domain classifier without touching the features)."""

    def __init__(self, total_steps: int, fixed: float | None = None):
        super().__init__()
        self.total_steps, self.fixed, self.step = max(int(total_steps), 1), fixed, 0

    def on_train_batch_begin(self, batch, logs=None):
        value = self.fixed if self.fixed is not None else float(ganin_lambda(min(self.step / self.total_steps, 1.0)))
        self.model.gradient_reversal.lambda_.assign(value)
        self.step += 1


@keras.saving.register_keras_serializable(package="zoo")
class DANN(ImageClassifier):
    """An image classifier trained by domain-adversarial training (``fit_domains``)."""

    DOMAIN_METRICS = ("loss", "label_loss", "domain_loss", "label_accuracy", "domain_accuracy")
    CARD_TEXT = CardText(
        "image-classification",
        "Classifying images of a target domain that had no labels in training (e.g. MNIST-M digits after "
        "training on labelled MNIST), or of the source domain.",
        "Adaptation narrows a domain gap, it does not close it: accuracy on the target domain stays below a "
        "model trained on labelled target images, and holds only for target images like those it adapted to.",
    )

    def __init__(self, model_name: str, build_config: dict[str, Any] | None = None, *,
                 preprocessing: str | None = "unit", **kwargs: Any):
        super().__init__(model_name, build_config, preprocessing=preprocessing, **kwargs)
        self.domain_classifier = self._build_domain_classifier()
        self.domain_trackers = {name: keras.metrics.Mean(name=f"dann_{name}") for name in self.DOMAIN_METRICS}

    # --- building --------------------------------------------------------------------------------

    def build_network(self, config: dict[str, Any]) -> keras.Model:
        """The paper's small CNN, or ``backbone`` (a zoo image classifier's name) cut before its head."""
        backbone = config.get("backbone")
        if backbone is None:
            return dann_models.build_network(**config)
        if not isinstance(backbone, str):
            raise TypeError(f"dann: backbone must be a zoo image classifier's name (e.g. 'resnet18') or None; "
                            f"got {backbone!r}.")
        spec = registry.get_spec(backbone)
        if spec.task != "image_classification":
            raise ValueError(f"dann: backbone must be an image classifier (e.g. 'resnet18'); {spec.name} is "
                             f"{spec.task.replace('_', ' ')}.")
        backbone_config = {**spec.config, **(config.get("backbone_config") or {}),
                           "input_shape": tuple(config.get("input_shape", (28, 28, 3))),
                           "num_classes": int(config.get("num_classes", 10))}
        network = spec.resolve_builder()(**backbone_config)
        features = (network.input, network.get_layer(spec.head_layers[0]).input)
        return dann_models.build_network(**config, features=features)

    def _build_domain_classifier(self, lambda_: float = 0.0) -> keras.Model:
        size = int(self.shared_features().output_shape[-1])
        return dann_models.build_domain_classifier(
            size, domain_units=int(self.build_config.get("domain_units", 100)), lambda_=lambda_)

    @property
    def gradient_reversal(self):
        """The domain classifier's ``GradientReversal`` layer (``.lambda_`` is its current weight)."""
        return self.domain_classifier.get_layer("gradient_reversal")

    def shared_features(self) -> keras.Model:
        """Network input (preprocessed) -> the features both heads read."""
        if self not in _SHARED_FEATURES:
            head = self.network.get_layer(dann_models.LABEL_HEAD[0])
            _SHARED_FEATURES[self] = keras.Model(self.network.input, head.input, name=f"{self.name}_shared")
        return _SHARED_FEATURES[self]

    def distribute_on(self, strategy) -> None:
        lambda_ = float(keras.ops.convert_to_numpy(self.gradient_reversal.lambda_))
        weights = self.domain_classifier.get_weights()
        super().distribute_on(strategy)
        _SHARED_FEATURES.pop(self, None)
        with strategy.scope():
            domain_classifier = self._build_domain_classifier(lambda_)
        domain_classifier.set_weights(weights)
        self._tracker.untrack(self.domain_classifier)  # see ImageClassifier.replace_head
        self.domain_classifier = domain_classifier

    def replace_head(self, num_classes: int, *, class_names=None) -> None:
        super().replace_head(num_classes, class_names=class_names)
        _SHARED_FEATURES.pop(self, None)

    # --- training --------------------------------------------------------------------------------

    def train_step(self, data):
        """A domain batch ``{"source", "label", "target"}`` (what ``fit_domains`` feeds) takes the DANN step;
        anything else is an ordinary supervised step."""
        if not (isinstance(data, dict) and "target" in data):
            return super().train_step(data)
        source, labels, target = data["source"], data["label"], data["target"]
        count = tf.shape(source)[0]
        domains = tf.concat([tf.zeros([count, 1]), tf.ones([tf.shape(target)[0], 1])], axis=0)
        head = [self.network.get_layer(name) for name in dann_models.LABEL_HEAD]
        with tf.GradientTape() as tape:
            features = self.shared_features()(tf.concat([source, target], axis=0), training=True)
            scores = features[:count]
            for layer in head:
                scores = layer(scores, training=True)
            label_loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, scores))
            logits = self.domain_classifier(features, training=True)
            domain_loss = tf.reduce_mean(keras.losses.binary_crossentropy(domains, logits, from_logits=True))
            loss = label_loss + domain_loss
            scaled = loss / replica_count()  # replicas' gradients are summed
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        values = {"loss": loss, "label_loss": label_loss, "domain_loss": domain_loss,
                  "label_accuracy": keras.metrics.sparse_categorical_accuracy(labels, scores),
                  "domain_accuracy": keras.metrics.binary_accuracy(domains, tf.sigmoid(logits))}
        for name, value in values.items():
            self.domain_trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.domain_trackers.items()}

    def test_step(self, data):
        """Compiled for ``fit_domains`` (no compiled loss): the label loss and accuracy on ``(images, labels)``
        (``validation_data``); otherwise Keras' step."""
        if getattr(self, "loss", None) is not None:
            return super().test_step(data)
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        scores = self(images, training=False)
        for name, value in (("label_loss", keras.losses.sparse_categorical_crossentropy(labels, scores)),
                            ("label_accuracy", keras.metrics.sparse_categorical_accuracy(labels, scores))):
            self.domain_trackers[name].update_state(value)
        return {name: self.domain_trackers[name].result() for name in ("label_loss", "label_accuracy")}

    def fit_domains(self, source, target, *, epochs: int = 10, batch_size: int = 64, learning_rate: float = 0.01,
                    momentum: float = 0.9, lambda_: float | None = None, anneal: bool = True, validation_data=None,
                    strategy: Any = None, callbacks=(), seed: int = 0, verbose: Any = "auto") -> keras.callbacks.History:
        """Domain-adversarial training on ``source = (images, labels)`` (labelled) and ``target`` images
        (unlabelled). Images are raw pixels (0-255), any size, grayscale or RGB (converted as ``predict_top_k``
        converts them).

        Each step reads ``batch_size`` source and ``batch_size`` target images (per replica under ``strategy``:
        a ``tf.distribute.Strategy`` or a kind for ``zoo.distribute.strategy``); an epoch is one pass over the
        source images. ``lambda_``: None follows the paper's schedule 0 -> 1; a number keeps the reversal
        weight fixed (0: no adaptation, the source-only baseline with the same networks and budget).
        ``anneal``: the paper's learning-rate annealing from ``learning_rate`` (else constant); SGD with
        ``momentum``. ``validation_data``: ``(images, labels)`` of the target domain, if you have some labels
        (logged as ``val_label_loss`` and ``val_label_accuracy``). It compiles the model for itself; compile
        again before an ordinary ``fit``.
        """
        where = f"{self.full_name}.fit_domains"
        source_images, source_labels, target_images = self._checked_domains(source, target, where)
        epochs = preprocessing_lib.whole_number(epochs, "epochs", name=where)
        batch_size = preprocessing_lib.whole_number(batch_size, "batch_size", name=where)
        _number_below(learning_rate, "learning_rate", 10, where)
        _number_below(momentum, "momentum", 1, where)
        if lambda_ is not None and (isinstance(lambda_, bool) or not isinstance(lambda_, (int, float))
                                    or not math.isfinite(lambda_) or lambda_ < 0):
            raise ValueError(f"{where}: lambda_ must be None (the paper's schedule) or a number >= 0; got {lambda_!r}.")
        validation = None
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise ValueError(f"{where}: validation_data must be (images, labels); got "
                                 f"{type(validation_data).__name__}.")
            images = self._checked_images(validation_data[0])
            labels = class_ids(validation_data[1], len(images), where, self.num_classes)
            validation = (self._network_inputs(images), labels)

        if strategy is not None:
            chosen = distribute.strategy(strategy)
            if chosen is not self.distribute_strategy:
                self.distribute_on(chosen)
        global_batch = batch_size * self.distribute_strategy.num_replicas_in_sync
        steps = max(1, math.ceil(len(source_images) / global_batch))
        data = _domain_batches(self._network_inputs(source_images), source_labels,
                               self._network_inputs(target_images), global_batch, seed)
        rate = AnnealedLearningRate(learning_rate, steps * epochs) if anneal else float(learning_rate)
        with self.distribute_strategy.scope():
            # No compiled loss or metrics: the DANN steps compute their own (Keras would otherwise build them
            # from a domain batch, which the classifier cannot read).
            self.compile(optimizer=keras.optimizers.SGD(rate, momentum=momentum), loss=None, metrics=None)
        schedule = LambdaSchedule(steps * epochs, None if lambda_ is None else float(lambda_))
        return self.fit(data, epochs=epochs, steps_per_epoch=steps, validation_data=validation,
                        callbacks=[schedule, *callbacks], shuffle=False, verbose=verbose)

    # --- input checks ------------------------------------------------------------------------------

    def _checked_domains(self, source, target, where: str):
        if not (isinstance(source, (tuple, list)) and len(source) == 2):
            raise ValueError(f"{where}: source must be (images, labels), the labelled source domain; got "
                             f"{type(source).__name__}{f' of {len(source)} items' if hasattr(source, '__len__') else ''}.")
        source_images = self._checked_batch(source[0], "source images", where)
        target_images = self._checked_batch(target, "target images", where)
        labels = class_ids(source[1], len(source_images), where, self.num_classes)
        return source_images, labels, target_images

    def _checked_batch(self, images, argument: str, where: str) -> np.ndarray:
        pixels = self._checked_images(images)
        if pixels.ndim not in (3, 4) or pixels.ndim == 3 and pixels.shape[-1] in (1, 3):  # one image, not a batch
            raise ValueError(f"{where}: {argument} must be a batch (n, height, width[, channels]); got shape "
                             f"{pixels.shape}.")
        if not len(pixels):
            raise ValueError(f"{where}: {argument} is empty; domain-adversarial training needs images of both domains.")
        return pixels

    def _network_inputs(self, pixels: np.ndarray) -> np.ndarray:
        """Raw pixels -> the network's inputs (resized, channels converted, preprocessed), in chunks."""
        return np.concatenate([np.asarray(self.preprocess(pixels[i:i + 1024]), "float32")
                               for i in range(0, len(pixels), 1024)])


def _number_below(value, argument: str, high: float, where: str) -> None:
    """Refuse ``value`` unless it is a number in [0, high)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < high:
        raise ValueError(f"{where}: {argument} must be a number in [0, {high}); got {value!r}.")


def _domain_batches(source: np.ndarray, labels: np.ndarray, target: np.ndarray, batch: int, seed: int):
    """Endless ``{"source", "label", "target"}`` batches: each domain shuffled, repeated, ``batch`` per domain."""
    sources = tf.data.Dataset.from_tensor_slices((source, labels)).shuffle(len(source), seed=seed).repeat()
    targets = tf.data.Dataset.from_tensor_slices(target).shuffle(len(target), seed=seed + 1).repeat()
    pairs = tf.data.Dataset.zip(sources.batch(batch, drop_remainder=True), targets.batch(batch, drop_remainder=True))
    return pairs.map(lambda s, t: {"source": s[0], "label": s[1], "target": t}).prefetch(tf.data.AUTOTUNE)
