"""The manifest's schema: what a document and a weights entry must look like.

A malformed manifest fails with a ``ManifestError`` naming the file, the
``models.<model>.tags.<tag>`` path and the field, not later with an ``AttributeError``.
Stdlib only.
"""

from __future__ import annotations

from typing import Any

SOURCE_KINDS = {
    "url": ({"url"}, set()),
    "hf_repo": ({"hf_repo", "hf_file"}, {"revision"}),
    "tfhub": ({"tfhub"}, set()),
    "bundled": ({"bundled"}, set()),
}
FORMATS = ("keras_h5_legacy", "keras_weights_h5", "safetensors", "torch_pth", "tf_saved_model", "zoo_layer_weights",
           "marian", "zoo_preset")
HASH_LENGTHS = {"sha256": 64, "md5": 32}
PREPROCESSINGS = ("raw", "unit", "tf", "torch", "caffe")  # zoo/preprocessing.py (which imports Keras)
# An entry's evaluation transform (zoo/transforms.py applies it): its keys, their defaults, their allowed values.
TRANSFORM_DEFAULTS = {"interpolation": "bilinear", "antialias": True, "resize_mode": "shorter_side"}
INTERPOLATIONS = ("bilinear", "bicubic", "nearest")
RESIZE_MODES = ("shorter_side", "squash")
SCHEMA = '{"models": {"<model>": {"default": "<tag>", "tags": {"<tag>": {<entry>}}}}}'


class ManifestError(ValueError):
    """A manifest entry that does not follow the schema (README: 'Weights manifest')."""


