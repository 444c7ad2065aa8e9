"""Named input preprocessing, as weights entries name it.

Each function maps images with values in [0, 255] (RGB, channels last) to what
a model trained with that convention expects. Written with ``keras.ops`` so the
same code runs eagerly, inside ``tf.data`` and inside a model graph.

Also the checks every task runs on the images and counts users pass in, before
any graph runs (``checked_pixels``, ``whole_number``).
"""

from __future__ import annotations

import os
import sys
import warnings
import weakref
from typing import Callable

import numpy as np
from keras import ops

from zoo.errors import PixelRangeWarning

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
# What each one does, in words (``model.transform`` tells users).
DESCRIPTIONS = {
    "raw": "none (the network takes 0-255 pixels)",
    "unit": "x / 255",
    "tf": "x / 127.5 - 1",
    "torch": f"(x / 255 - mean) / std, ImageNet mean {IMAGENET_MEAN_RGB} and std {IMAGENET_STD_RGB}",
    "caffe": f"RGB -> BGR, minus the ImageNet channel means {CAFFE_MEAN_BGR} (BGR)",
}


def get(name: str | None) -> Callable:
    """The preprocessing function called ``name`` (``None`` means ``"raw"``)."""
    key = name or "raw"
    if key not in PREPROCESSING:
        raise ValueError(f"Unknown preprocessing {name!r}; known: {', '.join(sorted(PREPROCESSING))}.")
    return PREPROCESSING[key]


# ITU-R BT.601 luma, the usual RGB -> grayscale weights.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def prepare_images(images, image_shape, preprocessing: str | None, *, model: str = "model", resize=None):
    """Raw images (0-255; batched or one) -> what a network with ``image_shape`` expects.

    Casts to float32, converts between 1 and 3 channels, resizes to the
    network's height and width (when fixed; or calls ``resize``, e.g. a weights
    entry's resize and centre crop from ``zoo.transforms``), then applies ``preprocessing``.
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
    if resize is not None:
        x = resize(x)
    elif height is not None and tuple(x.shape[-3:-1]) != (height, width):
        x = ops.image.resize(x, (height, width))
    return get(preprocessing)(x)


# --- checks on the images users pass in ------------------------------------------------------------

# Models already warned about [0, 1] inputs: the warning is given once per model, not per call.
_WARNED_UNIT_RANGE: "weakref.WeakSet" = weakref.WeakSet()


def checked_pixels(images, owner, *, name: str = "model", argument: str = "images") -> np.ndarray:
    """``images`` as a numpy array of raw pixels, refused (before any graph runs) when they cannot be.

    Refuses what is not numbers, and NaN or infinite pixels. Float images that all lie
    in [0, 1] (and are not all zero: black images are fine) give a ``PixelRangeWarning``,
    once per ``owner`` (the model; every time without one): zoo takes 0-255 pixels, so they
    would look almost black.
    """
    if images is None:
        raise TypeError(f"{name}: {argument} must be an array of raw pixels (0-255); got None.")
    if hasattr(images, "numpy") and not isinstance(images, np.ndarray):
        images = images.numpy()  # an eager tensor
    try:
        pixels = np.asarray(images)
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"{name}: {argument} must be one array of equally sized images; {error}") from None
    if pixels.dtype.kind not in "uif":
        raise TypeError(f"{name}: {argument} must hold numbers (raw pixels, 0-255); got dtype {pixels.dtype}"
                        + (" (cast with .astype('uint8') * 255)" if pixels.dtype.kind == "b" else "") + ".")
    if pixels.dtype.kind == "f" and pixels.size:
        finite = np.isfinite(pixels)
        if not finite.all():
            where = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise ValueError(f"{name}: {argument} has {int((~finite).sum())} NaN or infinite pixels (the first, "
                             f"{pixels[where]}, at index {where}); pixels must be finite numbers in 0-255.")
        warned = owner is not None and owner in _WARNED_UNIT_RANGE
        if not warned and pixels.min() >= 0 and 0 < pixels.max() <= 1:
            if owner is not None:
                _WARNED_UNIT_RANGE.add(owner)
            warnings.warn(
                f"{name}: every pixel of these float {argument} lies in [0, 1], but zoo takes raw pixels in 0-255 "
                f"(as image files hold them), so the model sees nearly black images. Scale them first: "
                f"`{argument} * 255`. (Given once per model.)",
                PixelRangeWarning, stacklevel=_first_caller_outside_zoo())
    return pixels


def _first_caller_outside_zoo() -> int:
    """The ``stacklevel`` that points a warning at the user's line, however deep in zoo it was raised."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(package):
        level, frame = level + 1, frame.f_back
    return level


def whole_number(value, argument: str, *, name: str = "model", minimum: int = 1) -> int:
    """``value`` as an int, refused unless it is a whole number (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: {argument} must be a whole number >= {minimum}; got {value!r} "
                        f"({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"{name}: {argument} must be >= {minimum}; got {value}.")
    return int(value)
