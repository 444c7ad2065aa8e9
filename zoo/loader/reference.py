"""What ``zoo.load`` was given, decided once: a small value naming the build path to take.

Stdlib only (plus the registry and manifest, which are too), so a name that names nothing,
a missing file or a tag without weights fails before TensorFlow is imported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from typing import Any

from zoo import manifest, registry
from zoo.errors import WeightsNotAvailableError
from zoo.manifest import CHECKPOINT_SLOT, WeightsEntry

PRESET_MANIFEST = "manifest.json"  # the file that makes a folder (or a Hub repository) a zoo preset
# A weights= value ending so names a file, not a tag: a missing one is "not found", not "unknown tag".
CHECKPOINT_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".safetensors", ".h5")
TORCH_FORMATS = ("torch_pth", "safetensors")
# Entries whose files describe the model themselves: a checkpoint cannot follow their layout.
WHOLE_MODEL_FORMATS = ("marian", "zoo_preset", "tf_saved_model")


@dataclasses.dataclass(frozen=True)
class Reference:
    """One thing ``zoo.load`` can build, and how (``build``: a key of ``zoo.loader.BUILD_PATHS``)."""

    build: str  # "saved_model" | "preset_folder" | "hub_preset" | "registry" | "marian" | "zoo_preset"
    given: str  # the caller's words, for messages
    spec: registry.ModelSpec | None = None
    entry: WeightsEntry | None = None  # the manifest tag the model follows (layout, preprocessing)
    load_entry_weights: bool = False  # put the entry's weights in (False: random, or weights_file)
    checkpoint: str = ""  # a local file or an http(s) URL given as weights=...: ``entry`` is derived for it
    key_map: Any = None  # the caller's tensor renaming for the checkpoint (a dict of prefixes or a callable)
    strict: bool = True
    location: str = ""  # a .keras file or a preset folder
    repo_id: str = ""  # hf://repo_id[@revision]
    revision: str | None = None


def parse_hf_reference(reference: str) -> tuple[str, str | None]:
    """"hf://owner/name[@revision]" -> (repo id, revision or None)."""
    body = reference[len("hf://"):]
    repo_id, _, revision = body.partition("@")
    if repo_id.count("/") > 1 or not repo_id or repo_id.startswith("/") or repo_id.endswith("/"):
        raise ValueError(f"{reference!r}: expected hf://REPO_ID or hf://REPO_ID@REVISION, e.g. hf://you/resnet18-flowers")
    return repo_id, revision or None


def hub_preset_tag(repo_id: str, revision: str | None = None) -> str:
    """The cache tag of a Hub preset: one per repository and revision, so branches do not evict each other."""
    name = repo_id.replace("/", "--") + (f"-at-{revision}" if revision else "")
    return "hf-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)


def _is_preset_folder(name: str) -> bool:
    # A bare word is a preset only when it holds one, so a folder named like a model does not hide the model.
    return os.path.isdir(name) and (os.sep in name or os.path.isfile(os.path.join(name, PRESET_MANIFEST)))


def _brings_own_weights(name: str, weights: str | None, custom: bool, kind: str = "a preset") -> None:
    if weights != "default" or custom:
        given = f"weights={weights!r}" if weights != "default" else "key_map/strict"
        raise ValueError(f"{name} is {kind} and brings its own weights; drop {given}. To load a checkpoint into "
                         f"an architecture, name the architecture: zoo.load('resnet50.tv_in1k', weights='ckpt.pth').")


def parse(name: str, weights: str | None = "default", *, key_map: Any = None, strict: bool = True) -> Reference:
    """The one place that decides what ``name`` (and ``weights``, ``key_map``, ``strict``) refer to."""
    custom = key_map is not None or strict is not True
    if name.endswith(".keras"):
        if weights is not None or custom:  # weights=None was always accepted here (the saved weights load anyway)
            _brings_own_weights(name, "default" if weights is None else weights, custom, "a saved .keras model")
        return Reference("saved_model", name, location=name)
    if name.startswith("hf://"):
        _brings_own_weights(name, weights, custom)
        repo_id, revision = parse_hf_reference(name)
        return Reference("hub_preset", name, repo_id=repo_id, revision=revision)
    if _is_preset_folder(name):
        _brings_own_weights(name, weights, custom)
        return Reference("preset_folder", name, location=name)
    spec, tag = registry.resolve_tag(name)
    checkpoint = _checkpoint(name, weights) if weights not in (None, "default") else None
    if checkpoint:
        return _checkpoint_reference(name, spec, tag, checkpoint, key_map, strict)
    if custom:
        raise ValueError(f"zoo.load({name!r}): key_map and strict apply to a checkpoint given as weights= (a file or "
                         f"an http(s) URL); a manifest tag's own key_map belongs in its entry.")
    if weights is None:
        # Random init: honour an explicit "name.tag" (its layout and preprocessing), otherwise the registry defaults.
        explicit = registry.split_name(name)[1] is not None
        entry = manifest.entry(spec.name, tag) if explicit and tag else None
        return Reference("registry", name, spec=spec, entry=entry)
    if weights != "default":
        spec, tag = registry.resolve_tag(spec.name, weights)  # a bare tag: zoo.load("resnet50", weights="tv_in1k")
    if tag is None:
        raise WeightsNotAvailableError(
            f"{spec.name} has no pretrained weights in the manifest. Build it with random weights "
            f"(zoo.load({spec.name!r}, weights=None) or zoo.create({spec.name!r})), pass a checkpoint "
            f"(weights='path/model.pth', .safetensors, .weights.h5 or a URL), register your own (ZOO_MANIFEST or "
            f"zoo.register_weights), "
            f"or pick a model that has weights: zoo.list_models(pretrained=True)."
        )
    entry = manifest.entry(spec.name, tag)
    if entry.format == "tf_saved_model":
        raise WeightsNotAvailableError(
            f"{spec.name}.{tag} is a TF SavedModel; it cannot be loaded into zoo's {spec.name} layers. "
            f"Use zoo.hub.tfhub.saved_model_layer({spec.name!r}, {tag!r}) to get it as a Keras layer."
        )
    # Entries whose files describe the model themselves have their own build path; the rest are layer weights.
    build = entry.format if entry.format in ("marian", "zoo_preset") else "registry"
    return Reference(build, name, spec=spec, entry=entry, load_entry_weights=True)


def _checkpoint(name: str, weights: str) -> str | None:
    """``weights`` as a checkpoint's path or URL; None when it names a tag. Refuses what is not a checkpoint."""
    call = f"zoo.load({name!r}, weights={weights!r})"
    scheme = weights.partition("://")[0].lower() if "://" in weights else ""
    if scheme in ("http", "https"):
        if not weights.split("://", 1)[1].split("/", 1)[0]:
            raise ValueError(f"{call}: the URL has no host.")
        return weights
    if scheme == "hf":
        raise ValueError(f"{call}: hf://... names a preset, a whole model; load it with zoo.load({weights!r}).")
    if scheme:
        raise ValueError(f"{call}: a weights URL must be http:// or https://; download the file and pass its path.")
    if weights.endswith(".keras"):
        raise ValueError(f"{call}: a .keras file is a whole saved model (architecture and weights), not a checkpoint; "
                         f"load it with zoo.load({weights!r}).")
    if os.path.isdir(weights):
        if os.path.isfile(os.path.join(weights, PRESET_MANIFEST)):
            raise ValueError(f"{call}: that folder is a zoo preset, a whole model; load it with zoo.load({weights!r}).")
        raise IsADirectoryError(f"{call}: {weights!r} is a folder; weights= takes a checkpoint file "
                                f"(.pth, .pt, .bin, .safetensors, .h5, .weights.h5) or an http(s) URL.")
    if os.path.isfile(weights):
        return weights
    if weights.endswith(CHECKPOINT_SUFFIXES) or os.sep in weights or "/" in weights:
        raise FileNotFoundError(f"weights file {weights!r} does not exist ({call}).")
    return None


