"""Build path for a MarianMT checkpoint (from the Hub or a mirror): a ``transformer`` translator.

A Marian weights entry names the weights file as its source (``hf_file``:
``pytorch_model.bin`` or ``model.safetensors``) and lists the companion files under
``files`` (name -> sha256, empty when unpublished: pinned on first verified download):
``config.json``, ``vocab.json``, ``source.spm``, ``target.spm``. Each file is fetched,
verified and cached by the hub like any weights file (companions under ``<tag>+<file>``);
the build config (layout, SentencePiece models, vocabulary) is derived from them
before the network is built, then the converted tensors are assigned.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from zoo.hub import MAIN_FILE, fetch_all, trust_on_first_use
from zoo.hub.convert import marian
from zoo.hub.convert.safetensors_state_dict import read_tensors as read_safetensors  # header checked first
from zoo.hub.convert.torch_pth import read_state_dict  # zoo's restricted unpickler: no code runs
from zoo.hub.layer_weights import assign_layer_weights
from zoo.loader.reference import Reference
from zoo.tasks.translation import Translator


def read_tensors(path: Path) -> dict:
    return read_safetensors(path) if path.suffix == ".safetensors" else read_state_dict(path)


def build_config(paths: dict[str, Path], config: dict[str, Any]) -> dict[str, Any]:
    """zoo's build config from the checkpoint's ``config`` (its parsed config.json) and other files."""
    vocabulary = json.loads(paths["vocab.json"].read_text())  # piece -> Marian id
    pieces = {index: piece for piece, index in vocabulary.items()}
    order = marian.vocabulary_order(config, unk_id=vocabulary.get("<unk>", 1))
    tokens = [pieces[int(index)] for index in order[4:]]
    encode = lambda name: base64.b64encode(paths[name].read_bytes()).decode("ascii")  # noqa: E731
    return {**marian.transformer_config(config), "tokens": "sentencepiece", "source_vocabulary": tokens,
            "target_vocabulary": tokens, "source_spm": encode("source.spm"), "target_spm": encode("target.spm"),
            "max_output_length": int(config.get("max_length") or 512) - 1}


def load_entry(reference: Reference, overrides: dict[str, Any]) -> Translator:
    entry = reference.entry
    with trust_on_first_use():  # unhashed files are pinned only once the translator is built from them
        paths = fetch_all(entry)
        marian_config = json.loads(paths["config.json"].read_text())
        config = {**build_config(paths, marian_config), **{k: v for k, v in overrides.items() if v is not None}}
        task = Translator(entry.model, config, weights_tag=entry.tag)
        assign_layer_weights(task.network,
                             marian.layer_weights(read_tensors(paths[MAIN_FILE]), marian_config, task.network))
    return task
