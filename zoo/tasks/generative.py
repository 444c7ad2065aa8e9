"""What the generative tasks share: pixel scaling, image grids as PNG, a per-epoch grid callback."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf


def replica_count() -> int:
    """Losses are divided by this before the gradient: replicas' gradients are summed, not averaged."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def unpack(data):
    """``images`` or ``(images, labels)`` (or ``{"image", "label"}``) from a training batch."""
    if isinstance(data, dict):
        return data["image"], data.get("label")
    if isinstance(data, (tuple, list)):
        return data[0], (data[1] if len(data) > 1 else None)
    return data, None


def as_images(images) -> tf.Tensor:
    """Raw pixels (0-255), with a channel axis."""
    images = tf.cast(images, "float32")
    return images[..., None] if images.shape.rank == 3 else images


def write_grid(images: np.ndarray, path: str | Path, columns: int | None = None) -> Path:
    """Tile images (values in [0, 1], NHWC) into one PNG."""
    from PIL import Image

    images = np.clip(np.asarray(images), 0.0, 1.0)
    count, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.ones((rows * (height + 2) + 2, columns * (width + 2) + 2, channels), "float32")
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        grid[2 + row * (height + 2) : 2 + row * (height + 2) + height, 2 + column * (width + 2) : 2 + column * (width + 2) + width] = image
    pixels = (grid * 255).round().astype("uint8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels[..., 0] if channels == 1 else pixels).resize(
        (pixels.shape[1] * 3, pixels.shape[0] * 3), Image.NEAREST
    ).save(path)
    return path


class SampleGrid(keras.callbacks.Callback):
    """Write ``directory/epoch_001.png``, ... : the model's samples for a fixed seed, after every epoch."""

    def __init__(self, directory: str | Path, n: int = 16, seed: int = 0):
        super().__init__()
        self.directory, self.n, self.seed = Path(directory), n, seed

    def on_epoch_end(self, epoch, logs=None):
        self.model.sample_grid(self.n, self.directory / f"epoch_{epoch + 1:03d}.png", seed=self.seed)
