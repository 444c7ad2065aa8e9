"""``zoo.load``: a registry name (and weights tag) -> a ready task object.

The one builder path for every family: merge the build configuration (registry
defaults < the weights entry's needs < the caller's arguments), build the task
object, then put weights in it.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any

import keras

from zoo import manifest, registry
from zoo.errors import WeightsNotAvailableError
from zoo.tasks import TASKS

log = logging.getLogger("zoo")

# Without weights there is no convention to follow: scale pixels to [0, 1].
DEFAULT_PREPROCESSING = "unit"


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
    strategy: Any = None,
    mixed_precision: str | None = None,
    **config: Any,
) -> keras.Model:
    if strategy is not None or mixed_precision is not None:
        from zoo import distribute

        chosen = distribute.strategy(strategy)
        policy = distribute.mixed_precision_policy(mixed_precision, chosen)
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(policy)  # layers take the policy when they are built
        try:
            with chosen.scope():
                return load(name, weights=weights, num_classes=num_classes, input_shape=input_shape, **config)
        finally:
            keras.config.set_dtype_policy(previous)
    if name.endswith(".keras"):
        return load_saved(name)
    # A preset: a folder (a bare word only when it holds a preset, so a folder named like a model
    # does not hide the model), or a Hub repository holding one.
    if name.startswith("hf://") or os.path.isdir(name) and (os.sep in name or os.path.isfile(os.path.join(name, "manifest.json"))):
        from zoo import preset

        if weights != "default":
            raise ValueError(f"{name} is a preset and brings its own weights; drop weights={weights!r}.")
        overrides = dict(config, num_classes=num_classes, input_shape=input_shape)
        return preset.load_hf(name, overrides) if name.startswith("hf://") else preset.load_dir(name, overrides)
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
    if use_tag and tag is None:
        raise WeightsNotAvailableError(
            f"{spec.name} has no pretrained weights in the manifest. Build it with random weights "
            f"(zoo.load({spec.name!r}, weights=None) or zoo.create({spec.name!r})), pass a weights file "
            f"(weights='path/model.weights.h5'), register your own (ZOO_MANIFEST or zoo.register_weights), "
            f"or pick a model that has weights: zoo.list_models(pretrained=True)."
        )
    if use_tag and entry["format"] == "tf_saved_model":
        raise WeightsNotAvailableError(
            f"{spec.name}.{tag} is a TF SavedModel; it cannot be loaded into zoo's {spec.name} layers. "
            f"Use zoo.hub.tfhub.saved_model_layer({spec.name!r}, {tag!r}) to get it as a Keras layer."
        )

    if use_tag and entry["format"] == "marian":  # its build config comes from the checkpoint's own files
        from zoo.hub import marian

        return marian.load(spec, tag, entry, dict(config))
    if use_tag and entry["format"] == "zoo_preset":  # a saved preset, named in a manifest (a folder or an hf_repo)
        from zoo import preset

        return preset.load(spec, tag, entry, dict(config, num_classes=num_classes, input_shape=input_shape))
    task = _task_class(spec.task)(
        spec.name,
        build_config,
        preprocessing=(entry or {}).get("preprocessing", DEFAULT_PREPROCESSING),
        weights_tag=tag if use_tag else None,
    )
    if weights_file:
        task.network.load_weights(weights_file)
    if use_tag:
        _load_pretrained(task, spec, tag, entry)
    return task


def load_saved(path: str) -> keras.Model:
    """A model saved with ``model.save("m.keras")``; zoo's task classes are registered first."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no saved model at {path!r}")
    for target in TASKS.values():
        importlib.import_module(target.partition(":")[0])  # registers the classes with Keras
    return keras.models.load_model(path)


def _load_pretrained(task: keras.Model, spec: registry.ModelSpec, tag: str, entry: dict[str, Any]) -> None:
    from zoo.hub import pretrained_layer_weights
    from zoo.hub.classes import class_names
    from zoo.hub.layer_weights import assign_layer_weights

    may_stay_fresh = spec.head_layers + spec.auxiliary_layers
    target = getattr(task, "network", task)  # classifiers: their network; generative tasks: themselves
    fresh = assign_layer_weights(target, pretrained_layer_weights(spec, tag, entry), may_stay_fresh)
    if fresh:
        log.warning("%s.%s: layers %s are freshly initialised (not in the weights, or another class count)",
                    spec.name, tag, ", ".join(fresh))
    if spec.head_layers and spec.head_layers[0] not in fresh and getattr(task, "class_names", None) is None:
        names = class_names(entry.get("classes"))
        if names is not None and len(names) == task.num_classes:
            task.class_names = names
