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
from typing import Any, Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo import preprocessing as preprocessing_lib
from zoo import transforms as transforms_lib
from zoo.hub import classes as classes_lib
from zoo.manifest.entry import Transform
from zoo.tasks import benchmark
from zoo.tasks.base import CardText, ZooTask
from zoo.train.finetune import finetune as finetune_recipe

# Feature extractors built on demand, kept outside Keras' attribute tracking so
# they are neither saved with the model nor counted twice.
_FEATURE_MODELS: "weakref.WeakKeyDictionary[ImageClassifier, keras.Model]" = weakref.WeakKeyDictionary()


@dataclasses.dataclass
class TopK:
    """``predict_top_k`` result: ``ids`` and ``scores`` are ``(n, k)`` arrays; ``names`` the class names
    (English for ImageNet-1k), ``wnids`` the WordNet ids when the classes are ImageNet-1k's."""

    ids: np.ndarray
    scores: np.ndarray
    names: list[list[str]] | None
    wnids: list[list[str]] | None = None


@keras.saving.register_keras_serializable(package="zoo")
class ImageClassifier(ZooTask):
    """An image classifier built from a registered architecture.

    >>> import zoo, numpy as np
    >>> model = zoo.create("resnet18", num_classes=3, input_shape=(32, 32, 3))
    >>> model.predict_top_k(np.zeros((2, 32, 32, 3)), k=2).ids.shape
    (2, 2)
    """

    CARD_TEXT = CardText(
        "image-classification",
        "Classifying images into the classes listed under Classes, or as a backbone for transfer learning "
        "(`zoo.transfer`, `model.finetune`).",
        "It only knows its own classes and scores every input as one of them, confidently or not. Accuracy holds "
        "for images like its training data; other domains, resolutions or colour statistics need evaluation "
        "first. Not evaluated for fairness or for safety-critical use.",
    )

    def __init__(
        self,
        model_name: str,
        build_config: dict[str, Any] | None = None,
        *,
        class_names: Sequence[str] | None = None,
        preprocessing: str | None = "raw",
        aux_loss_weight: float = 0.3,
        weights_tag: str | None = None,
        transform: Transform | Mapping[str, Any] | None = None,
        **kwargs: Any,
    ):
        super().__init__(model_name, build_config, weights_tag=weights_tag, **kwargs)
        # The weights' resize and crop (a manifest entry's "transform"); None: resize to the input size.
        self.weights_transform = (transform if transform is None or isinstance(transform, Transform)
                                  else Transform.from_dict(transform, where=f"{model_name}: transform"))
        if "input_shape" in self.build_config:  # JSON (a saved config) turns tuples into lists
            self.build_config["input_shape"] = tuple(self.build_config["input_shape"])
        self.network = self.build_network(self.build_config)
        self.num_classes = int(self.network.outputs[0].shape[-1])
        if class_names is not None and len(class_names) != self.num_classes:
            raise ValueError(
                f"{model_name}: {len(class_names)} class names given for {self.num_classes} classes."
            )
        self.class_names = list(class_names) if class_names is not None else None
        preprocessing_lib.get(preprocessing)  # fail now on an unknown name, not at predict time
        self.preprocessing = preprocessing or "raw"
        self.aux_loss_weight = float(aux_loss_weight)
        self.built = True

    # --- Keras plumbing -------------------------------------------------------------------------

    def build_network(self, config: dict[str, Any]) -> keras.Model:
        """The functional network for a build config (a subclass may assemble it from other parts)."""
        return self.spec.resolve_builder()(**config)

    def call(self, inputs, training=None):
        outputs = self.network(inputs, training=training)
        if isinstance(outputs, (list, tuple)):
            # Auxiliary classifiers (GoogLeNet) are trained, never used to predict.
            return tuple(outputs) if training else outputs[0]
        return outputs

    def compile(self, optimizer="adam", loss="sparse_categorical_crossentropy", metrics=("accuracy",), **kwargs):
        """``keras.Model.compile`` with classification defaults (sparse labels, accuracy)."""
        super().compile(optimizer=optimizer, loss=loss, metrics=list(metrics) if metrics else None, **kwargs)

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

    # --- what every task tells zoo's export, presets and bench ----------------------------------

    def constructor_options(self) -> dict[str, Any]:
        return {"class_names": self.class_names, "preprocessing": self.preprocessing,
                "aux_loss_weight": self.aux_loss_weight,
                "transform": self.weights_transform.as_dict() if self.weights_transform else None}

    def preprocessor_config(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "image", "preprocessing": config.pop("preprocessing"), "transform": config.pop("transform"),
                "image_shape": list(self.image_shape),
                "input": f"raw pixels 0-255, any size, grayscale or RGB: {self.transform}"}

    def serving_signature(self, rng, batch):
        """Raw pixels (0-255, float32, at the network's input size: already resized and cropped) in,
        preprocessing baked in, class probabilities out."""
        height, width, channels = self.image_shape
        if height is None:
            raise ValueError(f"{self.model_name} was built without a fixed input size; serving needs one "
                             "(zoo.load(name, input_shape=(H, W, C))).")

        def serve(images):
            return self(preprocessing_lib.prepare_images(images, self.image_shape, self.preprocessing), training=False)

        specs = [tf.TensorSpec((None, height, width, channels), tf.float32, name="images")]
        return serve, specs, [rng.uniform(0, 255, (batch, height, width, channels)).astype("float32")]

    def bench_workload(self, batch, rng):
        x = tf.constant(np.asarray(self.preprocess(benchmark.random_images(rng, batch, self.image_shape)), "float32"))
        y = tf.constant(np.arange(batch) % self.num_classes)
        if not self.compiled:
            self.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9))
        network = self.network
        return benchmark.Workload(self, benchmark.repeated(x, y), lambda inputs: network(inputs, training=False), x,
                                  benchmark.one_sample_specs(x))

    # --- what a zoo adds -----------------------------------------------------------------------

    @property
    def image_shape(self) -> tuple[int | None, int | None, int]:
        """(height, width, channels) the network takes."""
        return tuple(self.network.input_shape[1:])

    @property
    def transform(self) -> transforms_lib.ImageTransform:
        """What happens to raw pixels before the network sees them; ``print(model.transform)`` says it in words.

        >>> import zoo
        >>> print(zoo.create("resnet18", input_shape=(32, 32, 3)).transform)
        resize the whole image to 32x32 (bilinear), then 'unit' preprocessing: x / 255
        """
        return transforms_lib.ImageTransform(self.image_shape, self.preprocessing, self.weights_transform)

    def preprocess(self, images) -> Any:
        """Raw images (0-255, any size, grayscale or RGB) -> a batch of network inputs.

        Accepts one image (H, W) or (H, W, 1|3), or a batch (N, H, W[, C]) of equally sized images.

        Converts between 1 and 3 channels, resizes and crops as the weights' upstream does
        (``self.transform``; without one, resizes to the network's input size), and applies the
        weights' preprocessing (``self.preprocessing``).
        """
        x = ops.convert_to_tensor(images)
        if len(x.shape) == 2:  # one grayscale image
            x = x[None, :, :, None]
        elif len(x.shape) == 3 and x.shape[-1] in (1, 3):  # one image
            x = x[None]
        elif len(x.shape) == 3:  # a batch of grayscale images without a channel axis (MNIST-style)
            x = x[..., None]
        return self.transform(x, model=self.full_name)

    def predict_top_k(self, images, k: int = 5, batch_size: int = 32) -> TopK:
        """The ``k`` most likely classes per image: ids, scores and (when known) names.

        ``images`` are raw (0-255); resizing, cropping and preprocessing follow the weights
        (``self.transform``). ImageNet-1k models name their classes in English (``names``) and
        by WordNet id (``wnids``). No images in, empty ``(0, k)`` results out.
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"{self.full_name}.predict_top_k: k must be a whole number; got {k!r} "
                            f"({type(k).__name__}).")
        if not 1 <= k <= self.num_classes:
            raise ValueError(f"k must be between 1 and {self.num_classes} (the classes of {self.full_name}), got {k}.")
        batch_size = preprocessing_lib.whole_number(batch_size, "batch_size", name=self.full_name)
        pixels = self._checked_images(images)
        known = classes_lib.known_list(self.class_names)  # "imagenet1k" when the classes are its WordNet ids
        if _count(pixels) == 0:
            return TopK(ids=np.zeros((0, k), "int64"), scores=np.zeros((0, k), "float32"),
                        names=[] if self.class_names else None, wnids=[] if known else None)
        scores = self.predict(self.preprocess(pixels), batch_size=batch_size, verbose=0)
        ids = np.argsort(-scores, axis=-1)[:, :k]
        top_scores = np.take_along_axis(scores, ids, axis=-1)
        labels = classes_lib.readable_names(known) if known else self.class_names
        names = [[labels[i] for i in row] for row in ids] if labels else None
        wnids = [[self.class_names[i] for i in row] for row in ids] if known else None
        return TopK(ids=ids, scores=top_scores, names=names, wnids=wnids)

    def _checked_images(self, images) -> np.ndarray:
        """Raw images as numpy, refused before any graph runs when ``preprocess`` could not read them."""
        pixels = preprocessing_lib.checked_pixels(images, self, name=self.full_name)
        channels = self.image_shape[-1]
        if pixels.ndim not in (2, 3, 4):
            raise ValueError(
                f"{self.full_name}: images must be one image (height, width[, channels]) or a batch (n, height, "
                f"width[, channels]); got shape {pixels.shape}."
            )
        if pixels.ndim == 3 and pixels.shape[-1] == 4 or pixels.ndim == 4 and pixels.shape[-1] not in (1, 3, channels):
            raise ValueError(
                f"{self.full_name}: images must have 1 (grayscale) or 3 (RGB) channels, converted to the model's "
                f"{channels}; got shape {pixels.shape} ({pixels.shape[-1]} channels). Drop an alpha channel with "
                f"images[..., :3]."
            )
        return pixels

    def feature_extractor(self) -> keras.Model:
        """A model mapping network inputs to pooled backbone features (the head's input)."""
        if self not in _FEATURE_MODELS:
            head_input = self.network.get_layer(self.spec.head_layers[0]).input
            if len(head_input.shape) == 4:  # a class-map conv (NiN): pool its input
                head_input = ops.mean(head_input, axis=(1, 2))
            _FEATURE_MODELS[self] = keras.Model(self.network.input, head_input, name=f"{self.name}_features")
        return _FEATURE_MODELS[self]

    def features(self, images, batch_size: int = 32) -> np.ndarray:
        """Pooled backbone features of raw images (0-255), e.g. for a linear probe: ``(n, features)``."""
        batch_size = preprocessing_lib.whole_number(batch_size, "batch_size", name=self.full_name)
        pixels = self._checked_images(images)
        extractor = self.feature_extractor()
        if _count(pixels) == 0:
            return np.zeros((0, *extractor.output_shape[1:]), "float32")
        return extractor.predict(self.preprocess(pixels), batch_size=batch_size, verbose=0)

    def transfer(self, num_classes: int, *, class_names: Sequence[str] | None = None) -> "ImageClassifier":
        """A new classifier with this one's backbone weights and a fresh ``num_classes`` head."""
        if not self.build_config.get("include_top", True):
            raise ValueError(f"{self.model_name} was built with include_top=False: it has no head to replace.")
        config = dict(self.build_config, num_classes=int(num_classes))
        new = type(self)(  # a subclass (dann) transfers into its own kind
            self.model_name,
            config,
            class_names=class_names,
            preprocessing=self.preprocessing,
            aux_loss_weight=self.aux_loss_weight,
            weights_tag=self.weights_tag,
            transform=self.weights_transform,
        )
        copy_weights_except_head(self.network, new.network, self.spec.head_layers)
        return new


    def replace_head(self, num_classes: int, *, class_names: Sequence[str] | None = None) -> None:
        """Swap in a fresh ``num_classes`` head, in place, keeping the backbone weights."""
        replacement = self.transfer(num_classes, class_names=class_names)
        # Keras' __delattr__ untracks variables but not layers: untrack the old network
        # explicitly, or its weights would stay in self.weights beside the new ones.
        self._tracker.untrack(self.network)
        self.network = replacement.network
        self.build_config = replacement.build_config
        self.num_classes = replacement.num_classes
        self.class_names = replacement.class_names
        _FEATURE_MODELS.pop(self, None)

    def distribute_on(self, strategy) -> None:
        """Rebuild the network's variables under ``strategy`` (a ``tf.distribute.Strategy``), in place."""
        with strategy.scope():
            network = self.build_network(self.build_config)
        network.set_weights(self.network.get_weights())
        self._tracker.untrack(self.network)  # see replace_head
        self.network = network
        # Keras records the strategy a model was built under at construction; this model's
        # own variables all live in the network, so pointing it at the new strategy is enough.
        self._distribute_strategy = strategy
        _FEATURE_MODELS.pop(self, None)

    def finetune(self, data: Any, **options: Any) -> keras.callbacks.History:
        """Fine-tune on ``data``: a new head if the classes differ, then the recipe (``zoo.train.finetune``).

        ``data``: a ``tf.data.Dataset`` of (image, label) or {"image", "label"}
        (batched or not), ``(x, y)`` arrays, a ``(dataset, tfds_info)`` pair, an image
        folder, or a TFDS name. Images are raw pixels (0-255); preprocessing follows
        the weights. Options: ``validation_data``, ``epochs`` (total, or (head, full)),
        ``num_classes``, ``recipe`` ("two_phase", "head", "full"), ``learning_rate``,
        ``batch_size``, ``augment`` ("crop", "flip", "crop+flip"), ``shuffle``, ``unfreeze``
        ("all" or N top layers), ``freeze_batchnorm``, ``callbacks``,
        ``checkpoint_dir`` (resumable), ``strategy`` (a ``tf.distribute.Strategy`` or a
        kind for ``zoo.distribute.strategy``; ``batch_size`` is then per replica),
        ``jit_compile``, ``steps_per_execution``, ``verbose``, ``seed``, ``curriculum`` (easy examples
        first: a dict such as ``{"score": "loss", "pacing": "linear", "start": 0.3, "epochs": 3}`` or a
        ``zoo.Curriculum``; see ``zoo.train.curriculum``); adversarial training
        (``zoo.train.adversarial``): ``adversarial`` ("pgd" or "fgsm"), ``eps`` (a fraction of the
        pixel range), ``attack_steps``, ``adversarial_fraction`` (share of each batch attacked).

        Bad options and data are refused before training (labels that are not class ids
        0..num_classes-1 are named with their position; image files that do not decode, by
        name). When the classes come from the largest label, a pretrained head (weights tag
        or class names) is kept if the labels use fewer classes; pass ``num_classes`` to
        replace it. A TFDS name offline loads only what the TFDS data dir holds.

        >>> import zoo, numpy as np
        >>> model = zoo.create("resnet18", input_shape=(32, 32, 1), base_width=8, stem="cifar")
        >>> x = np.random.default_rng(0).integers(0, 255, (20, 28, 28)); y = np.arange(20) % 4
        >>> history = model.finetune((x, y), epochs=2, verbose=0)
        >>> model.num_classes, len(history.history["loss"])
        (4, 2)
        """
        return finetune_recipe(self, data, **options)


def _count(pixels: np.ndarray) -> int:
    """How many images ``preprocess`` reads in ``pixels`` (one image, or a batch)."""
    one_image = pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[-1] in (1, 3))
    return 1 if one_image else int(pixels.shape[0])


def copy_weights_except_head(source: keras.Model, target: keras.Model, head_layers: Sequence[str]) -> None:
    """Copy every layer's weights by name, leaving ``head_layers`` as initialised."""
    for layer in target.layers:
        if layer.name in head_layers or not layer.weights:
            continue
        layer.set_weights(source.get_layer(layer.name).get_weights())
