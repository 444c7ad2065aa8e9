"""What the generative tasks share: base classes, serving and bench defaults, input checks, pixel scaling, PNG
grids, a per-epoch grid callback.

Inputs are checked before any graph runs: images (raw 0-255 pixels, a batch that fits the
network; see ``zoo.preprocessing.checked_pixels``), image counts and class ids.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf
from PIL import Image  # Pillow comes with matplotlib; TensorFlow's import already loads it

from zoo import preprocessing
from zoo.tasks import benchmark
from zoo.tasks.base import ZooTask


def gan_adam() -> keras.optimizers.Optimizer:
    """The DCGAN paper's optimiser: Adam, learning rate 2e-4, beta_1 0.5."""
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


class GenerativeTask(ZooTask):
    """A task over images: the build config's ``image_shape`` is a tuple, and subclasses build
    their networks in ``build_networks`` and list their layers in ``weight_layers``."""

    DEFAULT_IMAGE_SHAPE = (28, 28, 1)
    # The attribute holding the network export serves: the one that makes images.
    SERVED_NETWORK = "decoder"

    def __init__(self, model_name: str, build_config: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(model_name, build_config, **kwargs)
        self.build_config["image_shape"] = tuple(self.build_config.get("image_shape", self.DEFAULT_IMAGE_SHAPE))
        self.build_networks(self.build_config)
        self.built = True

    def build_networks(self, config: dict[str, Any]) -> None:
        raise NotImplementedError

    def weight_layers(self) -> list:
        raise NotImplementedError

    @property
    def conditional(self) -> bool:
        """Whether it trains on (images, labels) and samples chosen classes."""
        return False

    # --- serving and measuring -------------------------------------------------------------------

    def serving_signature(self, rng, batch):
        """The network that makes images (``SERVED_NETWORK``) on its own inputs: noise or codes (and class ids)."""
        network = getattr(self, self.SERVED_NETWORK)
        specs, probe = [], []
        for tensor in network.inputs:
            shape, dtype = (None, *tensor.shape[1:]), tensor.dtype
            specs.append(tf.TensorSpec(shape, dtype, name=tensor.name.split(":")[0]))
            if "int" in str(dtype):  # class labels
                probe.append(rng.integers(0, max(1, int(getattr(self, "num_classes", 1) or 1)), (batch, *shape[1:]))
                             .astype(str(dtype)))
            else:
                probe.append(rng.normal(size=(batch, *shape[1:])).astype("float32"))

        def serve(*inputs):
            return network(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

        return serve, specs, probe

    def bench_workload(self, batch, rng):
        """Training on images (with class ids when conditional); the forward pass is the whole model on them."""
        images = self.bench_images(batch, rng)
        data = benchmark.repeated(images, self.bench_labels(batch)) if self.conditional else benchmark.repeated(images)
        return benchmark.Workload(self, data, lambda x: self(x, training=False), images,
                                  benchmark.one_sample_specs(images))

    def bench_images(self, batch: int, rng) -> tf.Tensor:
        """A batch of random raw images for ``bench_workload``; compiles with the defaults if needed."""
        if not self.compiled:
            self.compile()
        return tf.constant(benchmark.random_images(rng, batch, self.build_config["image_shape"]))

    def bench_labels(self, batch: int) -> tf.Tensor:
        return tf.constant(np.arange(batch) % self.num_classes)

    # --- input checks ------------------------------------------------------------------------------

    def empty_images(self) -> np.ndarray:
        """What asking for no images returns: a float32 batch shaped (0, height, width, channels)."""
        return np.zeros((0, *self.build_config["image_shape"]), "float32")

    def checked_images(self, images, argument: str = "images", shape=None) -> np.ndarray:
        """Raw pixels as a float32 batch ``(n, *shape)`` (default: the model's image shape), refused
        before any graph runs when they do not fit; ``(n, height, width)`` gains the channel axis."""
        pixels = preprocessing.checked_pixels(images, self, name=self.full_name, argument=argument)
        height, width, channels = shape or self.build_config["image_shape"]
        if pixels.ndim == 3 and channels == 1:
            pixels = pixels[..., None]
        if pixels.ndim != 4 or pixels.shape[1:] != (height, width, channels):
            one = " (for one image, pass images[None])" if pixels.ndim == 3 else ""
            raise ValueError(
                f"{self.full_name}: {argument} must be a batch of {height}x{width} images with {channels} "
                f"channel{'s' if channels > 1 else ''}, shaped (n, {height}, {width}, {channels})"
                f"{f' or (n, {height}, {width})' if channels == 1 else ''}; got shape {pixels.shape}{one}."
            )
        return pixels.astype("float32", copy=False)

    def checked_codes(self, codes) -> np.ndarray:
        """Latent codes as a float32 ``(n, latent_dim)`` array, refused when they are not."""
        values = np.asarray(codes)
        if values.dtype.kind not in "biuf" or values.ndim != 2 or values.shape[1] != self.latent_dim:
            raise ValueError(f"{self.full_name}.decode: codes must be numbers shaped (n, {self.latent_dim}); got "
                             f"{values.dtype} of shape {values.shape}.")
        return values.astype("float32", copy=False)

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit``, after checking the training images (all of an array, a dataset's first batch)."""
        if isinstance(x, tf.data.Dataset):
            first = next(iter(x.take(1)), None)
            pairs = [] if first is None else self.training_images(*unpack(first))
        elif isinstance(x, dict) or (isinstance(x, (tuple, list)) and len(x) == 2 and y is None):
            pairs = self.training_images(*unpack(x))  # (images, labels) or pix2pix's (sources, targets)
        elif isinstance(x, (np.ndarray, list)) or tf.is_tensor(x):
            pairs = self.training_images(x, y)
        else:  # a generator or PyDataset: Keras reads it
            pairs = []
        for argument, images in pairs:
            preprocessing.checked_pixels(images, self, name=self.full_name, argument=argument)
        return super().fit(x, y, *args, **kwargs)

    def training_images(self, images, second) -> list[tuple[str, Any]]:
        """What ``fit`` checks as images, as (argument, images): the images; pix2pix adds its targets."""
        return [("images", images)]

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

    SERVED_NETWORK = "generator"

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


def sample_count(n, where: str, minimum: int = 0) -> int:
    """``n`` images to draw, refused unless it is a whole number >= ``minimum``."""
    return preprocessing.whole_number(n, "n (the number of images)", name=where, minimum=minimum)


def class_ids(labels, n: int, where: str, num_classes: int) -> np.ndarray:
    """``labels`` for ``n`` images as int32 class ids, refused when not ``n`` whole numbers in
    ``[0, num_classes)``."""
    values = np.asarray(labels)
    if values.dtype.kind not in "biuf":
        kind = "strings" if values.dtype.kind in "US" else f"{values.dtype} values"
        raise TypeError(f"{where}: labels must be class ids (whole numbers); got {kind}: {labels!r}.")
    flat = values.reshape(-1)
    if flat.shape != (n,):
        raise ValueError(f"{where}: labels must have shape ({n},), one class id per image; got shape {values.shape}.")
    bad = ~np.isfinite(flat.astype("float64")) | (flat < 0) | (flat != np.floor(flat))
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(f"{where}: labels[{index}] is {flat[index].item()!r}; labels must be whole class ids >= 0.")
    if n and flat.max() >= num_classes:
        index = int(flat.argmax())
        raise ValueError(f"{where}: labels must be {n} class ids in [0, {num_classes}) (its {num_classes} classes); "
                         f"labels[{index}] is {flat[index].item()!r}.")
    return flat.astype("int32")


def refuse_labels(model, where: str) -> None:
    raise ValueError(f"{where}: labels= needs a model conditioned on classes (cgan, or aae with "
                     f"prior='categorical'); {model.full_name} draws images of no chosen class.")


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
