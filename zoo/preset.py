"""Presets: a self-describing folder that hands a model on, to a colleague or to the Hub.

``model.save_preset(dir)`` writes::

    config.json        the task's Keras config (zoo name, family, build config) and the versions that wrote it
    preprocessor.json  what turns raw input into network input (image preprocessing, or the text
                       vocabularies), for the families that have one
    model.weights.h5   the weights (``save_weights`` of the network, or of the task for generative models)
    manifest.json      one weights entry (``format: zoo_preset``) with every file's sha256 and a relative source,
                       so ``ZOO_MANIFEST=dir/manifest.json`` makes it a named tag as well
    README.md          the model card (``zoo.model_card``)

``zoo.load(dir)`` and ``zoo.load("hf://owner/name")`` load one back; a manifest entry
with ``format: zoo_preset`` and an ``hf_repo`` source does too. Every file is checked
against the manifest's sha256 before it is read; a local preset is never modified.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from zoo import model_card, registry
from zoo.errors import PresetError
from zoo.hub import integrity
from zoo.hub.errors import WeightsIntegrityError
from zoo.manifest import WeightsEntry
from zoo.version import __version__

FORMAT = "zoo_preset"
CONFIG_FILE = "config.json"
PREPROCESSOR_FILE = "preprocessor.json"
WEIGHTS_FILE = "model.weights.h5"
MANIFEST_FILE = "manifest.json"
CARD_FILE = "README.md"
PRESET_VERSION = 1


def default_tag(directory: str | Path) -> str:
    """A weights tag from a folder or repository name: lower case, no dots (tags may not contain '.')."""
    name = Path(str(directory).rstrip("/")).name.lower()
    return re.sub(r"[^a-z0-9_-]+", "-", name).strip("-") or "preset"


def weights_target(model):
    """What the weights file holds: a classifier's or translator's network, a generative task whole."""
    target = getattr(model, "network", model)
    if target is None:
        raise PresetError(f"{model.model_name} has no network yet (a word-level translator builds it in adapt() "
                          "or fit()); train or adapt it before saving a preset.")
    return target


def split_config(model) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(config.json's ``task`` config, preprocessor.json or None): the task takes its preprocessor's
    keys out of its config (``preprocessor_config``)."""
    config = json.loads(json.dumps(model.get_config()))  # tuples -> lists, as they will be read back
    preprocessor = model.preprocessor_config(config)
    config.pop("weights_tag", None)  # the preset's own tag replaces it when it is loaded
    document = {"class": model.class_path, "config": config}
    return document, preprocessor


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def save_preset(model, directory: str | Path, *, tag: str | None = None, metrics: dict[str, float] | None = None,
                metrics_command: str | None = None, license: str | None = None, overwrite: bool = False,
                repo_id: str | None = None) -> Path:
    """Write ``model`` as a preset folder (see the module docstring); returns the folder.

    ``repo_id`` (set by ``push_to_hub``) goes into the model card's loading example.

    The folder is written next to ``directory`` and moved into place when complete, so
    a failure leaves whatever was there before. An existing non-empty folder is only
    replaced with ``overwrite=True``.
    """
    # lazy: keras imports TensorFlow, and `zoo list` imports this module (zoo.cli -> zoo.push -> zoo.preset)
    import keras

    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())) and not overwrite:
        raise FileExistsError(f"{directory} exists and is not empty; pass overwrite=True to replace it, "
                              "or choose a new folder.")
    tag = tag or default_tag(directory)
    if "." in tag or not tag:
        raise ValueError(f"tag {tag!r} may not be empty or contain '.'")
    target = weights_target(model)
    document, preprocessor = split_config(model)
    spec = model.spec
    document = {"zoo_preset": PRESET_VERSION, "model": spec.name, "family": spec.family, "task": spec.task,
                **document, "versions": _versions(keras)}

    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.tmp-"))
    try:
        _write_json(staging / CONFIG_FILE, document)
        if preprocessor is not None:
            _write_json(staging / PREPROCESSOR_FILE, preprocessor)
        target.save_weights(str(staging / WEIGHTS_FILE))
        companions = [CONFIG_FILE] + ([PREPROCESSOR_FILE] if preprocessor is not None else [])
        entry = {
            "source": {"bundled": WEIGHTS_FILE},
            "sha256": integrity.file_hashes(staging / WEIGHTS_FILE, ("sha256",))["sha256"],
            "format": FORMAT,
            "files": {name: integrity.file_hashes(staging / name, ("sha256",))["sha256"] for name in companions},
            "config": document["config"]["build_config"],  # for `zoo info`; config.json is what loading reads
            **model_card.provenance(model, metrics=metrics, metrics_command=metrics_command, license=license),
        }
        WeightsEntry.parse(spec.name, tag, entry)  # the schema, checked before anything is moved into place
        # No "default": naming this manifest in ZOO_MANIFEST adds a tag, it does not change what zoo.load(name) gives.
        _write_json(staging / MANIFEST_FILE, {"models": {spec.name: {"tags": {tag: entry}}}})
        (staging / CARD_FILE).write_text(model_card.render(model, tag, entry, document, repo_id), encoding="utf-8")
        replace_directory(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def _versions(keras) -> dict[str, str]:
    import tensorflow as tf  # lazy: as keras in save_preset

    return {"zoo": __version__, "keras": keras.__version__, "tensorflow": tf.__version__}


def replace_directory(staging: Path, directory: Path) -> None:
    """Replace ``directory`` with ``staging``; the old folder is removed only once the new one is in place."""
    if not directory.exists():
        os.replace(staging, directory)
        return
    old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
    os.replace(directory, old)
    try:
        os.replace(staging, directory)
    except BaseException:
        os.replace(old, directory)
        raise
    shutil.rmtree(old, ignore_errors=True)


# --- reading (building a task from a preset is the loader's: zoo/loader/from_preset.py) -------------


def read_manifest(path: Path, where: str) -> WeightsEntry:
    """The one weights entry of a preset's manifest.json, checked against the schema."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        ((name, record),) = document["models"].items()
        tag = record.get("default") or next(iter(record["tags"]))
        data = record["tags"][tag]
    except (OSError, ValueError, KeyError, TypeError, StopIteration) as error:
        raise PresetError(f"{where} is not a zoo preset: its {MANIFEST_FILE} is missing or does not describe "
                          f"exactly one model ({type(error).__name__}: {error}). Presets are written by "
                          "model.save_preset(dir).") from None
    registry.get_spec(name)  # an unknown architecture fails here, with suggestions
    entry = WeightsEntry.parse(name, tag, data)
    if entry.format != FORMAT:
        raise PresetError(f"{where}: its manifest entry has format {entry.format!r}, expected {FORMAT!r}.")
    return entry


def check_local_files(entry: WeightsEntry) -> dict[str, Path]:
    """``{file name: path}`` of a local preset, each checked against its sha256 in place (never modified)."""
    paths = {}
    for file in entry.every_file:
        path = Path(file.source.bundled)
        if not path.is_file():
            raise PresetError(f"preset {entry.model}.{entry.tag}: {path} is missing.")
        actual = integrity.file_hashes(path, ("sha256",))["sha256"]
        if file.sha256 and actual != file.sha256:
            raise WeightsIntegrityError(str(path), "sha256", file.sha256, actual)
        paths[file.name] = path
    return paths


def verify_folder(directory: str | Path) -> tuple[WeightsEntry, dict[str, Path]]:
    """A preset folder's entry (sources resolved inside it) and its files, every one checked."""
    directory = Path(directory)
    entry = read_manifest(directory / MANIFEST_FILE, str(directory))
    if not entry.bundled:
        raise PresetError(f"{directory}/{MANIFEST_FILE}: a preset folder's weights source must be a relative "
                          f"'bundled' path; got {entry.source.as_dict()}.")
    entry = entry.with_bundled_folder(directory)
    return entry, check_local_files(entry)
