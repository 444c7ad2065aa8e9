"""The image classifier that ``zoo.load`` returns for every classification architecture.

It is a ``keras.Model`` wrapping the architecture's functional network, so
``compile``/``fit``/``predict``/``save`` work unchanged, and it adds what users
of a zoo want: ``predict_top_k``, ``features`` and ``transfer``. It remembers the
registry name and build arguments, so a saved ``.keras`` file is rebuilt
through the same factory (no Lambda layers, no pickled code).
"""

from __future__ import annotations

import dataclasses
import weakref
from typing import Any, Sequence

import keras
import numpy as np
from keras import ops

from zoo import preprocessing as preprocessing_lib
from zoo import registry

# ITU-R BT.601 luma, the usual RGB -> grayscale weights.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

# Feature extractors built on demand, kept outside Keras' attribute tracking so
# they are neither saved with the model nor counted twice.
_FEATURE_MODELS: "weakref.WeakKeyDictionary[ImageClassifier, keras.Model]" = weakref.WeakKeyDictionary()


@dataclasses.dataclass
class TopK:
    """``predict_top_k`` result: ``ids`` and ``scores`` are ``(n, k)`` arrays."""

    ids: np.ndarray
    scores: np.ndarray
    names: list[list[str]] | None


@keras.saving.register_keras_serializable(package="zoo")
class ImageClassifier(keras.Model):
    """An image classifier built from a registered architecture.

    >>> import zoo, numpy as np
    >>> model = zoo.create("resnet18", num_classes=3, input_shape=(32, 32, 3))
    >>> model.predict_top_k(np.zeros((2, 32, 32, 3)), k=2).ids.shape
    (2, 2)
    """

    def __init__(
        self,
        model_name: str,
        build_config: dict[str, Any] | None = None,
        *,
        class_names: Sequence[str] | None = None,
        preprocessing: str | None = "raw",
        aux_loss_weight: float = 0.3,
        weights_tag: str | None = None,
        **kwargs: Any,
    ):
        kwargs.setdefault("name", model_name)
        super().__init__(**kwargs)
        self.spec = registry.get_spec(model_name)
        self.model_name = self.spec.name
        self.build_config = dict(self.spec.config if build_config is None else build_config)
        if "input_shape" in self.build_config:  # JSON (a saved config) turns tuples into lists
            self.build_config["input_shape"] = tuple(self.build_config["input_shape"])
        self.network = self.spec.resolve_builder()(**self.build_config)
        self.num_classes = int(self.network.outputs[0].shape[-1])
        if class_names is not None and len(class_names) != self.num_classes:
            raise ValueError(
                f"{model_name}: {len(class_names)} class names given for {self.num_classes} classes."
            )
        self.class_names = list(class_names) if class_names is not None else None
        preprocessing_lib.get(preprocessing)  # fail now on an unknown name, not at predict time
        self.preprocessing = preprocessing or "raw"
        self.aux_loss_weight = float(aux_loss_weight)
        self.weights_tag = weights_tag
        self.built = True

    # --- Keras plumbing -------------------------------------------------------------------------

    def call(self, inputs, training=None):
        outputs = self.network(inputs, training=training)
        if isinstance(outputs, (list, tuple)):
            # Auxiliary classifiers (GoogLeNet) are trained, never used to predict.
            return tuple(outputs) if training else outputs[0]
        return outputs

    def compile(self, optimizer="adam", loss="sparse_categorical_crossentropy", metrics=("accuracy",), **kwargs):
        """``keras.Model.compile`` with classification defaults (sparse labels, accuracy)."""
        super().compile(optimizer=optimizer, loss=loss, metrics=list(metrics) if metrics else None, **kwargs)

    # Overriding compile() makes Keras skip restoring the compile state of a saved
    # model unless these two are overridden too; the base versions are right.
    def get_compile_config(self):
        return super().get_compile_config()

    def compile_from_config(self, config):
        return super().compile_from_config(config)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not isinstance(y_pred, tuple):
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        main, *auxiliary = y_pred
        loss = super().compute_loss(x, y, main, sample_weight, training=training)
        for aux in auxiliary:
            loss = loss + self.aux_loss_weight * self._compile_loss(y, aux, sample_weight)
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if isinstance(y_pred, tuple):
            y_pred = y_pred[0]
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "model_name": self.model_name,
            "build_config": self.build_config,
            "class_names": self.class_names,
            "preprocessing": self.preprocessing,
            "aux_loss_weight": self.aux_loss_weight,
            "weights_tag": self.weights_tag,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ImageClassifier":
        return cls(**config)

    # --- what a zoo adds -----------------------------------------------------------------------

    @property
    def image_shape(self) -> tuple[int | None, int | None, int]:
        """(height, width, channels) the network takes."""
        return tuple(self.network.input_shape[1:])

    def preprocess(self, images) -> Any:
        """Raw images (0-255, any size, grayscale or RGB) -> network inputs.

        Resizes to the network's input size, converts between 1 and 3 channels,
        and applies the weights' preprocessing (``self.preprocessing``).
        """
        x = ops.convert_to_tensor(images)
        if len(x.shape) == 3:
            x = x[None]
        if len(x.shape) != 4:
            raise ValueError(
                f"{self.model_name}: expected images shaped (batch, height, width, channels) "
                f"or (height, width, channels), got shape {tuple(x.shape)}."
            )
        x = ops.cast(x, "float32")
        height, width, channels = self.image_shape
        if x.shape[-1] != channels:
            if x.shape[-1] == 1:
                x = ops.repeat(x, channels, axis=-1)
            elif x.shape[-1] == 3 and channels == 1:
                x = ops.sum(x * ops.convert_to_tensor(LUMA_WEIGHTS, x.dtype), axis=-1, keepdims=True)
            else:
                raise ValueError(
                    f"{self.model_name} takes {channels}-channel images, got {x.shape[-1]} channels."
                )
        if height is not None and tuple(x.shape[1:3]) != (height, width):
            x = ops.image.resize(x, (height, width))
        return preprocessing_lib.get(self.preprocessing)(x)

    def predict_top_k(self, images, k: int = 5, batch_size: int = 32) -> TopK:
        """The ``k`` most likely classes per image: ids, scores and (when known) names.

        ``images`` are raw (0-255); preprocessing follows the weights.
        """
        if not 1 <= k <= self.num_classes:
            raise ValueError(f"k must be between 1 and {self.num_classes}, got {k}.")
        scores = self.predict(self.preprocess(images), batch_size=batch_size, verbose=0)
        ids = np.argsort(-scores, axis=-1)[:, :k]
        top_scores = np.take_along_axis(scores, ids, axis=-1)
        names = [[self.class_names[i] for i in row] for row in ids] if self.class_names else None
        return TopK(ids=ids, scores=top_scores, names=names)

    def feature_extractor(self) -> keras.Model:
        """A model mapping network inputs to pooled backbone features (the head's input)."""
        if self not in _FEATURE_MODELS:
            head_input = self.network.get_layer(self.spec.head_layers[0]).input
            if len(head_input.shape) == 4:  # a class-map conv (NiN): pool its input
                head_input = ops.mean(head_input, axis=(1, 2))
            _FEATURE_MODELS[self] = keras.Model(self.network.input, head_input, name=f"{self.name}_features")
        return _FEATURE_MODELS[self]

    def features(self, images, batch_size: int = 32) -> np.ndarray:
        """Pooled backbone features of raw images, e.g. for a linear probe."""
        return self.feature_extractor().predict(self.preprocess(images), batch_size=batch_size, verbose=0)

    def transfer(self, num_classes: int, *, class_names: Sequence[str] | None = None) -> "ImageClassifier":
        """A new classifier with this one's backbone weights and a fresh ``num_classes`` head."""
        if not self.build_config.get("include_top", True):
            raise ValueError(f"{self.model_name} was built with include_top=False: it has no head to replace.")
        config = dict(self.build_config, num_classes=int(num_classes))
        new = ImageClassifier(
            self.model_name,
            config,
            class_names=class_names,
            preprocessing=self.preprocessing,
            aux_loss_weight=self.aux_loss_weight,
            weights_tag=self.weights_tag,
        )
        copy_weights_except_head(self.network, new.network, self.spec.head_layers)
        return new


def copy_weights_except_head(source: keras.Model, target: keras.Model, head_layers: Sequence[str]) -> None:
    """Copy every layer's weights by name, leaving ``head_layers`` as initialised."""
    for layer in target.layers:
        if layer.name in head_layers or not layer.weights:
            continue
        layer.set_weights(source.get_layer(layer.name).get_weights())
