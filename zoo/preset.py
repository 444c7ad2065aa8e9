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

import importlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from zoo import manifest as manifest_lib
from zoo import registry
from zoo.errors import PresetError

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
    """(config.json's ``task`` config, preprocessor.json or None)."""
    from zoo.tasks import TASKS

    config = json.loads(json.dumps(model.get_config()))  # tuples -> lists, as they will be read back
    build = config["build_config"]
    if model.spec.task == "image_classification":
        preprocessor = {"kind": "image", "preprocessing": config.pop("preprocessing"),
                        "image_shape": list(model.image_shape),
                        "input": "raw pixels 0-255, any size, grayscale or RGB; resized to image_shape"}
    elif model.spec.task == "translation":  # the text codecs' settings: tokens, vocabularies, SentencePiece models
        from zoo.tasks.translation import TEXT_KEYS

        preprocessor = {"kind": "text", **{key: build.pop(key) for key in TEXT_KEYS if key in build}}
    else:
        preprocessor = None
    config.pop("weights_tag", None)  # the preset's own tag replaces it when it is loaded
    document = {"class": TASKS[model.spec.task], "config": config}
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
    import keras

    from zoo import model_card
    from zoo.hub import integrity

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
        manifest_lib.validate_entry(spec.name, tag, entry)
        # No "default": naming this manifest in ZOO_MANIFEST adds a tag, it does not change what zoo.load(name) gives.
        _write_json(staging / MANIFEST_FILE, {"models": {spec.name: {"tags": {tag: entry}}}})
        (staging / CARD_FILE).write_text(model_card.render(model, tag, entry, document, repo_id), encoding="utf-8")
        replace_directory(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def _versions(keras) -> dict[str, str]:
    import tensorflow as tf

    import zoo

    return {"zoo": zoo.__version__, "keras": keras.__version__, "tensorflow": tf.__version__}


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


# --- reading ------------------------------------------------------------------------------------


def read_manifest(path: Path, where: str) -> tuple[str, str, dict[str, Any]]:
    """(model name, tag, entry) of a preset's manifest.json, checked against the schema."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        ((name, record),) = document["models"].items()
        tag = record.get("default") or next(iter(record["tags"]))
        entry = record["tags"][tag]
    except (OSError, ValueError, KeyError, TypeError, StopIteration) as error:
        raise PresetError(f"{where} is not a zoo preset: its {MANIFEST_FILE} is missing or does not describe "
                          f"exactly one model ({type(error).__name__}: {error}). Presets are written by "
                          "model.save_preset(dir).") from None
    registry.get_spec(name)  # an unknown architecture fails here, with suggestions
    manifest_lib.validate_entry(name, tag, entry)
    if entry["format"] != FORMAT:
        raise PresetError(f"{where}: its manifest entry has format {entry['format']!r}, expected {FORMAT!r}.")
    return name, tag, entry


def fetch_files(model: str, tag: str, entry: dict[str, Any]) -> dict[str, Path]:
    """Every file of a preset, verified. Local presets are checked in place and never modified;
    Hub files go through zoo's download path (cache, mirror, lock, hash, retry)."""
    from zoo import hub
    from zoo.hub import integrity
    from zoo.hub.errors import WeightsIntegrityError

    if "bundled" in entry["source"]:
        paths = {}
        for name, (_, part) in hub.parts(tag, entry).items():
            path = Path(part["source"]["bundled"])
            if not path.is_file():
                raise PresetError(f"preset {model}.{tag}: {path} is missing.")
            actual = integrity.file_hashes(path, ("sha256",))["sha256"]
            if part.get("sha256") and actual != part["sha256"]:
                raise WeightsIntegrityError(str(path), "sha256", part["sha256"], actual)
            paths[name] = path
        return paths
    return hub.fetch_all(model, tag, entry)


def build(paths: dict[str, Path], tag: str, entry: dict[str, Any]):
    """The task object described by a preset's files, with its weights loaded."""
    document = json.loads(paths[CONFIG_FILE].read_text(encoding="utf-8"))
    config = dict(document["config"], weights_tag=tag)
    preprocessor = (json.loads(paths[PREPROCESSOR_FILE].read_text(encoding="utf-8"))
                    if PREPROCESSOR_FILE in paths else None)
    if preprocessor and preprocessor.get("kind") == "image":
        config["preprocessing"] = preprocessor["preprocessing"]
    elif preprocessor and preprocessor.get("kind") == "text":
        config["build_config"] = dict(config["build_config"], **{k: v for k, v in preprocessor.items() if k != "kind"})
    module_name, _, class_name = document["class"].partition(":")
    if not module_name.startswith("zoo.tasks."):  # never import code a downloaded file names
        raise PresetError(f"{paths[CONFIG_FILE]}: class {document['class']!r} is not a zoo task.")
    task = getattr(importlib.import_module(module_name), class_name).from_config(config)
    from zoo.hub import MAIN_FILE

    weights_target(task).load_weights(str(paths[MAIN_FILE]))
    task.preset_entry = entry
    return task


def load(spec, tag: str, entry: dict[str, Any], overrides: dict[str, Any]):
    """``zoo.load`` of a ``zoo_preset`` weights entry (a local folder or an ``hf_repo`` source)."""
    given = sorted(key for key, value in overrides.items() if value is not None)
    if given:
        raise ValueError(f"{spec.name}.{tag} is a preset: its architecture is fixed by its config.json, so "
                         f"{', '.join(given)} cannot be changed when loading. Load it, then use "
                         "model.transfer(num_classes) for a new head.")
    from zoo.hub import trust_on_first_use

    with trust_on_first_use():  # unhashed Hub files are pinned only once the task is built from them
        return build(fetch_files(spec.name, tag, entry), tag, entry)


def load_dir(directory: str | Path, overrides: dict[str, Any]):
    """``zoo.load("path/to/preset")``."""
    directory = Path(directory)
    name, tag, entry = read_manifest(directory / MANIFEST_FILE, str(directory))
    if "bundled" not in entry["source"]:
        raise PresetError(f"{directory}/{MANIFEST_FILE}: a preset folder's weights source must be a relative "
                          f"'bundled' path; got {entry['source']}.")
    entry = dict(entry, source={"bundled": str((directory / entry["source"]["bundled"]).resolve())})
    return load(registry.get_spec(name), tag, entry, overrides)


def parse_hf_reference(reference: str) -> tuple[str, str | None]:
    """"hf://owner/name[@revision]" -> (repo id, revision or None)."""
    body = reference[len("hf://"):]
    repo_id, _, revision = body.partition("@")
    if repo_id.count("/") > 1 or not repo_id or repo_id.startswith("/") or repo_id.endswith("/"):
        raise ValueError(f"{reference!r}: expected hf://REPO_ID or hf://REPO_ID@REVISION, e.g. hf://you/resnet18-flowers")
    return repo_id, revision or None


def hub_tag(repo_id: str, revision: str | None = None) -> str:
    """The cache tag of a Hub preset: one per repository and revision, so branches do not evict each other."""
    name = repo_id.replace("/", "--") + (f"-at-{revision}" if revision else "")
    return "hf-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)


def load_hf(reference: str, overrides: dict[str, Any]):
    """``zoo.load("hf://owner/name[@revision]")``: its manifest.json names and hashes every other file."""
    from zoo.hub import sources

    repo_id, revision = parse_hf_reference(reference)
    source = {"hf_repo": repo_id, "hf_file": MANIFEST_FILE, **({"revision": revision} if revision else {})}
    try:
        path = sources.from_hf_hub("preset", hub_tag(repo_id, revision), {"source": source}, {})
    except sources.SourceUnavailable as error:
        from zoo.errors import WeightsNotAvailableError

        raise WeightsNotAvailableError(f"{reference}: cannot fetch its {MANIFEST_FILE}: {error}. Set HF_ENDPOINT "
                                       "to a reachable Hub (or mirror) and check the repository id.") from None
    name, _, entry = read_manifest(path, reference)
    entry = dict(entry, source=dict(source, hf_file=WEIGHTS_FILE))
    return load(registry.get_spec(name), hub_tag(repo_id, revision), entry, overrides)
