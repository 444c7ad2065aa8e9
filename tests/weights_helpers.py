"""Making upstream-format weights files and manifests for the weights tests (no network)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from zoo import manifest


@pytest.fixture
def zoo_env(tmp_path, monkeypatch):
    """A private cache, Hugging Face home and manifest list for one test."""
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "zoo-cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    for name in ("ZOO_MIRROR", "HF_HUB_OFFLINE", "ZOO_MANIFEST", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(manifest, "_registered", {})
    yield tmp_path
    # The parsed manifest is cached by registration count: forget what this test registered, or the
    # next test that registers as many times would read this test's entries.
    manifest.reload()


def use_manifest(monkeypatch, path: Path, models: dict[str, dict[str, Any]]) -> Path:
    """Write ``{"models": models}`` to ``path`` and make zoo read it (ZOO_MANIFEST)."""
    path.write_text(json.dumps({"models": models}))
    monkeypatch.setenv("ZOO_MANIFEST", str(path))
    return path


def entry(source: dict[str, Any], data: bytes | None, fmt: str, **fields: Any) -> dict[str, Any]:
    """A manifest entry; ``data`` given -> its real sha256 is recorded."""
    return {
        "source": source,
        "sha256": hashlib.sha256(data).hexdigest() if data is not None else "",
        "format": fmt,
        "license": "test",
        "notes": "made by the test; hash pinned on first verified download when empty",
        **fields,
    }


def state_dict_numpy(module) -> dict[str, np.ndarray]:
    return {name: tensor.detach().numpy().copy() for name, tensor in module.state_dict().items()}


def safetensors_bytes(module) -> bytes:
    from safetensors.numpy import save

    return save({name: np.ascontiguousarray(a) for name, a in state_dict_numpy(module).items()})


def pth_bytes(module, tmp_path: Path, legacy: bool = False) -> bytes:
    import torch

    path = tmp_path / f"weights-{'legacy' if legacy else 'zip'}.pth"
    torch.save(module.state_dict(), path, _use_new_zipfile_serialization=not legacy)
    return path.read_bytes()


def torch_probabilities(module, images_nhwc: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        logits = module(torch.from_numpy(images_nhwc.transpose(0, 3, 1, 2).copy()))
        if isinstance(logits, tuple):
            logits = logits[0]
        return torch.softmax(logits, dim=-1).numpy()


def reset_manifest_cache() -> None:
    manifest.reload()
