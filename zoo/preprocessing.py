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
