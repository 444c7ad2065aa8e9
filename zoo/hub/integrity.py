"""Hashes of weights files: what is expected, and checking it before any byte is used."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.hub import cache
from zoo.hub.errors import WeightsIntegrityError

if TYPE_CHECKING:
    from zoo.manifest import WeightsFile

CHUNK = 1 << 20


def file_hashes(path: Path, algorithms=("sha256", "md5")) -> dict[str, str]:
    digests = {name: hashlib.new(name) for name in algorithms}
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            for digest in digests.values():
                digest.update(chunk)
    return {name: digest.hexdigest() for name, digest in digests.items()}


def expected_hashes(file: WeightsFile) -> dict[str, str]:
    """Published hashes from the manifest, else a sha256 pinned by an earlier verified download
    (pins.json is read only for a file whose upstream publishes no sha256)."""
    expected = file.published
    if "sha256" not in expected:
        pinned = cache.read_pins().get(file.label, {}).get("sha256")
        if pinned:
            expected["sha256"] = pinned
    return expected


def cache_key(expected: dict[str, str]) -> str | None:
    """The converted-weights cache key: the strongest hash known for the raw file."""
    for name in ("sha256", "md5"):
        if name in expected:
            return f"{name}-{expected[name]}"
    return None


def verify(path: Path, expected: dict[str, str], sha256_prefix: str = "") -> str:
    """Check ``path`` against every expected hash; raise ``WeightsIntegrityError`` on a mismatch.

    Never deletes: whether a bad file may be removed is the caller's decision (only zoo's own
    downloads may). Returns the file's sha256 (for pinning when nothing was published).
    """
    actual = file_hashes(path)
    for name, value in expected.items():
        if actual[name] != value:
            raise WeightsIntegrityError(str(path), name, value, actual[name])
    if sha256_prefix and not actual["sha256"].startswith(sha256_prefix.lower()):
        raise WeightsIntegrityError(str(path), "sha256 prefix", sha256_prefix, actual["sha256"])
    return actual["sha256"]
