"""``zoo.load``: a registry name (and weights tag) -> a ready task object.

The one builder path for every family: merge the build configuration (registry
defaults < the weights entry's needs < the caller's arguments), build the task
object, then put weights in it.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import keras

from zoo import manifest, registry
from zoo.errors import WeightsNotAvailableError
from zoo.tasks import TASKS


def _task_class(task: str) -> type:
    module_name, _, class_name = TASKS[task].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def build_config_for(spec: registry.ModelSpec, entry: dict[str, Any] | None, overrides: dict[str, Any]) -> dict[str, Any]:
    config = dict(spec.config)
    if entry:
        config.update(entry.get("config", {}))
    config.update({key: value for key, value in overrides.items() if value is not None})
    return config


def load(
    name: str,
    *,
    weights: str | None = "default",
    num_classes: int | None = None,
    input_shape: tuple[int, int, int] | None = None,
    **config: Any,
) -> keras.Model:
    spec, tag = registry.resolve_tag(name)
    weights_file = None
    if weights == "default":
        use_tag = True
    elif weights is None or os.path.isfile(weights):
        # Random init or a local file: honour an explicit "name.tag" (its layout and
        # preprocessing), otherwise the registry defaults.
        use_tag, weights_file = False, weights
        if registry.split_name(name)[1] is None:
            tag = None
    elif weights.endswith(".h5") or os.sep in weights:
        raise FileNotFoundError(f"weights file {weights!r} does not exist (zoo.load({name!r}, weights=...)).")
    else:  # a bare tag: zoo.load("resnet50", weights="tv_in1k")
        spec, tag = registry.resolve_tag(spec.name, weights)
        use_tag = True

    entry = manifest.entry(spec.name, tag) if tag else None
    build_config = build_config_for(
        spec, entry, dict(config, num_classes=num_classes, input_shape=input_shape)
    )
    if use_tag:
        _refuse_unfetchable(spec.name, tag, entry)

    task = _task_class(spec.task)(
        spec.name,
        build_config,
        preprocessing=(entry or {}).get("preprocessing", "raw"),
        weights_tag=tag if use_tag else None,
    )
    if weights_file:
        task.network.load_weights(weights_file)
    return task


def _refuse_unfetchable(model: str, tag: str | None, entry: dict[str, Any] | None) -> None:
    """Until the hub layer lands, say exactly why pretrained weights cannot be had."""
    if tag is None:
        raise WeightsNotAvailableError(
            f"{model} has no pretrained weights in the manifest. Build it with random weights "
            f"(zoo.load({model!r}, weights=None) or zoo.create({model!r})), pass a weights file "
            f"(weights='path/model.weights.h5'), or pick a model that has weights: "
            f"zoo.list_models(pretrained=True)."
        )
    source = ", ".join(f"{key}={value}" for key, value in (entry or {}).get("source", {}).items())
    raise WeightsNotAvailableError(
        f"{model}.{tag} is listed in the manifest ({source}), but this version of zoo cannot fetch "
        f"weights from hubs yet. Use weights=None for random initialisation, or pass a local "
        f"Keras weights file as weights='path/model.weights.h5'."
    )
