"""``zoo.load``: one parse of what the caller named, one table of build paths.

``reference.parse`` decides what the argument is (a registry name and tag, a ``.keras``
file, a preset folder, an ``hf://`` preset, a checkpoint file); ``BUILD_PATHS`` names the
function that builds each kind. This package is the only place that chooses one: the hub
below it only fetches and verifies files, the task classes only describe themselves.

Build paths are ``"module:function"`` strings imported on use, like the registry's
builders: parsing a reference needs no TensorFlow, so a bad name fails at once.
"""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path
from typing import Any, Callable, Iterator

from zoo import hub
from zoo.hub import tfhub
from zoo.loader.reference import Reference, parse

__all__ = ["BUILD_PATHS", "Reference", "build", "download", "mirror", "parse"]

BUILD_PATHS = {
    "saved_model": "zoo.loader.saved_model:load_saved",  # model.save("m.keras")
    "preset_folder": "zoo.loader.from_preset:load_folder",  # model.save_preset(dir)
    "hub_preset": "zoo.loader.from_preset:load_hub",  # hf://owner/name[@revision]
    "zoo_preset": "zoo.loader.from_preset:load_entry",  # a manifest entry naming a preset
    "marian": "zoo.loader.from_marian:load_entry",  # a MarianMT checkpoint: its files give the build config
    "registry": "zoo.loader.from_registry:build",  # a registry builder, then layer weights (or random, or a file)
}


def build_path(reference: Reference) -> Callable[[Reference, dict[str, Any]], Any]:
    module_name, _, function_name = BUILD_PATHS[reference.build].partition(":")
    return getattr(importlib.import_module(module_name), function_name)


@contextlib.contextmanager
def _placement(strategy: Any, precision: Any) -> Iterator[None]:
    """Variables under ``strategy``'s scope, layers with ``precision``'s dtype policy (restored afterwards)."""
    if strategy is None and precision is None:
        yield
        return
    # lazy: keras and zoo.distribute import TensorFlow; only once something is built (parsing stays TF-free)
    import keras

    from zoo import distribute

    chosen = distribute.strategy(strategy)
    previous = keras.config.dtype_policy()
    if precision is not None:
        keras.config.set_dtype_policy(precision.keras_policy)  # layers take the policy when they are built
    try:
        with chosen.scope():
            yield
    finally:
        keras.config.set_dtype_policy(previous)


def build(reference: Reference, *, num_classes: int | None = None, input_shape: tuple[int, int, int] | None = None,
          strategy: Any = None, mixed_precision: str | None = None, **config: Any):
    """Build what ``reference`` names, by its build path (``zoo.load`` parses and checks first)."""
    overrides = dict(config, num_classes=num_classes, input_shape=input_shape)
    build_function = build_path(reference)
    precision = None
    if mixed_precision is not None:
        # lazy: zoo.precision reads TensorFlow's devices
        from zoo import distribute, precision as precisions

        precision = precisions.choose(mixed_precision, distribute.strategy(strategy))
    with _placement(strategy, precision):
        model = build_function(reference, overrides)
    if precision is not None:  # "onednn_bf16": its compiled steps run under oneDNN's bf16 rewrite
        model.compute_precision = precision.name
    return model


def download(entry) -> None:
    """Fetch, verify and cache a weights entry, and prove it loads: the tag is built once
    (so files with no published hash are pinned only if they work)."""
    if entry.format == "tf_saved_model":  # not loadable into zoo's layers: unpacking it is the proof
        tfhub.saved_model_dir(entry.model, entry.tag)
        return
    reference = parse(f"{entry.model}.{entry.tag}")
    if reference.build == "registry":  # converting proves it; no model needs building
        hub.pretrained_layer_weights(reference.spec, entry)
        return
    build_path(reference)(reference, {})


def mirror(entry, directory) -> list:
    """Copy every verified file of a weights entry into a ZOO_MIRROR layout under ``directory``
    (downloaded and proven to load first, so a mirror never spreads a broken first download)."""
    download(entry)
    return hub.mirror_files(entry, Path(directory))
