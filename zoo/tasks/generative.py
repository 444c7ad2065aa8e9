"""What the generative tasks share: the task base class, pixel scaling, PNG grids, a per-epoch grid callback."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from zoo import registry


def gan_adam() -> keras.optimizers.Optimizer:
    """The DCGAN paper's optimiser: Adam, learning rate 2e-4, beta_1 0.5."""
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


class GenerativeTask(keras.Model):
    """Plumbing every generative task shares: the registry spec and build config, the weights
    tag, ``keras.metrics.Mean`` trackers named by ``METRICS``, and a config that rebuilds the
    task through the same constructor (so ``.keras`` files reload). Subclasses build their
    networks in ``build_networks`` and list their layers in ``weight_layers``.
    """

    METRICS: tuple[str, ...] = ()
    DEFAULT_IMAGE_SHAPE = (28, 28, 1)

    def __init__(self, model_name: str, build_config: dict[str, Any] | None = None, *, weights_tag=None,
                 preprocessing=None, **kwargs: Any):
        # ``preprocessing`` is accepted for the loader's uniform call; generative tasks take raw pixels.
        kwargs.setdefault("name", model_name)
        super().__init__(**kwargs)
        self.spec = registry.get_spec(model_name)
        self.model_name = self.spec.name
        config = dict(self.spec.config if build_config is None else build_config)
        config["image_shape"] = tuple(config.get("image_shape", self.DEFAULT_IMAGE_SHAPE))
        self.build_config = config
        self.weights_tag = weights_tag
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.METRICS}
        self.build_networks(config)
        self.built = True

    def build_networks(self, config: dict[str, Any]) -> None:
        raise NotImplementedError

    def weight_layers(self) -> list:
        raise NotImplementedError

    @property
    def metrics(self):
        return list(self.trackers.values())

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

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, "model_name": self.model_name,
                "build_config": self.build_config, "weights_tag": self.weights_tag}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


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
