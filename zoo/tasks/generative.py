"""What the generative tasks share: their base classes, pixel scaling, PNG grids, a per-epoch grid callback."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from zoo.tasks.base import SpecTask


def gan_adam() -> keras.optimizers.Optimizer:
    """The DCGAN paper's optimiser: Adam, learning rate 2e-4, beta_1 0.5."""
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


class GenerativeTask(SpecTask):
    """A task over images: the build config's ``image_shape`` is a tuple, and subclasses build
    their networks in ``build_networks`` and list their layers in ``weight_layers``."""

    DEFAULT_IMAGE_SHAPE = (28, 28, 1)

    def __init__(self, model_name: str, build_config: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(model_name, build_config, **kwargs)
        self.build_config["image_shape"] = tuple(self.build_config.get("image_shape", self.DEFAULT_IMAGE_SHAPE))
        self.build_networks(self.build_config)
        self.built = True

    def build_networks(self, config: dict[str, Any]) -> None:
        raise NotImplementedError

    def weight_layers(self) -> list:
        raise NotImplementedError

    def track(self, **values) -> dict[str, Any]:
        """Update the trackers and return every metric's running mean (what ``train_step`` returns)."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def compile_optimizers(self, optimizers: dict[str, tuple[Any, Callable[[], Any], list]], main: str, **kwargs):
        """Set ``{attribute: (given or default(), variables)}``, each created and built in the
        strategy's scope (a multi-optimizer step fails under MirroredStrategy otherwise); Keras'
        own compile gets ``main``."""
        with self.distribute_strategy.scope():
            for attribute, (given, default, variables) in optimizers.items():
                optimizer = given or default()
                optimizer.build(variables)
                setattr(self, attribute, optimizer)
        keras.Model.compile(self, optimizer=getattr(self, main), **kwargs)

    def get_compile_config(self):
        return None  # several optimizers: compile() again after loading


class AdversarialPair(GenerativeTask):
    """A generator and a discriminator (``self.generator``, ``self.discriminator``), each with its optimizer."""

    def call(self, inputs, training=None):
        return self.generator(inputs, training=training)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Two optimizers (defaults: Adam 2e-4, beta_1 0.5, as in the DCGAN paper), built in the strategy's scope."""
        self.compile_optimizers({
            "d_optimizer": (d_optimizer, gan_adam, self.discriminator.trainable_variables),
            "g_optimizer": (g_optimizer, gan_adam, self.generator.trainable_variables),
        }, main="g_optimizer", **kwargs)

    def weight_layers(self) -> list:
        return self.generator.layers + self.discriminator.layers


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
