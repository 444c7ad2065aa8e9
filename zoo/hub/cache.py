"""Where zoo keeps weights: ``$ZOO_CACHE`` (default ``~/.cache/zoo``).

    downloads/<model>/<tag>/<upstream file>   raw files, verified before use
    converted/<model>/<tag>/<hash>.h5          converted layer weights, keyed by the raw file's hash
    pins.json                                  sha256 of files whose upstream publishes none, pinned on first download
    locks/                                     one file lock per weights tag
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock

ENV_CACHE = "ZOO_CACHE"


def root() -> Path:
    return Path(os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "zoo").expanduser()


def downloads_dir(model: str, tag: str) -> Path:
    return root() / "downloads" / model / tag


def converted_path(model: str, tag: str, key: str) -> Path:
    return root() / "converted" / model / tag / f"{key}.h5"


def lock(model: str, tag: str) -> FileLock:
    """A lock held while one process fetches and converts a tag; others wait, then reuse."""
    path = root() / "locks" / f"{model}.{tag}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path))


def _pins_path() -> Path:
    return root() / "pins.json"


def read_pins() -> dict[str, dict[str, Any]]:
    try:
        return json.loads(_pins_path().read_text())
    except FileNotFoundError:
        return {}


def pin(model: str, tag: str, sha256: str, source: str) -> None:
    """Record the sha256 of a first verified download (atomically, under a lock)."""
    path = _pins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root() / "locks" / "pins.lock")):
        pins = read_pins()
        pins[f"{model}.{tag}"] = {"sha256": sha256, "source": source}
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".pins-")
        with os.fdopen(handle, "w") as out:
            json.dump(pins, out, indent=2, sort_keys=True)
        os.replace(temp, path)


def remove_stale_temporaries(directory: Path) -> None:
    """Partial downloads a killed process left behind (only call while holding the tag's lock)."""
    if directory.is_dir():
        for leftover in directory.iterdir():
            if leftover.name.startswith(("tmp", ".tmp-")):
                leftover.unlink(missing_ok=True) if leftover.is_file() else shutil.rmtree(leftover, True)


def entries() -> list[dict[str, Any]]:
    """What the cache holds: one row per cached file."""
    rows = []
    for kind in ("downloads", "converted"):
        base = root() / kind
        if not base.is_dir():
            continue
        for file in sorted(p for p in base.rglob("*") if p.is_file() and not p.name.startswith((".tmp-", "tmp"))):
            model, tag = file.relative_to(base).parts[:2]
            rows.append({"kind": kind, "model": model, "tag": tag, "file": str(file), "bytes": file.stat().st_size})
    return rows


def clear(model: str | None = None) -> int:
    """Delete cached files (of one model, or all); returns how many files were removed."""
    removed = 0
    for kind in ("downloads", "converted"):
        base = root() / kind
        targets = [base / model] if model else [base]
        for target in targets:
            if target.exists():
                removed += sum(1 for p in target.rglob("*") if p.is_file())
                shutil.rmtree(target)
    if not model:
        _pins_path().unlink(missing_ok=True)
    return removed
