"""``zoo cache verify``: re-hash everything in ``$ZOO_CACHE``; remove what fails.

A download is checked against its manifest entry's published hash, else its pin; a
converted file against the sha256 in its own name; an unpacked SavedModel against the
record written when it was unpacked. A file with nothing to check it against is removed
too: zoo would not use it, and a later load fetches it afresh.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from zoo import manifest
from zoo.hub import cache, integrity, tfhub
from zoo.hub.errors import WeightsIntegrityError
from zoo.manifest import ManifestError, WeightsFile


def _files_by_slot(model: str) -> dict[str, WeightsFile]:
    """``{slot: WeightsFile}`` of every file the manifest knows for ``model`` (slot: tag or "<tag>+<file>")."""
    try:
        tags = manifest.tags_for(model)
    except ManifestError:  # a broken ZOO_MANIFEST must not stop a cache check; pins still work
        tags = {}
    return {file.slot: file for entry in tags.values() for file in entry.every_file}


def _check_download(model: str, slot: str, path: Path, known: dict[str, WeightsFile]) -> str | None:
    """None when the file verifies, else why it does not."""
    file = known.get(slot)
    if file is not None:
        expected, prefix = integrity.expected_hashes(file), file.sha256_prefix
    else:  # a tag no manifest names now: its pin is all there is
        pinned = cache.read_pins().get(f"{model}.{slot}", {}).get("sha256")
        expected, prefix = ({"sha256": pinned} if pinned else {}), ""
    if not expected:
        return "no published or pinned hash to check it against"
    try:
        integrity.verify(path, expected, prefix)
    except WeightsIntegrityError as error:
        return f"{error.algorithm} is {error.actual}, expected {error.expected}"
    return None


def _check_converted(file: Path) -> str | None:
    recorded = cache.sha256_in_name(file)
    if "--" not in file.stem or len(recorded) != 64:
        return "written by an older zoo (no recorded sha256)"
    actual = hashlib.sha256(file.read_bytes()).hexdigest()
    return None if actual == recorded else f"sha256 is {actual}, recorded {recorded}"


def _check_unpacked(folder: Path) -> str | None:
    try:
        record = json.loads((folder / tfhub.RECORD).read_text())
        files = record["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return "no record of what was unpacked"
    return None if files == tfhub.tree_hashes(folder) else "files changed since they were unpacked"


def verify_cache() -> list[dict[str, Any]]:
    """Check every cached file; remove the ones that fail. One row per file (or unpacked folder)."""
    rows: list[dict[str, Any]] = []
    base = cache.root() / "downloads"
    known_by_model: dict[str, dict[str, WeightsFile]] = {}
    unpacked: set[Path] = set()
    for model, tag, file in cache._files("downloads"):
        relative = file.relative_to(base / model / tag).parts
        if len(relative) > 1:  # a folder unpacked from an archive (a TF Hub SavedModel)
            folder = base / model / tag / relative[0]
            if folder not in unpacked:
                unpacked.add(folder)
                problem = _check_unpacked(folder)
                if problem:
                    shutil.rmtree(folder, ignore_errors=True)
                rows.append({"kind": "unpacked", "model": model, "tag": tag, "file": str(folder), "ok": not problem,
                             "problem": problem})
            continue
        known = known_by_model.setdefault(model, _files_by_slot(model))
        problem = _check_download(model, tag, file, known)
        if problem:
            file.unlink(missing_ok=True)
        rows.append({"kind": "downloads", "model": model, "tag": tag, "file": str(file), "ok": not problem,
                     "problem": problem})
    for model, tag, file in cache._files("converted"):
        problem = _check_converted(file)
        if problem:
            file.unlink(missing_ok=True)
        rows.append({"kind": "converted", "model": model, "tag": tag, "file": str(file), "ok": not problem,
                     "problem": problem})
    return rows
