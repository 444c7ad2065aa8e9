"""``weights_manifest.json``: every weights tag of every model, as typed values.

Stdlib only. The shipped manifest lives inside the package
(``zoo/weights_manifest.json``, a link to the repository-root copy in a
checkout). Extra manifests named by ``ZOO_MANIFEST`` (paths separated by
``os.pathsep``) are merged over it in order, then entries added at run time
with ``register_weights``. Relative ``bundled`` paths are resolved against the
manifest that declares them.

Every document is checked whole and parsed into frozen ``WeightsEntry`` values once
per (``ZOO_MANIFEST`` value, registrations) pair; every later lookup reads that result.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import os
import types
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from zoo.manifest.entry import CHECKPOINT_SLOT, MAIN_FILE, Source, WeightsEntry, WeightsFile
from zoo.manifest.schema import (FORMATS, PREPROCESSINGS, ManifestError, source_kind, validate_document,
                                 validate_entry)

__all__ = ["CHECKPOINT_SLOT", "MAIN_FILE", "FORMATS", "PREPROCESSINGS", "ManifestError", "Source", "WeightsEntry", "WeightsFile",
           "default_tag", "entry", "load_manifest", "register_weights", "source_kind", "tags_for",
           "validate_document", "validate_entry"]

MANIFEST_FILE = "weights_manifest.json"
ENV_EXTRA_MANIFESTS = "ZOO_MANIFEST"


@dataclasses.dataclass(frozen=True)
class ModelWeights:
    """One model's tags (in manifest order) and the one ``zoo.load(name)`` uses."""

    default: str | None
    tags: Mapping[str, WeightsEntry]


# Entries added with register_weights, as validated JSON; the counter makes each change a new cache key.
_registered: dict[str, dict[str, Any]] = {}
_registrations = 0


def _resolve_bundled(document: dict[str, Any], base: Path) -> None:
    for record in document.get("models", {}).values():
        for data in record.get("tags", {}).values():
            bundled = data.get("source", {}).get("bundled")
            if bundled and not Path(bundled).is_absolute():
                data["source"]["bundled"] = str((base / bundled).resolve())


def _merge(into: dict[str, Any], document: dict[str, Any], origin: str) -> None:
    """Merge a validated document; its defaults must name tags known so far (its own or earlier ones)."""
    for model, record in document["models"].items():
        target = into.setdefault(model, {"default": None, "tags": {}})
        target["tags"].update(record.get("tags", {}))
        default = record.get("default")
        if default:
            if default not in target["tags"]:
                raise ManifestError(f"{origin}: models.{model}.default names tag {default!r}, which {model} does not "
                                    f"have; its tags: {', '.join(target['tags']) or 'none'}")
            target["default"] = default


def _read(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestError(f"{ENV_EXTRA_MANIFESTS} file {file} cannot be read as JSON: {error}") from None


@functools.lru_cache(maxsize=8)
def _documents(extra_paths: str) -> dict[str, Any]:
    """The shipped manifest merged with the ``ZOO_MANIFEST`` files, validated (JSON form)."""
    package_dir = resources.files("zoo")
    shipped = json.loads(package_dir.joinpath(MANIFEST_FILE).read_text(encoding="utf-8"))
    validate_document(shipped, MANIFEST_FILE)
    _resolve_bundled(shipped, Path(str(package_dir)))
    models: dict[str, Any] = {}
    _merge(models, shipped, MANIFEST_FILE)
    for path in filter(None, extra_paths.split(os.pathsep)):
        file = Path(path).expanduser()
        origin = f"{ENV_EXTRA_MANIFESTS} file {file}"
        document = _read(file)
        validate_document(document, origin)
        _resolve_bundled(document, file.resolve().parent)
        _merge(models, document, origin)
    return models


@functools.lru_cache(maxsize=8)
def _parsed(extra_paths: str, registrations: int) -> Mapping[str, ModelWeights]:
    merged = copy.deepcopy(_documents(extra_paths))
    _merge(merged, {"models": copy.deepcopy(_registered)}, "register_weights")  # validated when registered
    return types.MappingProxyType({
        model: ModelWeights(
            default=record["default"] or next(iter(record["tags"]), None),
            tags=types.MappingProxyType({tag: WeightsEntry.parse(model, tag, data)
                                         for tag, data in record["tags"].items()}),
        )
        for model, record in merged.items()
    })


def models() -> Mapping[str, ModelWeights]:
    """Every model with weights: ``{name: ModelWeights}`` (read-only, shared: parse once, read often)."""
    return _parsed(os.environ.get(ENV_EXTRA_MANIFESTS, ""), _registrations)


def reload() -> None:
    """Forget the parsed manifests: the next read sees files edited in place (the cache is keyed by
    ``ZOO_MANIFEST``'s value, not by the files' contents)."""
    _documents.cache_clear()
    _parsed.cache_clear()


def load_manifest() -> dict[str, Any]:
    """The merged manifest as JSON: ``{"models": {name: {"default": tag, "tags": {tag: entry}}}}`` (a fresh copy)."""
    return {"models": {model: {"default": record.default,
                               "tags": {tag: weights.as_dict() for tag, weights in record.tags.items()}}
                       for model, record in models().items()}}


def register_weights(model: str, tag: str, entry: dict[str, Any], *, default: bool = False) -> None:
    """Add (or replace) one weights entry at run time, same schema as the manifest."""
    global _registrations
    if not isinstance(default, bool):
        raise ManifestError(f"register_weights: default must be True or False; got {default!r}")
    validate_entry(model, tag, entry, where=f"register_weights({model!r}, {tag!r}, entry)")
    entry = copy.deepcopy(entry)
    _resolve_bundled({"models": {model: {"tags": {tag: entry}}}}, Path.cwd())
    record = _registered.setdefault(model, {"tags": {}})
    record["tags"][tag] = entry
    if default:
        record["default"] = tag
    _registrations += 1


def tags_for(model: str) -> Mapping[str, WeightsEntry]:
    """``{tag: WeightsEntry}`` for one model; empty when it has no weights."""
    record = models().get(model)
    return record.tags if record else types.MappingProxyType({})


def default_tag(model: str) -> str | None:
    record = models().get(model)
    return record.default if record else None


def entry(model: str, tag: str) -> WeightsEntry:
    return tags_for(model)[tag]
