"""Build path for a ``.keras`` file saved from a zoo model."""

from __future__ import annotations

import importlib
import os
from typing import Any

import keras

from zoo.loader.reference import Reference
from zoo.tasks import TASKS


def load_saved(reference: Reference, overrides: dict[str, Any] | None = None) -> keras.Model:
    """A model saved with ``model.save("m.keras")``; zoo's task classes are registered first."""
    path = reference.location
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no saved model at {path!r}")
    given = sorted(key for key, value in (overrides or {}).items() if value is not None)
    if given:  # they used to be dropped without a word
        raise ValueError(f"zoo.load({path!r}): a saved model loads as it was saved; {', '.join(given)} cannot change "
                         "it. Load it alone, then use model.transfer(num_classes) for other classes; build options "
                         "such as features_only apply to a registry name (zoo.load('resnet50', features_only=True)).")
    for target in TASKS.values():
        importlib.import_module(target.partition(":")[0])  # registers the classes with Keras
    return keras.models.load_model(path)
