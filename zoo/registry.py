"""One record per architecture: what it is, how to build it, what weights it has.

Stdlib only: ``zoo list`` and ``zoo info`` must answer without importing
TensorFlow. Builders are named as ``"module:function"`` strings and imported only
when a model is actually built.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import importlib
from typing import Any, Callable

from zoo import manifest
from zoo.errors import UnknownModelError, UnknownWeightsTagError


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """An architecture as the registry knows it.

    ``config`` holds the builder's default arguments (what makes ``resnet50``
    differ from ``resnet101``); ``params`` is the parameter count of that default
    configuration, which the tests check against the built model.
    """

    name: str
    family: str
    task: str
    builder: str  # "package.module:function"
    config: dict[str, Any]
    input_shape: tuple[int, int, int]
    min_input_size: int
    params: int
    description: str
    paper: str = ""
    # Layers that form the class-specific head: replaced by ``transfer`` and
    # left fresh when weights are loaded for another number of classes.
    head_layers: tuple[str, ...] = ("predictions",)
    # Shell patterns of layers that pretrained weights may leave out (GoogLeNet's
    # auxiliary heads, untrained upstream); they keep their fresh initialisation.
    auxiliary_layers: tuple[str, ...] = ()

    def resolve_builder(self) -> Callable[..., Any]:
        module_name, _, function_name = self.builder.partition(":")
        return getattr(importlib.import_module(module_name), function_name)


_SPECS: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add an architecture to the registry; each name may be registered once."""
    if spec.name in _SPECS:
        raise ValueError(f"model {spec.name!r} is registered twice")
    if "." in spec.name:
        raise ValueError(f"model name {spec.name!r} may not contain '.', which separates the weights tag")
    _SPECS[spec.name] = spec
    return spec


def _ensure_catalog() -> None:
    # The catalog is plain data; importing it registers every architecture.
    import zoo.catalog  # noqa: F401


def _unknown(name: str) -> UnknownModelError:
    names = sorted(_SPECS)
    close = difflib.get_close_matches(name.lower(), names, n=5, cutoff=0.5)
    hint = f"Did you mean: {', '.join(close)}?" if close else f"Known models: {', '.join(names)}."
    return UnknownModelError(f"Unknown model {name!r}. {hint} (zoo.list_models() lists them all.)")


def split_name(name: str) -> tuple[str, str | None]:
    """``"resnet50.tv_in1k"`` -> ``("resnet50", "tv_in1k")``; ``"resnet50"`` -> ``("resnet50", None)``."""
    model, dot, tag = name.strip().partition(".")
    return model, (tag if dot else None)


def get_spec(name: str) -> ModelSpec:
    """The spec of a model name (a ``name.tag`` is accepted; the tag is ignored here)."""
    _ensure_catalog()
    model, _ = split_name(name)
    try:
        return _SPECS[model]
    except KeyError:
        raise _unknown(name) from None


def resolve_tag(name: str, tag: str | None = None) -> tuple[ModelSpec, str | None]:
    """The spec and the weights tag ``name`` asks for (the model's default when none).

    Returns ``None`` as the tag when the model has no weights in the manifest.
    """
    spec = get_spec(name)
    _, name_tag = split_name(name)
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
    _ensure_catalog()
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
    _ensure_catalog()
    return sorted({spec.family for spec in _SPECS.values()})


def info(name: str) -> dict[str, Any]:
    """Everything zoo knows about a model, as plain data (no TensorFlow import).

    >>> import zoo
    >>> zoo.info("resnet50")["params"]
    25636712
    """
    spec = get_spec(name)
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
        "weights": {tag: dict(entry) for tag, entry in tags.items()},
        "licenses": sorted({entry.get("license", "") for entry in tags.values()} - {""}),
    }
