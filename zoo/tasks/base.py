"""The one base class of every zoo task (classifier, generative and translation tasks).

A task is a ``keras.Model`` built from a registry spec and a build config, and it
carries everything that differs per task, so the modules that handle any task
(``zoo.export``, ``zoo.model_card``, ``zoo.preset``, ``zoo.bench``) ask the task
instead of keeping tables keyed by task name:

- ``serving_signature``: what ``export_for_serving`` writes and checks;
- ``preprocessor_config``: what a preset's ``preprocessor.json`` holds;
- ``CARD_TEXT``: the model card's pipeline tag, intended use and limits;
- ``bench_workload``: one training step and one forward pass on synthetic data;
- ``get_config``/``from_config``/``compile_from_config``: ``.keras`` files reload
  through the same constructor (subclasses add their arguments in ``constructor_options``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Callable

import keras
import numpy as np

from zoo import precision, registry
from zoo.tasks import TASKS
from zoo.tasks.benchmark import Workload
from zoo.tasks.sharing import Shareable


@dataclasses.dataclass(frozen=True)
class CardText:
    """What a task is for and where it stops being trustworthy, as its model card says it."""

    pipeline_tag: str  # the Hugging Face Hub's name for the task
    use: str
    limits: str


class ZooTask(Shareable, keras.Model):
    # Names of the keras.metrics.Mean trackers of a task with its own train_step (none: Keras' compiled metrics).
    METRICS: tuple[str, ...] = ()
    CARD_TEXT: CardText

    def __init__(self, model_name: str, build_config: dict[str, Any] | None = None, *, weights_tag=None,
                 preprocessing=None, **kwargs: Any):
        # ``preprocessing`` is accepted for the loader's uniform call; only the classifier has a choice of it.
        kwargs.setdefault("name", model_name)
        super().__init__(**kwargs)
        self.spec = registry.get_spec(model_name)
        self.model_name = self.spec.name
        self.build_config = dict(self.spec.config if build_config is None else build_config)
        self.weights_tag = weights_tag
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.METRICS}
        # What zoo.load(mixed_precision=...) chose (zoo.precision): "float32", a Keras policy's name, or
        # "onednn_bf16", under which compiled steps run with oneDNN's bf16 rewrite.
        self.compute_precision = "float32"

    @property
    def full_name(self) -> str:
        """``name.tag`` as ``zoo.load`` takes it (the bare name without pretrained weights), for messages."""
        return f"{self.model_name}.{self.weights_tag}" if self.weights_tag else self.model_name

    @property
    def class_path(self) -> str:
        """"module:Class" of the task that serves this model's registry task, as a preset's config.json names it."""
        return TASKS[self.spec.task]

    @property
    def metrics(self):
        return list(self.trackers.values()) if self.METRICS else super().metrics

    # --- precision: compiled steps under oneDNN's bf16 rewrite -------------------------------

    def precision_scope(self):
        """The context this model's compiled functions run in (bench/ uses it for its own forward functions)."""
        return precision.onednn_bf16() if self.compute_precision == "onednn_bf16" else contextlib.nullcontext()

    def _in_precision(self, function):
        if function is None or self.compute_precision != "onednn_bf16" or getattr(function, "_zoo_precision", False):
            return function

        def run(*args, **kwargs):
            with self.precision_scope():
                return function(*args, **kwargs)

        run._zoo_precision = True
        return run

    def make_train_function(self, force=False):
        super().make_train_function(force=force)
        self.train_function = self._in_precision(self.train_function)
        return self.train_function

    def make_test_function(self, force=False):
        super().make_test_function(force=force)
        self.test_function = self._in_precision(self.test_function)
        return self.test_function

    def make_predict_function(self, force=False):
        super().make_predict_function(force=force)
        self.predict_function = self._in_precision(self.predict_function)
        return self.predict_function

    # --- saving and reloading ------------------------------------------------------------------

    def constructor_options(self) -> dict[str, Any]:
        """The constructor arguments this task adds to the base's, as ``get_config`` records them."""
        return {}

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, "model_name": self.model_name,
                "build_config": self.build_config, **self.constructor_options(), "weights_tag": self.weights_tag}

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)

    def compile_from_config(self, config):
        # Keras' own version refuses (with a warning) when compile() is overridden, as every task's is;
        # this one takes the same arguments, so a loaded .keras file comes back compiled.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.optimizer is not None and self.built:  # built now, so the file's optimizer state loads too
            self.optimizer.build(self.trainable_variables)

    def preprocessor_config(self, config: dict[str, Any]) -> dict[str, Any] | None:
        """What a preset's preprocessor.json holds, taken out of ``config`` (this task's ``get_config``,
        JSON-ready), or None when the task reads raw inputs."""
        return None

    # --- serving and measuring -----------------------------------------------------------------

    def serving_signature(self, rng: np.random.Generator, batch: int) -> tuple[Callable, list, list[np.ndarray]]:
        """(serving function, input ``tf.TensorSpec`` list, probe inputs of ``batch`` rows) for
        ``zoo.export``; raises ValueError when the task cannot be served as a graph."""
        raise NotImplementedError

    def bench_workload(self, batch: int, rng: np.random.Generator) -> Workload:
        """Synthetic training data and the forward pass ``zoo bench`` times (compiles with defaults if needed)."""
        raise NotImplementedError
