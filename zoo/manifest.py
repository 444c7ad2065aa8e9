"""``weights_manifest.json``: every weights tag of every model, as data.

Stdlib only. The shipped manifest lives inside the package
(``zoo/weights_manifest.json``, a link to the repository-root copy in a
checkout). Extra manifests named by ``ZOO_MANIFEST`` (paths separated by
``os.pathsep``) are merged over it in order, then entries added at run time
with ``register_weights``. Relative ``bundled`` paths are resolved against the
manifest that declares them.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

MANIFEST_FILE = "weights_manifest.json"
ENV_EXTRA_MANIFESTS = "ZOO_MANIFEST"

SOURCE_KINDS = {
    "url": ({"url"}, set()),
    "hf_repo": ({"hf_repo", "hf_file"}, {"revision"}),
    "tfhub": ({"tfhub"}, set()),
    "bundled": ({"bundled"}, set()),
}
FORMATS = ("keras_h5_legacy", "keras_weights_h5", "safetensors", "torch_pth", "tf_saved_model", "zoo_layer_weights",
           "marian", "zoo_preset")
HASH_LENGTHS = {"sha256": 64, "md5": 32}

_registered: dict[str, dict[str, Any]] = {}


class ManifestError(ValueError):
    """A manifest entry that does not follow the schema (README: 'Weights manifest')."""


def source_kind(source: dict[str, Any]) -> str:
    for kind, (required, optional) in SOURCE_KINDS.items():
        if kind in source:
            keys = set(source)
            if not required <= keys or keys - required - optional:
                break
            return kind
    raise ManifestError(
        f"source must be exactly one of {{'url'}}, {{'hf_repo', 'hf_file'[, 'revision']}}, "
        f"{{'tfhub'}}, {{'bundled'}}; got keys {sorted(source)}"
    )


def validate_entry(model: str, tag: str, entry: dict[str, Any]) -> None:
    """Raise ``ManifestError`` naming ``model.tag`` and the field at fault."""
    where = f"weights entry {model}.{tag}"
    if not isinstance(entry.get("source"), dict):
        raise ManifestError(f"{where}: needs a 'source' mapping")
    try:
        source_kind(entry["source"])
    except ManifestError as error:
        raise ManifestError(f"{where}: {error}") from None
    if entry.get("format") not in FORMATS:
        raise ManifestError(f"{where}: format must be one of {', '.join(FORMATS)}; got {entry.get('format')!r}")
    for algorithm, length in HASH_LENGTHS.items():
        value = entry.get(algorithm) or ""
        if value and (len(value) != length or any(c not in "0123456789abcdef" for c in value.lower())):
            raise ManifestError(f"{where}: {algorithm} must be {length} hex digits; got {value!r}")
    if "." in tag or not tag:
        raise ManifestError(f"{where}: a tag may not be empty or contain '.'")
    if entry["format"] == "marian":  # the checkpoint's other files, each with its sha256 (or "")
        files = entry.get("files")
        needed = {"config.json", "vocab.json", "source.spm", "target.spm"}
        if not isinstance(files, dict) or set(files) != needed or "hf_repo" not in entry["source"]:
            raise ManifestError(f"{where}: a marian entry needs an hf_repo source and 'files' naming exactly "
                                f"{sorted(needed)} (sha256 or \"\" each)")
    if entry["format"] == "zoo_preset":  # a preset folder: weights plus config.json (and preprocessor.json)
        files = entry.get("files")
        if not isinstance(files, dict) or "config.json" not in files or "tfhub" in entry["source"] or "url" in entry["source"]:
            raise ManifestError(f"{where}: a zoo_preset entry needs a bundled or hf_repo source and 'files' naming "
                                "at least config.json (sha256 or \"\" each)")
    if entry["format"] in ("marian", "zoo_preset"):
        for name, value in entry["files"].items():
            if value and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value.lower())):
                raise ManifestError(f"{where}: files[{name!r}] must be 64 hex digits or empty; got {value!r}")


def _resolve_bundled(document: dict[str, Any], base: Path) -> None:
    for record in document.get("models", {}).values():
        for entry in record.get("tags", {}).values():
            bundled = entry.get("source", {}).get("bundled")
            if bundled and not Path(bundled).is_absolute():
                entry["source"]["bundled"] = str((base / bundled).resolve())


def _merge(into: dict[str, Any], document: dict[str, Any], origin: str) -> None:
    models = document.get("models")
    if not isinstance(models, dict):
        raise ManifestError(f"{origin}: no 'models' mapping")
    for model, record in models.items():
        target = into.setdefault(model, {"default": None, "tags": {}})
        for tag, entry in record.get("tags", {}).items():
            try:
                validate_entry(model, tag, entry)
            except ManifestError as error:
                raise ManifestError(f"{origin}: {error}") from None
            target["tags"][tag] = entry
        if record.get("default"):
            target["default"] = record["default"]


@functools.lru_cache(maxsize=8)
def _load(extra_paths: str) -> dict[str, Any]:
    package_dir = resources.files("zoo")
    shipped = json.loads(package_dir.joinpath(MANIFEST_FILE).read_text(encoding="utf-8"))
    _resolve_bundled(shipped, Path(str(package_dir)))
    models: dict[str, Any] = {}
    _merge(models, shipped, MANIFEST_FILE)
    for path in filter(None, extra_paths.split(os.pathsep)):
        file = Path(path).expanduser()
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ManifestError(f"{ENV_EXTRA_MANIFESTS} names {file}, which cannot be read: {error}") from None
        _resolve_bundled(document, file.resolve().parent)
        _merge(models, document, str(file))
    return {"models": models}


def load_manifest() -> dict[str, Any]:
    """The merged manifest: ``{"models": {name: {"default": tag, "tags": {tag: entry}}}}``."""
    merged = copy.deepcopy(_load(os.environ.get(ENV_EXTRA_MANIFESTS, "")))
    for model, record in _registered.items():
        _merge(merged["models"], {"models": {model: record}}, "register_weights")
    for model, record in merged["models"].items():
        if record["default"] is None and record["tags"]:
            record["default"] = next(iter(record["tags"]))
    return merged


def register_weights(model: str, tag: str, entry: dict[str, Any], *, default: bool = False) -> None:
    """Add (or replace) one weights entry at run time, same schema as the manifest."""
    entry = copy.deepcopy(entry)
    validate_entry(model, tag, entry)
    _resolve_bundled({"models": {model: {"tags": {tag: entry}}}}, Path.cwd())
    record = _registered.setdefault(model, {"tags": {}})
    record["tags"][tag] = entry
    if default:
        record["default"] = tag


def tags_for(model: str) -> dict[str, dict[str, Any]]:
    """``{tag: entry}`` for one model; empty when it has no weights."""
    return dict(load_manifest()["models"].get(model, {}).get("tags", {}))


def default_tag(model: str) -> str | None:
    return load_manifest()["models"].get(model, {}).get("default")


def entry(model: str, tag: str) -> dict[str, Any]:
    return tags_for(model)[tag]
