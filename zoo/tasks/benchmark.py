"""What ``zoo bench`` times for a task: synthetic data, a training step and a forward pass.

Each task's ``bench_workload`` returns a ``Workload`` built with these helpers;
``zoo.bench`` times it the same way whatever the task.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf


@dataclasses.dataclass
class Workload:
    """Synthetic data and the forward function for one model; ``units`` counts images or tokens per sample."""

    model: keras.Model
    train_data: tf.data.Dataset
    forward: Callable
    forward_inputs: Any
    forward_specs: tuple
    unit: str = "images"
    units_per_sample: int = 1
    fit: Callable | None = None  # the model's own fit unless the workload needs another

    def __post_init__(self):
        self.fit = self.fit or self.model.fit


def random_images(rng: np.random.Generator, batch: int, shape) -> np.ndarray:
    """``batch`` images of raw pixels (0-255) shaped ``shape``, as float32."""
    return rng.integers(0, 256, (batch, *shape)).astype("float32")


def repeated(*tensors) -> tf.data.Dataset:
    """One batch (``tensors``, or the tuple of them), repeated for ever: a step, not the input pipeline, is timed."""
    data = tensors[0] if len(tensors) == 1 else tensors
    return tf.data.Dataset.from_tensors(data).repeat()


def one_sample_specs(inputs) -> tuple:
    """``forward_specs`` for ``inputs``: one sample of each, for counting FLOPs per sample."""
    return (tf.nest.map_structure(lambda t: tf.TensorSpec([1, *t.shape[1:]], t.dtype), inputs),)
