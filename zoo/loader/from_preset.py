"""Build paths for presets: a folder, an ``hf://`` repository, or a manifest entry naming one.

Every file is checked against the preset manifest's sha256 before it is read (local folders
in place, never modified; Hub files through the hub's verified download path); then the task
class its config.json names is rebuilt from that config and the weights are loaded.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from zoo import hub, preset
from zoo.errors import PresetError, WeightsNotAvailableError
from zoo.hub import sources
from zoo.loader.reference import Reference, hub_preset_tag
from zoo.manifest import MAIN_FILE, Source, WeightsEntry, WeightsFile


def _build(paths: dict[str, Path], entry: WeightsEntry):
    """The task object described by a preset's files, with its weights loaded."""
    document = json.loads(paths[preset.CONFIG_FILE].read_text(encoding="utf-8"))
    config = dict(document["config"], weights_tag=entry.tag)
    preprocessor = (json.loads(paths[preset.PREPROCESSOR_FILE].read_text(encoding="utf-8"))
                    if preset.PREPROCESSOR_FILE in paths else None)
    if preprocessor and preprocessor.get("kind") == "image":
        config["preprocessing"] = preprocessor["preprocessing"]
        if "transform" in preprocessor:  # a classifier's resize and crop (older presets have none)
            config["transform"] = preprocessor["transform"]
    elif preprocessor and preprocessor.get("kind") == "text":
        config["build_config"] = dict(config["build_config"], **{k: v for k, v in preprocessor.items() if k != "kind"})
    module_name, _, class_name = document["class"].partition(":")
    if not module_name.startswith("zoo.tasks."):  # never import code a downloaded file names
        raise PresetError(f"{paths[preset.CONFIG_FILE]}: class {document['class']!r} is not a zoo task.")
    task = getattr(importlib.import_module(module_name), class_name).from_config(config)
    preset.weights_target(task).load_weights(str(paths[MAIN_FILE]))
    task.preset_entry = entry.as_dict()
    return task


def _refuse_overrides(what: str, overrides: dict[str, Any]) -> None:
    given = sorted(key for key, value in overrides.items() if value is not None)
    if given:
        raise ValueError(f"{what} is a preset: its architecture is fixed by its config.json, so "
                         f"{', '.join(given)} cannot be changed when loading. Load it, then use "
                         "model.transfer(num_classes) for a new head.")


def _load(entry: WeightsEntry, overrides: dict[str, Any]):
    _refuse_overrides(f"{entry.model}.{entry.tag}", overrides)
    if entry.bundled:
        return _build(preset.check_local_files(entry), entry)
    with hub.trust_on_first_use():  # unhashed Hub files are pinned only once the task is built from them
        return _build(hub.fetch_all(entry), entry)


def load_entry(reference: Reference, overrides: dict[str, Any]):
    """``zoo.load("name.tag")`` of a ``zoo_preset`` weights entry (a local folder or an ``hf_repo`` source)."""
    return _load(reference.entry, overrides)


def load_folder(reference: Reference, overrides: dict[str, Any]):
    """``zoo.load("path/to/preset")``."""
    entry, paths = preset.verify_folder(reference.location)
    _refuse_overrides(f"{entry.model}.{entry.tag}", overrides)
    return _build(paths, entry)


def load_hub(reference: Reference, overrides: dict[str, Any]):
    """``zoo.load("hf://owner/name[@revision]")``: its manifest.json names and hashes every other file."""
    tag = hub_preset_tag(reference.repo_id, reference.revision)
    source = Source(kind="hf_repo", hf_repo=reference.repo_id, hf_file=preset.MANIFEST_FILE,
                    revision=reference.revision or "")
    try:  # its manifest.json has no hash to check yet: it is what carries the other files' hashes
        path = sources.from_hf_hub(WeightsFile("preset", tag, preset.MANIFEST_FILE, source), {})
    except sources.SourceUnavailable as error:
        raise WeightsNotAvailableError(f"{reference.given}: cannot fetch its {preset.MANIFEST_FILE}: {error}. Set "
                                       "HF_ENDPOINT to a reachable Hub (or mirror) and check the repository id.") from None
    entry = preset.read_manifest(path, reference.given)
    hub_source = dict(source.as_dict(), hf_file=preset.WEIGHTS_FILE)
    return _load(entry.with_source(hub_source, tag=tag), overrides)
