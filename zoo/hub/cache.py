"""Where zoo keeps weights: ``$ZOO_CACHE`` (default ``~/.cache/zoo``).

    downloads/<model>/<tag>/<upstream file>          raw files zoo downloaded, verified before every use
    converted/<model>/<tag>/<raw key>--<sha256>.h5   converted layer weights: keyed by the raw file's hash,
                                                     named by their own sha256, checked on every read
    pins.json                                        sha256 of files whose upstream publishes none, pinned
                                                     once a download has been parsed and converted
    locks/                                           one file lock per weights tag

Only what zoo downloaded into this folder is ever deleted by zoo. A multi-file entry
(a Marian or preset repository) keeps each companion file under the tag ``<tag>+<file>``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from filelock import FileLock, Timeout

from zoo.errors import WeightsNotAvailableError

ENV_CACHE = "ZOO_CACHE"
# How long a process waits for another one fetching the same tag before giving up (seconds).
LOCK_TIMEOUT_SECONDS = 3600.0


def root() -> Path:
    path = Path(os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "zoo").expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"{ENV_CACHE}={str(path)!r} is a file, not a folder; point {ENV_CACHE} at a folder "
                         f"zoo may write to (it is created when missing).")
    return path


def downloads_dir(model: str, tag: str) -> Path:
    return root() / "downloads" / model / tag


def converted_dir(model: str, tag: str) -> Path:
    return root() / "converted" / model / tag


def converted_path(model: str, tag: str, key: str, sha256: str) -> Path:
    return converted_dir(model, tag) / f"{key}--{sha256}.h5"


def converted_candidates(model: str, tag: str, key: str) -> list[Path]:
    """Converted files for the raw file ``key`` (normally one; their names carry their own sha256)."""
    directory = converted_dir(model, tag)
    return sorted(directory.glob(f"{key}--*.h5")) if directory.is_dir() else []


def sha256_in_name(path: Path) -> str:
    return path.stem.rpartition("--")[2]


def owns(path: Path) -> bool:
    """Whether zoo downloaded ``path`` itself (only such files may be deleted or replaced)."""
    try:
        Path(path).resolve().relative_to((root() / "downloads").resolve())
        return True
    except ValueError:
        return False


@contextlib.contextmanager
def lock(model: str, tag: str) -> Iterator[None]:
    """Held while one process fetches and converts a tag; others wait (at most
    ``LOCK_TIMEOUT_SECONDS``), then reuse its work. The OS releases it if the holder dies."""
    path = root() / "locks" / f"{model}.{tag}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    file_lock = FileLock(str(path), timeout=LOCK_TIMEOUT_SECONDS)
    try:
        file_lock.acquire()
    except Timeout:
        raise WeightsNotAvailableError(
            f"{model}.{tag}: another process has been fetching these weights for over {LOCK_TIMEOUT_SECONDS:g} s "
            f"(it holds {path}). Wait for it, or stop it; a lock whose process died is released by the system."
        ) from None
    try:
        yield
    finally:
        file_lock.release()


def _pins_path() -> Path:
    return root() / "pins.json"


def read_pins() -> dict[str, dict[str, Any]]:
    try:
        pins = json.loads(_pins_path().read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # an unreadable pins file pins nothing: files get downloaded and checked afresh
    return pins if isinstance(pins, dict) else {}


def _write_pins(change) -> None:
    path = _pins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    (root() / "locks").mkdir(parents=True, exist_ok=True)
    with FileLock(str(root() / "locks" / "pins.lock"), timeout=LOCK_TIMEOUT_SECONDS):
        pins = read_pins()
        change(pins)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".pins-")
        with os.fdopen(handle, "w") as out:
            json.dump(pins, out, indent=2, sort_keys=True)
        os.replace(temp, path)


def pin(model: str, tag: str, sha256: str, source: str) -> None:
    """Record the sha256 of a download that was parsed and converted (atomically, under a lock)."""
    _write_pins(lambda pins: pins.__setitem__(f"{model}.{tag}", {"sha256": sha256, "source": source}))


def unpin(model: str | None = None, tag: str | None = None) -> int:
    """Forget pins: all, a model's, or one tag's (with its companion files' ``<tag>+<file>``)."""
    removed = []

    def change(pins: dict) -> None:
        for key in list(pins):
            name, _, pinned_tag = key.partition(".")
            if model is None or name == model and (tag is None or pinned_tag.split("+")[0] == tag):
                removed.append(pins.pop(key))

    _write_pins(change)
    return len(removed)


def remove_stale_temporaries(directory: Path) -> None:
    """Partial downloads a killed process left behind (only call while holding the tag's lock)."""
    if directory.is_dir():
        for leftover in directory.iterdir():
            if leftover.name.startswith(("tmp", ".tmp-")):
                leftover.unlink(missing_ok=True) if leftover.is_file() else shutil.rmtree(leftover, True)


def _files(kind: str) -> list[tuple[str, str, Path]]:
    base = root() / kind
    if not base.is_dir():
        return []
    found = []
    for file in sorted(p for p in base.rglob("*") if p.is_file() and not p.name.startswith((".tmp-", "tmp"))):
        parts = file.relative_to(base).parts
        if len(parts) >= 3:
            found.append((parts[0], parts[1], file))
    return found


def entries() -> list[dict[str, Any]]:
    """What the cache holds: one row per cached file."""
    return [{"kind": kind, "model": model, "tag": tag, "file": str(file), "bytes": file.stat().st_size}
            for kind in ("downloads", "converted") for model, tag, file in _files(kind)]


def _tag_dirs(base: Path, model: str, tag: str | None) -> list[Path]:
    if tag is None:
        return [base / model]
    folder = base / model
    return [p for p in folder.iterdir() if p.name == tag or p.name.startswith(tag + "+")] if folder.is_dir() else []


def clear(name: str | None = None) -> int:
    """Delete cached files and pins: all, one model's (``"resnet18"``) or one tag's (``"resnet18.tv_in1k"``).

    Returns how many files were removed. A tag's pins go with its files, so a file a
    server once sent broken is fetched and judged afresh.
    """
    model, _, tag = name.partition(".") if name else (None, "", "")
    removed = 0
    for kind in ("downloads", "converted"):
        base = root() / kind
        targets = _tag_dirs(base, model, tag or None) if model else [base]
        for target in targets:
            if target.exists():
                removed += sum(1 for p in target.rglob("*") if p.is_file())
                shutil.rmtree(target)
    if model:
        unpin(model, tag or None)
    else:
        _pins_path().unlink(missing_ok=True)
    return removed
