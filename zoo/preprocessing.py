"""Named input preprocessing, as weights entries name it.

Each function maps images with values in [0, 255] (RGB, channels last) to what
a model trained with that convention expects. Written with ``keras.ops`` so the
same code runs eagerly, inside ``tf.data`` and inside a model graph.
"""

from __future__ import annotations

from typing import Callable

from keras import ops

IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
# keras.applications' "caffe" mode: BGR order, per-channel means in 0-255 units.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def _raw(x):
    return x


def _unit(x):
    return x / 255.0


def _tf(x):
    return x / 127.5 - 1.0


def _torch(x):
    mean = ops.convert_to_tensor(IMAGENET_MEAN_RGB, dtype=x.dtype)
    std = ops.convert_to_tensor(IMAGENET_STD_RGB, dtype=x.dtype)
    return (x / 255.0 - mean) / std


def _caffe(x):
    mean = ops.convert_to_tensor(CAFFE_MEAN_BGR, dtype=x.dtype)
    return ops.flip(x, axis=-1) - mean


PREPROCESSING: dict[str, Callable] = {
    "raw": _raw,
    "unit": _unit,
    "tf": _tf,
    "torch": _torch,
    "caffe": _caffe,
}


def get(name: str | None) -> Callable:
    """The preprocessing function called ``name`` (``None`` means ``"raw"``)."""
    key = name or "raw"
    if key not in PREPROCESSING:
        raise ValueError(f"Unknown preprocessing {name!r}; known: {', '.join(sorted(PREPROCESSING))}.")
    return PREPROCESSING[key]


# ITU-R BT.601 luma, the usual RGB -> grayscale weights.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def prepare_images(images, image_shape, preprocessing: str | None, *, model: str = "model"):
    """Raw images (0-255; batched or one) -> what a network with ``image_shape`` expects.

    Casts to float32, converts between 1 and 3 channels, resizes to the
    network's height and width (when fixed), then applies ``preprocessing``.
    """
    x = ops.cast(images, "float32")
    if len(x.shape) == 2:  # a single grayscale image without a channel axis
        x = x[..., None]
    if len(x.shape) not in (3, 4):
        raise ValueError(
            f"{model}: expected images shaped (batch, height, width, channels) or (height, width, channels), "
            f"got shape {tuple(x.shape)}."
        )
    height, width, channels = image_shape
    if x.shape[-1] != channels:
        if x.shape[-1] == 1:
            x = ops.repeat(x, channels, axis=-1)
        elif x.shape[-1] == 3 and channels == 1:
            x = ops.sum(x * ops.convert_to_tensor(LUMA_WEIGHTS, x.dtype), axis=-1, keepdims=True)
        else:
            raise ValueError(f"{model} takes {channels}-channel images, got {x.shape[-1]} channels.")
    if height is not None and tuple(x.shape[-3:-1]) != (height, width):
        x = ops.image.resize(x, (height, width))
    return get(preprocessing)(x)
