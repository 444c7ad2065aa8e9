"""What the two sequence spaces share: vocabularies from the data, scoring on exact match."""

from __future__ import annotations

from typing import Any

import keras_tuner

import zoo
from zoo.tasks.translation import vocabularies
from zoo.tune.common import compile_with_searched_optimizer, pair


class TranslationSpace(keras_tuner.HyperModel):
    """Trials are ``zoo.create(MODEL, ...)`` on the training text's character vocabularies.
    The objective is the exact match of greedy translations of ``validation_data``, measured
    after each trial's training (``fit`` returns it to the oracle with the last epoch's logs)."""

    MODEL = ""
    OBJECTIVE = ("val_exact_match", "max")
    NEEDS_VALIDATION = False  # without validation data: exact match on the training pairs

    def __init__(self, text_config: dict[str, Any], **kwargs: Any):
        super().__init__(name=self.MODEL, **kwargs)
        self.text_config = text_config

    @classmethod
    def for_data(cls, data):
        sources, targets = pair(data, cls.MODEL, "(sources, targets) lists of strings")
        if not all(isinstance(text, str) for text in [*sources, *targets]):
            raise ValueError(f"the {cls.MODEL} space trains on (sources, targets) lists of strings; got other items.")
        config = vocabularies(sources, targets, tokens="char")
        config["max_output_length"] = max(len(t) for t in targets) + 1
        return cls(config)

    def network(self, hp: keras_tuner.HyperParameters) -> dict[str, Any]:
        raise NotImplementedError

    def build(self, hp: keras_tuner.HyperParameters):
        model = zoo.create(self.MODEL, **self.text_config, **self.network(hp))
        return compile_with_searched_optimizer(model, hp)

    def fit(self, hp, model, x, y=None, validation_data=None, **kwargs):
        history = model.fit(x, y, validation_data=validation_data, **kwargs)
        metrics = {name: values[-1] for name, values in history.history.items()}
        if validation_data is not None:
            metrics["val_exact_match"] = model.exact_match(*validation_data)
        else:
            metrics["exact_match"] = model.exact_match(x, y)
        return metrics
