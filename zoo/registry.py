"""The registry: every model name, its record and its weights tags, resolved without TensorFlow.

The records come from ``zoo.catalog`` (one module per family under ``zoo/families/``);
the weights tags from ``zoo.manifest``. Stdlib only: ``zoo list`` and ``zoo info``
answer from here.
"""

from __future__ import annotations

import difflib
import fnmatch
import numbers
import os
from typing import Any

from zoo import catalog, manifest
from zoo.checks import whole_number
from zoo.errors import UnknownModelError, UnknownWeightsTagError
from zoo.families import ModelSpec  # also zoo.registry.ModelSpec, as the rest of zoo names it
from zoo.manifest.schema import key_map_problem

_SPECS: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add an architecture to the registry; each name may be registered once."""
    if spec.name in _SPECS:
        raise ValueError(f"model {spec.name!r} is registered twice")
    if "." in spec.name:
        raise ValueError(f"model name {spec.name!r} may not contain '.', which separates the weights tag")
    _SPECS[spec.name] = spec
    return spec


for _spec in catalog.MODELS:  # every family's models; zoo.register_weights adds weights, not models
    register(_spec)


def _unknown(name: str) -> UnknownModelError:
    names = sorted(_SPECS)
    close = difflib.get_close_matches(name.lower(), names, n=5, cutoff=0.5)
    hint = f"Did you mean: {', '.join(close)}?" if close else f"Known models: {', '.join(names)}."
    return UnknownModelError(f"Unknown model {name!r}. {hint} (zoo.list_models() lists them all.)")


# What ``zoo.load`` accepts as its first argument, for error messages.
LOADABLE = ("a model name ('resnet50'), 'name.tag' ('resnet18.mnist'), the path of a .keras file, "
            "a preset folder, or 'hf://owner/name'")


# What check_name asks for unless its caller accepts more.
MODEL_NAME = "a string such as 'resnet50' (zoo.list_models() lists them)"


def check_name(name: Any, what: str = "model name", *, expected: str = MODEL_NAME) -> str:
    """``name`` as a non-empty string; ``TypeError``/``ValueError`` naming what was given otherwise.

    ``expected`` says what the caller accepts (``zoo.load`` also takes paths and presets).
    """
    if not isinstance(name, str):
        raise TypeError(f"{what} must be {expected}; got {name!r} ({type(name).__name__}).")
    if not name.strip():
        raise ValueError(f"{what} is empty; it must be {expected}.")
    return name


def check_load_arguments(name: Any, weights: Any, num_classes: Any, input_shape: Any):
    """The arguments every builder shares, checked for type and range before anything is resolved.

    Returns them normalised: paths as strings, NumPy integers as ``int``, ``input_shape`` as a
    tuple. Whether a shape suits an architecture (rank, smallest size) is the builder's check;
    whether an argument suits the model's task is ``check_task_arguments``', once the name is parsed.
    """
    name = check_name(os.fspath(name) if isinstance(name, os.PathLike) else name, "zoo.load: name",
                      expected=LOADABLE)
    if isinstance(weights, os.PathLike):
        weights = os.fspath(weights)
    if weights is not None and not isinstance(weights, str):
        raise TypeError(f"zoo.load({name!r}): weights must be 'default', None (random), a weights tag, or a "
                        f"checkpoint: the path of a .pth/.pt/.bin, .safetensors, .h5 or .weights.h5 file, or an "
                        f"http(s) URL; got {weights!r} ({type(weights).__name__}).")
    if weights is not None and not weights.strip():
        raise ValueError(f"zoo.load({name!r}): weights is empty; use 'default', None (random), a weights tag or a "
                         f"checkpoint (a .pth, .safetensors or .weights.h5 path, or a URL).")
    if num_classes is not None:
        num_classes = whole_number(num_classes, "num_classes", where=f"zoo.load({name!r})",
                                   wanted="a positive integer (or None for the weights' own)")
    if input_shape is not None:
        input_shape = _check_input_shape(name, input_shape)
    return name, weights, num_classes, input_shape


def check_checkpoint_arguments(name: str, key_map: Any, strict: Any) -> None:
    """``key_map``: None, a callable ``name -> new name or None``, or ``{old prefix: new prefix or None}``;
    ``strict``: True or False. ``TypeError``/``ValueError`` naming what was given otherwise."""
    if not isinstance(strict, bool):
        raise TypeError(f"zoo.load({name!r}): strict must be True (the first tensor that does not fit is an error) "
                        f"or False (load what fits, report the rest); got {strict!r} ({type(strict).__name__}).")
    if key_map is None or callable(key_map):
        return
    problem = key_map_problem(key_map)
    if problem:
        kind, text = problem
        wanted = " (or a callable name -> new name or None)" if kind == "type" else ""
        raise (TypeError if kind == "type" else ValueError)(f"zoo.load({name!r}): key_map {text}{wanted}.")


def _check_input_shape(name: str, input_shape: Any) -> tuple[int | None, ...]:
    wanted = "(height, width, channels) of positive integers (None for a variable size)"
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__iter__"):
        raise TypeError(f"zoo.load({name!r}): input_shape must be {wanted}; got {input_shape!r}.")
    shape = tuple(input_shape)
    for size in shape:
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise TypeError(f"zoo.load({name!r}): input_shape must be {wanted}; got {input_shape!r}.")
        if size < 1:
            raise ValueError(f"zoo.load({name!r}): input_shape must be {wanted}; got {input_shape!r}.")
    return tuple(None if size is None else int(size) for size in shape)


def check_task_arguments(spec: ModelSpec, given: str, num_classes: int | None, input_shape: Any) -> None:
    """Arguments the model's architecture would ignore or misread are refused (``given``: the caller's name)."""
    if input_shape is not None and spec.task not in ("image_classification", "domain_adaptation"):
        instead = (f"give image_shape instead (default {tuple(spec.config['image_shape'])})"
                   if "image_shape" in spec.config else "it reads text of any length")
        raise ValueError(f"zoo.load({given!r}): input_shape is for image classifiers, not {spec.name} "
                         f"({spec.task.replace('_', ' ')}): {instead}.")
    if num_classes is not None and spec.task == "translation":
        raise ValueError(f"zoo.load({given!r}): num_classes is for classifiers and class-conditional models; "
                         f"{spec.name} is a translation model (its vocabularies come from adapt or its weights).")


def split_name(name: str) -> tuple[str, str | None]:
    """``"resnet50.tv_in1k"`` -> ``("resnet50", "tv_in1k")``; ``"resnet50"`` -> ``("resnet50", None)``."""
    model, dot, tag = name.strip().partition(".")
    return model, (tag if dot else None)


def get_spec(name: str) -> ModelSpec:
    """The spec of a model name (a ``name.tag`` is accepted; the tag is ignored here)."""
    model, _ = split_name(check_name(name))
    try:
        return _SPECS[model]
    except KeyError:
        raise _unknown(name) from None


def resolve_tag(name: str, tag: str | None = None) -> tuple[ModelSpec, str | None]:
    """The spec and the weights tag ``name`` asks for (the model's default when none).

    Returns ``None`` as the tag when the model has no weights in the manifest.
    """
    model, name_tag = split_name(check_name(name))
    try:
        spec = _SPECS[model]
    except KeyError:
        raise _unknown(name) from None
    if tag is not None and not isinstance(tag, str):
        raise TypeError(f"a weights tag must be a string such as 'tv_in1k'; got {tag!r} ({type(tag).__name__}).")
    tag = tag or name_tag
    tags = manifest.tags_for(spec.name)
    if tag is None:
        return spec, manifest.default_tag(spec.name)
    if tag not in tags:
        known = ", ".join(f"{spec.name}.{t}" for t in tags) or "none"
        close = difflib.get_close_matches(tag, list(tags), n=3, cutoff=0.4)
        hint = f" Did you mean: {', '.join(f'{spec.name}.{c}' for c in close)}?" if close else ""
        raise UnknownWeightsTagError(
            f"{spec.name!r} has no weights tag {tag!r}.{hint} Known tags: {known}."
        )
    return spec, tag


def list_models(
    pattern: str | None = None,
    *,
    family: str | None = None,
    pretrained: bool | None = None,
) -> list[str]:
    """Registered model names, sorted.

    ``pattern`` is a shell-style wildcard (``"resnet*"``); ``family`` keeps one
    family; ``pretrained=True`` keeps models with at least one weights tag in
    the manifest (``False``: those without).

    >>> import zoo
    >>> zoo.list_models("resnet*")
    ['resnet101', 'resnet152', 'resnet18', 'resnet34', 'resnet50']
    """
    if pattern is not None and not isinstance(pattern, str):
        raise TypeError(f"pattern must be a shell-style wildcard string such as 'resnet*'; got {pattern!r}.")
    if family is not None and family not in families():
        raise ValueError(f"unknown family {family!r}; families: {', '.join(families())}.")
    if pretrained is not None and not isinstance(pretrained, bool):
        raise TypeError(f"pretrained must be True, False or None; got {pretrained!r}.")
    names = []
    for name, spec in _SPECS.items():
        if pattern and not fnmatch.fnmatchcase(name, pattern.lower()):
            continue
        if family and spec.family != family:
            continue
        if pretrained is not None and bool(manifest.tags_for(name)) != pretrained:
            continue
        names.append(name)
    return sorted(names)


def families() -> list[str]:
    return sorted({spec.family for spec in _SPECS.values()})


def info(name: str) -> dict[str, Any]:
    """Everything zoo knows about a model, as plain data (no TensorFlow import).

    A ``name.tag`` must name a tag the model has (``UnknownWeightsTagError`` lists them).

    >>> import zoo
    >>> zoo.info("resnet50")["params"]
    25636712
    """
    spec, _ = resolve_tag(name)
    tags = manifest.tags_for(spec.name)
    return {
        "name": spec.name,
        "family": spec.family,
        "task": spec.task,
        "description": spec.description,
        "paper": spec.paper,
        "params": spec.params,
        "input_shape": list(spec.input_shape),
        "min_input_size": spec.min_input_size,
        "config": dict(spec.config),
        "default_weights": manifest.default_tag(spec.name),
        "weights": {tag: entry.as_dict() for tag, entry in tags.items()},
        "licenses": sorted({entry.license for entry in tags.values()} - {""}),
    }
