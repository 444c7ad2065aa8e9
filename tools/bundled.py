"""What the scripts that train bundled weights share: the float16 weights file and its manifest entry."""

from __future__ import annotations

import hashlib
import json
import pathlib
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "weights_manifest.json"
NOTES = "Stored as float16; restored to float32 when loaded. Metrics are measured on the float16 file."


def save_float16(model, name: str, tag: str, smoke: bool) -> pathlib.Path:
    """``zoo/weights/<name>_<tag>.h5`` (a smoke run writes to /tmp and leaves the repo alone)."""
    from zoo.hub.layer_weights import save_model_weights

    out = pathlib.Path(f"/tmp/zoo-{name}-{tag}.h5") if smoke else ROOT / "zoo" / "weights" / f"{name}_{tag}.h5"
    return save_model_weights(model, out, "float16")


def entry(path: pathlib.Path, *, config: dict[str, Any], license: str, training: dict[str, Any],
          **fields: Any) -> dict[str, Any]:
    return {"source": {"bundled": f"weights/{path.name}"}, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "format": "zoo_layer_weights", "config": config, **fields, "license": license, "training": training,
            "metrics": {}, "notes": NOTES}


def record(name: str, tag: str, weights_entry: dict[str, Any], *, default: bool = True) -> None:
    """Write ``name.tag`` into the shipped manifest (the model's other tags stay; ``default``: make it
    the model's default tag), and make this process read the new manifest."""
    from zoo import manifest

    document = json.loads(MANIFEST.read_text())
    record = document["models"].setdefault(name, {"default": tag, "tags": {}})
    if default:
        record["default"] = tag
    record["tags"][tag] = weights_entry
    MANIFEST.write_text(json.dumps(document, indent=2) + "\n")
    manifest.reload()
