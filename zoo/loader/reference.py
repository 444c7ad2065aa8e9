"""What ``zoo.load`` was given, decided once: a small value naming the build path to take.

Stdlib only (plus the registry and manifest, which are too), so a name that names nothing,
a missing file or a tag without weights fails before TensorFlow is imported.
"""

from __future__ import annotations

import dataclasses
import os
import re

from zoo import manifest, registry
from zoo.errors import WeightsNotAvailableError
from zoo.manifest import WeightsEntry

PRESET_MANIFEST = "manifest.json"  # the file that makes a folder (or a Hub repository) a zoo preset


@dataclasses.dataclass(frozen=True)
class Reference:
    """One thing ``zoo.load`` can build, and how (``build``: a key of ``zoo.loader.BUILD_PATHS``)."""

    build: str  # "saved_model" | "preset_folder" | "hub_preset" | "registry" | "marian" | "zoo_preset"
    given: str  # the caller's words, for messages
    spec: registry.ModelSpec | None = None
    entry: WeightsEntry | None = None  # the manifest tag the model follows (layout, preprocessing)
    load_entry_weights: bool = False  # put the entry's weights in (False: random, or weights_file)
    weights_file: str | None = None  # a local .weights.h5 given as weights=...
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


def _brings_own_weights(name: str, weights: str | None) -> None:
    if weights != "default":
        raise ValueError(f"{name} is a preset and brings its own weights; drop weights={weights!r}.")


def parse(name: str, weights: str | None = "default") -> Reference:
    """The one place that decides what ``name`` (and ``weights``) refer to."""
    if name.endswith(".keras"):
        return Reference("saved_model", name, location=name)
    if name.startswith("hf://"):
        _brings_own_weights(name, weights)
        repo_id, revision = parse_hf_reference(name)
        return Reference("hub_preset", name, repo_id=repo_id, revision=revision)
    if _is_preset_folder(name):
        _brings_own_weights(name, weights)
        return Reference("preset_folder", name, location=name)
    spec, tag = registry.resolve_tag(name)
    if weights is None or weights != "default" and os.path.isfile(weights):
        # Random init or a local file: honour an explicit "name.tag" (its layout and
        # preprocessing), otherwise the registry defaults.
        explicit = registry.split_name(name)[1] is not None
        entry = manifest.entry(spec.name, tag) if explicit and tag else None
        return Reference("registry", name, spec=spec, entry=entry, weights_file=weights)
    if weights != "default":
        if weights.endswith(".h5") or os.sep in weights:
            raise FileNotFoundError(f"weights file {weights!r} does not exist (zoo.load({name!r}, weights=...)).")
        spec, tag = registry.resolve_tag(spec.name, weights)  # a bare tag: zoo.load("resnet50", weights="tv_in1k")
    if tag is None:
        raise WeightsNotAvailableError(
            f"{spec.name} has no pretrained weights in the manifest. Build it with random weights "
            f"(zoo.load({spec.name!r}, weights=None) or zoo.create({spec.name!r})), pass a weights file "
            f"(weights='path/model.weights.h5'), register your own (ZOO_MANIFEST or zoo.register_weights), "
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
