"""Build path for a registry name: merge the build config, build the task, put weights in it.

The build configuration is registry defaults < the weights entry's needs < the caller's
arguments. Weights come from the entry (converted layer weights from the hub), from a local
``.weights.h5`` file, or nowhere (random initialisation).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import keras

from zoo import hub, registry
from zoo.hub.classes import class_names
from zoo.hub.layer_weights import assign_layer_weights
from zoo.loader.reference import Reference
from zoo.manifest import WeightsEntry
from zoo.tasks import TASKS

log = logging.getLogger("zoo")

# Without weights there is no convention to follow: scale pixels to [0, 1].
DEFAULT_PREPROCESSING = "unit"


def task_class(task: str) -> type:
    module_name, _, class_name = TASKS[task].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def build_config_for(spec: registry.ModelSpec, entry: WeightsEntry | None, overrides: dict[str, Any]) -> dict[str, Any]:
    config = dict(spec.config)
    if entry is not None:
        config.update(entry.config)
    config.update({key: value for key, value in overrides.items() if value is not None})
    return config


def build(reference: Reference, overrides: dict[str, Any]) -> keras.Model:
    spec, entry = reference.spec, reference.entry
    task = task_class(spec.task)(
        spec.name,
        build_config_for(spec, entry, overrides),
        preprocessing=(entry.preprocessing if entry and entry.preprocessing else DEFAULT_PREPROCESSING),
        weights_tag=entry.tag if reference.load_entry_weights else None,
    )
    if reference.weights_file:
        task.network.load_weights(reference.weights_file)
    if reference.load_entry_weights:
        _load_pretrained(task, spec, entry)
    return task


def _load_pretrained(task: keras.Model, spec: registry.ModelSpec, entry: WeightsEntry) -> None:
    may_stay_fresh = spec.head_layers + spec.auxiliary_layers
    target = getattr(task, "network", task)  # classifiers: their network; generative tasks: themselves
    fresh = assign_layer_weights(target, hub.pretrained_layer_weights(spec, entry), may_stay_fresh)
    if fresh:
        log.warning("%s.%s: layers %s are freshly initialised (not in the weights, or another class count)",
                    spec.name, entry.tag, ", ".join(fresh))
    if spec.head_layers and spec.head_layers[0] not in fresh and getattr(task, "class_names", None) is None:
        names = class_names(entry.classes)
        if names is not None and len(names) == task.num_classes:
            task.class_names = names