def _kind(value: Any) -> str:
    """The JSON name of a value's type, as a manifest author sees it."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number",
             type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _is_hex(value: str, length: int) -> bool:
    return len(value) == length and all(c in "0123456789abcdef" for c in value.lower())


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


def validate_entry(model: str, tag: str, entry: dict[str, Any], where: str | None = None) -> None:
    """Raise ``ManifestError`` naming ``where`` (default: ``weights entry model.tag``) and the field at fault."""
    if not isinstance(model, str) or not model or "." in model:
        raise ManifestError(f"{where or 'weights entry'}: a model name must be a non-empty string without '.'; "
                            f"got {model!r}")
    if not isinstance(tag, str) or not tag or "." in tag:
        raise ManifestError(f"{where or f'weights entry of {model}'}: a tag must be a non-empty string without '.'; "
                            f"got {tag!r}")
    where = where or f"weights entry {model}.{tag}"
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: must be an object with 'source', 'format', 'sha256'...; got {_kind(entry)} "
                            f"{entry!r:.80}")
    if not isinstance(entry.get("source"), dict):
        raise ManifestError(f"{where}: needs a 'source' mapping such as {{\"url\": \"https://...\"}}; "
                            f"got {_kind(entry.get('source'))} {entry.get('source')!r:.80}")
    try:
        kind = source_kind(entry["source"])
    except ManifestError as error:
        raise ManifestError(f"{where}: {error}") from None
    if entry.get("format") not in FORMATS:
        raise ManifestError(f"{where}: format must be one of {', '.join(FORMATS)}; got {entry.get('format')!r}")
    for key, value in entry["source"].items():
        if not isinstance(value, str) or not value.strip():
            raise ManifestError(f"{where}: source.{key} must be a non-empty string; got {value!r}")
    if kind == "url" and not entry["source"]["url"].startswith(("https://", "http://")):
        raise ManifestError(f"{where}: source.url must be an http:// or https:// URL; got {entry['source']['url']!r} "
                            "(a local file is a 'bundled' source)")
    for algorithm, length in HASH_LENGTHS.items():
        value = entry.get(algorithm) or ""
        if not isinstance(value, str) or value and not _is_hex(value, length):
            raise ManifestError(f"{where}: {algorithm} must be {length} hex digits (or \"\" when none is "
                                f"published); got {value!r}")
    prefix = entry.get("sha256_prefix") or ""
    if not isinstance(prefix, str) or prefix and not _is_hex(prefix, len(prefix)):
        raise ManifestError(f"{where}: sha256_prefix must be hex digits; got {prefix!r}")
    _validate_optional_fields(where, entry)
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
    if isinstance(entry.get("files"), dict):
        for name, value in entry["files"].items():
            if not isinstance(value, str) or value and not _is_hex(value, 64):
                raise ManifestError(f"{where}: files[{name!r}] must be 64 hex digits or empty; got {value!r}")


def _validate_optional_fields(where: str, entry: dict[str, Any]) -> None:
    """The fields zoo reads later (build config, preprocessing, classes...) have the types it expects."""
    for key in ("config", "metrics", "training", "files"):
        if key in entry and not isinstance(entry[key], dict):
            raise ManifestError(f"{where}: {key} must be an object; got {_kind(entry[key])} {entry[key]!r:.80}")
    if "preprocessing" in entry and entry["preprocessing"] not in PREPROCESSINGS:
        raise ManifestError(f"{where}: preprocessing must be one of {', '.join(PREPROCESSINGS)}; "
                            f"got {entry['preprocessing']!r}")
    classes = entry.get("classes")
    if classes is not None and not isinstance(classes, str) and not (
            isinstance(classes, list) and all(isinstance(name, str) for name in classes)):
        raise ManifestError(f"{where}: classes must be a list of names or a known set such as \"imagenet1k\"; "
                            f"got {classes!r:.80}")
    if "transform" in entry:
        validate_transform(entry["transform"], where=f"{where}: transform")
    ignore = entry.get("ignore")
    if ignore is not None and not (isinstance(ignore, list) and all(isinstance(p, str) for p in ignore)):
        raise ManifestError(f"{where}: ignore must be a list of parameter-name patterns; got {ignore!r:.80}")
    if "key_map" in entry:
        problem = key_map_problem(entry["key_map"])
        if problem:
            raise ManifestError(f"{where}: key_map {problem[1]}")
    for key in ("license", "notes"):
        if key in entry and not isinstance(entry[key], str):
            raise ManifestError(f"{where}: {key} must be a string; got {_kind(entry[key])} {entry[key]!r:.80}")


def validate_transform(transform: Any, where: str = "transform") -> None:
    """Raise ``ManifestError`` naming ``where`` and the key at fault unless ``transform`` is
    ``{"resize": int, "crop": int <= resize[, "interpolation", "antialias", "resize_mode"]}``."""
    example = '{"resize": 256, "crop": 224, "interpolation": "bilinear", "antialias": true}'
    if not isinstance(transform, dict):
        raise ManifestError(f"{where} must be an object such as {example}; got {_kind(transform)} {transform!r:.80}")
    unknown = sorted(set(transform) - {"resize", "crop"} - set(TRANSFORM_DEFAULTS))
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {unknown}; allowed: resize, crop, "
                            f"{', '.join(TRANSFORM_DEFAULTS)}")
    for key in ("resize", "crop"):
        value = transform.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ManifestError(f"{where}.{key} must be a positive whole number of pixels; got {value!r}")
    if transform["crop"] > transform["resize"]:
        raise ManifestError(f"{where}.crop ({transform['crop']}) must be <= resize ({transform['resize']}): "
                            "the centre crop is taken from the resized image")
    for key, allowed in (("interpolation", INTERPOLATIONS), ("resize_mode", RESIZE_MODES)):
        if key in transform and transform[key] not in allowed:
            raise ManifestError(f"{where}.{key} must be one of {', '.join(allowed)}; got {transform[key]!r}")
    if not isinstance(transform.get("antialias", True), bool):
        raise ManifestError(f"{where}.antialias must be true or false; got {transform['antialias']!r}")


def key_map_problem(key_map: Any) -> tuple[str, str] | None:
    """``("type" | "value", what is wrong)`` unless ``key_map`` is ``{old prefix: new prefix or None}``
    (None drops those tensors); callers raise their own error (``ManifestError``, ``TypeError``...)."""
    example = "{'features.': ''}"
    if not isinstance(key_map, dict):
        return "type", (f"must be a mapping {{old prefix: new prefix}} such as {example}; "
                        f"got {_kind(key_map)} {key_map!r:.80}")
    if not key_map:
        return "value", f"is empty; it must rename at least one prefix, e.g. {example}"
    for old, new in key_map.items():
        if not isinstance(old, str):
            return "type", f"keys must be tensor-name prefixes (strings); got {old!r}"
        if new is not None and not isinstance(new, str):
            return "type", (f"maps {old!r} to {_kind(new)} {new!r:.40}; a value is the new prefix (a string), "
                            "or null/None to drop those tensors")
        if old == new:
            return "value", f"maps {old!r} to itself"
    return None


def validate_document(document: Any, origin: str) -> None:
    """Raise ``ManifestError`` naming ``origin`` and the path in it of the first thing wrong.

    The structure is checked here; a ``default`` naming a missing tag is checked when documents
    are merged (a later manifest may pick a tag of an earlier one).
    """
    if not isinstance(document, dict):
        raise ManifestError(f"{origin}: the top level must be a JSON object {SCHEMA}; got a JSON {_kind(document)}")
    if "models" not in document:
        raise ManifestError(f"{origin}: no 'models' key; a manifest is {SCHEMA}")
    models = document["models"]
    if not isinstance(models, dict):
        raise ManifestError(f"{origin}: 'models' must be an object {{model: record}}; got a JSON {_kind(models)}")
    for model, record in models.items():
        path = f"{origin}: models.{model}"
        if "." in model or not model:
            raise ManifestError(f"{path}: a model name may not be empty or contain '.' (it separates the tag)")
        if not isinstance(record, dict):
            raise ManifestError(f"{path} must be an object {{\"default\": tag, \"tags\": {{tag: entry}}}}; "
                                f"got a JSON {_kind(record)}")
        tags = record.get("tags", {})
        if not isinstance(tags, dict):
            raise ManifestError(f"{path}.tags must be an object {{tag: entry}}; got a JSON {_kind(tags)}")
        for tag, entry in tags.items():
            where = f"{origin}: weights entry {model}.{tag} (models.{model}.tags.{tag})"
            validate_entry(model, tag, entry, where=where)
        default = record.get("default")
        if default is not None and not isinstance(default, str):
            raise ManifestError(f"{path}.default must be a tag name (a string); got {default!r}")
