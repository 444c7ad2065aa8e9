"""Read ``weights_manifest.json``: every weights tag of every model, as data.

Stdlib only. The manifest ships inside the package (``zoo/weights_manifest.json``,
a link to the copy at the repository root in a checkout).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

MANIFEST_FILE = "weights_manifest.json"


@functools.lru_cache(maxsize=1)
def load_manifest() -> dict[str, Any]:
    """The shipped manifest as a dict: ``{"models": {name: {"default": tag, "tags": {...}}}}``."""
    text = resources.files("zoo").joinpath(MANIFEST_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data.get("models"), dict):
        raise ValueError(f"{MANIFEST_FILE} has no 'models' mapping")
    return data


def tags_for(model: str) -> dict[str, dict[str, Any]]:
    """``{tag: entry}`` for one model; empty when it has no weights."""
    record = load_manifest()["models"].get(model, {})
    return dict(record.get("tags", {}))


def default_tag(model: str) -> str | None:
    record = load_manifest()["models"].get(model, {})
    return record.get("default")


def entry(model: str, tag: str) -> dict[str, Any]:
    return tags_for(model)[tag]
