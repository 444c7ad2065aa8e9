"""What every image-classifier builder shares: its argument checks and input, and its top.

A builder is ``classifier_input`` (checks, then ``keras.Input``), its backbone, and
``classifier_model``, which puts the builder's head on the backbone's feature map
or, with ``include_top=False``, returns the features (globally pooled when asked).

Builders give their final classification layers ``dtype="float32"``: under a
mixed-precision policy the network computes in float16/bfloat16 but its
probabilities stay float32 (a stable softmax and loss).
"""

from __future__ import annotations

from typing import Callable, Sequence

import keras
from keras import layers

POOLING_CHOICES = (None, "avg", "max")


def image_input(
    model: str,
    input_shape: Sequence[int | None],
    min_size: int,
    *,
    allow_dynamic: bool = True,
    hint: str = "",
) -> keras.KerasTensor:
    """A ``keras.Input`` for ``input_shape`` (H, W, C) after checking it fits ``model``."""
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(
            f"{model}: input_shape must be (height, width, channels), got {shape!r}."
        )
    height, width, channels = shape
    if channels is None or int(channels) < 1:
        raise ValueError(f"{model}: input_shape needs a channel count >= 1, got {shape!r}.")
    for size in (height, width):
        if size is None:
            if not allow_dynamic:
                raise ValueError(
                    f"{model}: input_shape needs a fixed height and width (its pooling "
                    f"depends on them), got {shape!r}."
                )
        elif int(size) < min_size:
            raise ValueError(
                f"{model} needs inputs of at least {min_size}x{min_size} pixels, got "
                f"{height}x{width}. Resize or pad the images (e.g. keras.layers.Resizing)"
                f"{' ' + hint if hint else ''}."
            )
    return keras.Input(shape=shape, name="images")


def check_pooling(model: str, pooling: str | None) -> None:
    if pooling not in POOLING_CHOICES:
        raise ValueError(f"{model}: pooling must be one of {POOLING_CHOICES}, got {pooling!r}.")


def pooled(x: keras.KerasTensor, pooling: str | None) -> keras.KerasTensor:
    """Global pooling of a feature map for ``include_top=False`` models."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def check_num_classes(model: str, num_classes: int) -> None:
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"{model}: num_classes must be a positive integer, got {num_classes!r}.")


def scaled(filters: int, width: float) -> int:
    """``filters`` times a width multiplier (searched architectures shrink published ones), at least 1."""
    return max(1, round(filters * width))


def check_width(model: str, width: float) -> None:
    if not isinstance(width, (int, float)) or not 0 < width <= 4:
        raise ValueError(f"{model}: width must be a multiplier in (0, 4] (1.0 is the published network); "
                         f"got {width!r}.")


def classifier_input(
    model: str,
    input_shape: Sequence[int | None],
    min_size: int,
    *,
    num_classes: int,
    pooling: str | None,
    width: float | None = None,
    allow_dynamic: bool = True,
) -> keras.KerasTensor:
    """The arguments every classifier checks (``num_classes``, ``pooling``, a ``width`` multiplier if it
    has one), then its ``keras.Input`` (see ``image_input``)."""
    check_num_classes(model, num_classes)
    check_pooling(model, pooling)
    if width is not None:
        check_width(model, width)
    return image_input(model, input_shape, min_size, allow_dynamic=allow_dynamic)


def classifier_model(
    inputs: keras.KerasTensor,
    features: keras.KerasTensor,
    head: Callable[[keras.KerasTensor], keras.KerasTensor | list[keras.KerasTensor]],
    *,
    name: str,
    include_top: bool,
    pooling: str | None,
) -> keras.Model:
    """The model: ``head(features)`` on the backbone's feature map, or with ``include_top=False`` the
    features themselves, globally pooled as ``pooling`` says."""
    outputs = head(features) if include_top else pooled(features, pooling)
    return keras.Model(inputs, outputs, name=name)


def global_average_pool(x: keras.KerasTensor) -> keras.KerasTensor:
    return layers.GlobalAveragePooling2D(name="avg_pool")(x)


def dense_predictions(
    x: keras.KerasTensor, num_classes: int, activation: str | None, *, dropout: float = 0.0
) -> keras.KerasTensor:
    """The class-specific layer ``predictions`` (float32, see above), after dropout ``head_dropout`` if any."""
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout")(x)
    return layers.Dense(num_classes, activation=activation, name="predictions", dtype="float32")(x)
