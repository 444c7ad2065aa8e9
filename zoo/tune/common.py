"""What every hypermodel shares: the searched optimiser and learning rate, reading the data's shape."""

from __future__ import annotations

import keras
import keras_tuner
import numpy as np

import zoo

OPTIMIZERS = {"adam": keras.optimizers.Adam, "sgd": lambda lr: keras.optimizers.SGD(lr, momentum=0.9),
              "adamw": keras.optimizers.AdamW}


def compile_with_searched_optimizer(model: keras.Model, hp: keras_tuner.HyperParameters, **compile_kwargs):
    optimizer = hp.Choice("optimizer", list(OPTIMIZERS))
    learning_rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)
    model.compile(optimizer=OPTIMIZERS[optimizer](learning_rate), **compile_kwargs)
    return model


def pair(data, space: str, what: str = "(images, labels)") -> tuple:
    """``data`` as a pair of equally long parts; a clear error for anything else."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ValueError(f"the {space} space trains on {what}; got {type(data).__name__}"
                         f"{f' of {len(data)} items' if isinstance(data, (tuple, list)) else ''}.")
    first, second = data
    lengths = [len(part) if hasattr(part, "__len__") else None for part in data]
    if None in lengths or lengths[0] != lengths[1] or not lengths[0]:
        raise ValueError(f"the {space} space trains on {what} of the same, non-zero length; "
                         f"got lengths {lengths[0]} and {lengths[1]}.")
    return first, second


def image_shape(images, space: str = "vae") -> tuple[int, int, int]:
    """The shape of one image, with a channel axis, of a batch ``(N, H, W[, C])``."""
    images = np.asarray(images)
    if images.ndim not in (3, 4) or not len(images) or not np.issubdtype(images.dtype, np.number):
        raise ValueError(f"the {space} space trains on images, an array (count, height, width[, channels]) of "
                         f"0-255 pixels; got {images.dtype} of shape {images.shape}.")
    return tuple(int(d) for d in (images.shape[1:] if images.ndim == 4 else (*images.shape[1:], 1)))


def classes_and_shape(data, space: str = "classifier") -> tuple[int, tuple[int, int, int]]:
    """``(images, labels)`` -> (number of classes, image shape with a channel axis)."""
    images, labels = pair(data, space)
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError(f"the {space} space needs labels as one non-negative integer class id per image; got "
                         f"{labels.dtype} labels of shape {labels.shape}.")
    return int(np.max(labels)) + 1, image_shape(images, space)


class ImageClassifierSpace(keras_tuner.HyperModel):
    """Classifier spaces: built for the data's classes and image shape; scored on validation accuracy."""

    OBJECTIVE = ("val_accuracy", "max")
    NEEDS_VALIDATION = False
    NAME = ""

    def __init__(self, num_classes: int, input_shape: tuple[int, int, int], **kwargs):
        super().__init__(name=self.NAME, **kwargs)
        self.num_classes, self.input_shape = num_classes, tuple(input_shape)

    @classmethod
    def for_data(cls, data):
        num_classes, shape = classes_and_shape(data, cls.NAME)
        return cls(num_classes, shape)

    def fit(self, hp, model, x, y=None, validation_data=None, **kwargs):
        """Raw images (0-255) in, like every zoo classifier: ``model.preprocess`` them for the network."""
        if validation_data is not None:
            validation_data = (np.asarray(model.preprocess(validation_data[0])), *validation_data[1:])
        return model.fit(np.asarray(model.preprocess(x)), y, validation_data=validation_data, **kwargs)


class PublishedClassifierSpace(ImageClassifierSpace):
    """A published architecture's own knobs (width multiplier, dropout...) around its fixed topology.

    Subclasses name the model and return its searched build options from ``options(hp)``.
    """

    def options(self, hp: keras_tuner.HyperParameters) -> dict:
        raise NotImplementedError

    def configure(self, model, hp: keras_tuner.HyperParameters) -> None:
        """Searched settings of the task rather than the network (none by default)."""

    def build(self, hp: keras_tuner.HyperParameters):
        model = zoo.create(self.NAME, num_classes=self.num_classes, input_shape=self.input_shape, **self.options(hp))
        self.configure(model, hp)
        return compile_with_searched_optimizer(model, hp)
