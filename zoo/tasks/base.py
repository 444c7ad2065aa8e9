"""The plumbing every zoo task built from a registry spec shares (generative and translation tasks).

The registry spec and build config, the weights tag, ``keras.metrics.Mean``
trackers named by ``METRICS``, and a config that rebuilds the task through the
same constructor, so ``.keras`` files reload.
"""

from __future__ import annotations

from typing import Any

import keras

from zoo import registry
from zoo.tasks.sharing import Shareable


class SpecTask(Shareable, keras.Model):
    METRICS: tuple[str, ...] = ()

    def __init__(self, model_name: str, build_config: dict[str, Any] | None = None, *, weights_tag=None,
                 preprocessing=None, **kwargs: Any):
        # ``preprocessing`` is accepted for the loader's uniform call; these tasks take raw inputs.
        kwargs.setdefault("name", model_name)
        super().__init__(**kwargs)
        self.spec = registry.get_spec(model_name)
        self.model_name = self.spec.name
        self.build_config = dict(self.spec.config if build_config is None else build_config)
        self.weights_tag = weights_tag
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.METRICS}

    @property
    def full_name(self) -> str:
        """``name.tag`` as ``zoo.load`` takes it (the bare name without pretrained weights), for messages."""
        return f"{self.model_name}.{self.weights_tag}" if self.weights_tag else self.model_name

    @property
    def metrics(self):
        return list(self.trackers.values())

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, "model_name": self.model_name,
                "build_config": self.build_config, "weights_tag": self.weights_tag}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