def _format_from_url(url: str) -> str:
    """A guess until the download arrives (its bytes decide): the name's suffix, else PyTorch."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    if path.endswith(".safetensors"):
        return "safetensors"
    if path.endswith(".h5"):
        return "keras_weights_h5" if path.endswith(".weights.h5") else "keras_h5_legacy"
    return "torch_pth"


def _layout_entry(spec: registry.ModelSpec, tag: str | None, explicit: bool, fmt: str) -> WeightsEntry | None:
    """The manifest entry whose layout and preprocessing a checkpoint follows.

    An explicit ``name.tag``; else, for an upstream format (PyTorch, safetensors, Keras' legacy h5),
    the model's default tag when it has that kind of file, else its first tag that does. A Keras 3
    ``.weights.h5`` or zoo layer-weights file was written from a model zoo built: registry defaults.
    """
    if explicit:
        entry = manifest.entry(spec.name, tag)
        if entry.format in WHOLE_MODEL_FORMATS:
            raise ValueError(f"{spec.name}.{tag} is a {entry.format} entry whose files describe the model; a "
                             f"checkpoint cannot follow its layout. Name a tag with layer weights, or none.")
        return entry
    if fmt not in TORCH_FORMATS + ("keras_h5_legacy",):
        return None
    fits = TORCH_FORMATS if fmt in TORCH_FORMATS else (fmt,)
    tags = manifest.tags_for(spec.name)
    default = manifest.default_tag(spec.name)
    for candidate in ([default] if default else []) + [t for t in tags if t != default]:
        if tags[candidate].format in fits:
            return tags[candidate]
    return None


def _checkpoint_reference(name: str, spec: registry.ModelSpec, tag: str | None, checkpoint: str, key_map: Any,
                          strict: bool) -> Reference:
    """A registry build whose entry is derived from a tag's (layout, preprocessing, transform, classes) with
    the checkpoint as its source; a local file's format is read now, a URL's once it is downloaded."""
    url = checkpoint.startswith(("http://", "https://"))
    if url:
        fmt, source, slot = _format_from_url(checkpoint), {"url": checkpoint}, f"{CHECKPOINT_SLOT}-url-{_digest(checkpoint)}"
    else:
        from zoo.hub.convert.checkpoint import detect_format  # NumPy and h5py, no TensorFlow

        fmt, source, slot = detect_format(checkpoint), {"bundled": os.path.abspath(checkpoint)}, CHECKPOINT_SLOT
        if fmt == "keras_weights_h5" and key_map is not None:
            raise ValueError(f"zoo.load({name!r}): {checkpoint} is a Keras 3 .weights.h5 file, matched to the model "
                             f"by its structure, not by tensor names: key_map does not apply to it (drop key_map).")
    base = _layout_entry(spec, tag, registry.split_name(name)[1] is not None, fmt)
    fields = {"format": fmt, "sha256": "", "md5": None, "sha256_prefix": None, "files": None, "metrics": None,
              "license": None, "notes": f"checkpoint {checkpoint}" + (f", in the layout of {spec.name}.{base.tag}"
                                                                      if base else "")}
    # The tag's own key_map was for its upstream file; a dict of the caller's is recorded (a callable cannot be).
    fields["key_map"] = dict(key_map) if isinstance(key_map, dict) else None
    if base is not None:
        entry = base.with_source(source, slot, **fields)
    else:
        entry = WeightsEntry.parse(spec.name, slot, {"source": source,
                                                     **{k: v for k, v in fields.items() if v is not None}})
    return Reference("registry", name, spec=spec, entry=entry, checkpoint=checkpoint, key_map=key_map, strict=strict)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
