"""MarianMT checkpoints (Helsinki-NLP/opus-mt-*, Hugging Face layout) -> zoo's ``transformer``.

Three pieces, each checked against ``transformers``' ``MarianMTModel`` in
tests/test_marian.py:

- ``transformer_config(config_json)``: the build config that reproduces Marian's
  layout (post-norm, sinusoids in halves, shared and tied embeddings, a logits bias,
  its activation and embedding scale);
- ``vocabulary_order(config_json)``: Marian's token ids in zoo's order. zoo reserves
  ids 0-3 for padding, unknown, start and end; Marian has ``</s>`` and ``<unk>``
  first, ``<pad>`` last, and starts decoding from ``<pad>``. So zoo's padding and
  start rows are both Marian's pad row, and every table indexed by token (embeddings,
  logits bias) is reindexed once, here;
- ``layer_weights(tensors, config_json, network)``: the checkpoint's tensors as zoo
  layer weights for a network built from ``transformer_config``.

Fetching the repo's files and building the translator: ``zoo/hub/marian.py``; the
SentencePiece tokenisation: ``zoo/text_sentencepiece.py``. Only the Hugging Face layout
is read (``model.shared.weight``, ``model.encoder.layers.N...``), post-norm only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from zoo.hub.convert.file_checks import numeric_array
from zoo.hub.errors import WeightsMismatchError

# Marian/HF activation names -> Keras activation names (both "gelu"s are the exact erf form).
ACTIVATIONS = {"swish": "swish", "silu": "swish", "gelu": "gelu", "relu": "relu"}


def transformer_config(config: dict[str, Any]) -> dict[str, Any]:
    if config.get("model_type") != "marian":
        raise ValueError(f"not a MarianMT config (model_type {config.get('model_type')!r})")
    if config.get("normalize_before", False) or config.get("add_final_layer_norm", False):
        raise ValueError("pre-norm Marian variants are not supported yet")
    heads = config["encoder_attention_heads"]
    if config["decoder_attention_heads"] != heads or config["decoder_ffn_dim"] != config["encoder_ffn_dim"]:
        raise ValueError("zoo's transformer uses one head count and FFN width for encoder and decoder")
    activation = config.get("activation_function", "gelu")
    if activation not in ACTIVATIONS:
        raise ValueError(f"Marian activation {activation!r} has no Keras equivalent here ({sorted(ACTIVATIONS)})")
    return {
        "d_model": config["d_model"], "num_heads": heads, "ff_dim": config["encoder_ffn_dim"],
        "num_encoder_layers": config["encoder_layers"], "num_decoder_layers": config["decoder_layers"],
        "activation": ACTIVATIONS[activation], "positions": "sinusoidal", "sinusoid_layout": "halves",
        "max_length": config["max_position_embeddings"], "norm": "post",
        "scale_embedding": bool(config.get("scale_embedding", False)),
        "share_embeddings": bool(config.get("share_encoder_decoder_embeddings", True)),
        "tie_output": bool(config.get("tie_word_embeddings", True)), "output_bias": True,
        "layer_norm_epsilon": 1e-5, "dropout": 0.0,
    }


def vocabulary_order(config: dict[str, Any], unk_id: int = 1) -> np.ndarray:
    """``order[i]`` = the Marian id of zoo token i (zoo ids: pad, unk, start, end, then the rest)."""
    size, pad, eos = config["vocab_size"], config["pad_token_id"], config["eos_token_id"]
    if config.get("decoder_start_token_id", pad) != pad:
        raise ValueError("Marian checkpoints start decoding from <pad>; this one does not")
    special = (pad, unk_id, eos)
    return np.array([pad, unk_id, pad, eos] + [i for i in range(size) if i not in special])


class _Checkpoint:
    """The checkpoint's tensors by name: a missing one is a ``WeightsMismatchError`` naming it,
    a non-numeric one a ``WeightsFormatError``."""

    def __init__(self, tensors: dict[str, Any]):
        self._tensors = tensors

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._tensors:
            raise WeightsMismatchError(f"the Marian checkpoint has no tensor {name!r} (it was made for another "
                                       f"layout, or config.json does not describe it)")
        return numeric_array("the Marian checkpoint", name, self._tensors[name])

    def shaped(self, name: str, shape: tuple[int, ...], transpose: bool = False) -> np.ndarray:
        value = self[name]
        oriented = value.T if transpose else value
        if (value.size != math.prod(shape) or (transpose and value.ndim != 2)
                or (oriented.ndim == len(shape) and oriented.shape != shape)):
            raise WeightsMismatchError(f"the Marian checkpoint's tensor {name!r} has shape {value.shape}; "
                                       f"config.json's sizes need {math.prod(shape)} values as {shape}")
        return oriented.reshape(shape)


def _attention(tensors: _Checkpoint, prefix: str, d_model: int, heads: int) -> dict[str, np.ndarray]:
    """HF q/k/v/out projections (out x in) -> Keras MultiHeadAttention kernels (in, heads, head_dim)."""
    head_dim = d_model // heads
    out = {}
    for ours, theirs in (("query", "q_proj"), ("key", "k_proj"), ("value", "v_proj")):
        out[f"{ours}/kernel"] = tensors.shaped(f"{prefix}.{theirs}.weight", (d_model, heads, head_dim), transpose=True)
        out[f"{ours}/bias"] = tensors.shaped(f"{prefix}.{theirs}.bias", (heads, head_dim))
    out["attention_output/kernel"] = tensors.shaped(f"{prefix}.out_proj.weight", (heads, head_dim, d_model),
                                                    transpose=True)
    out["attention_output/bias"] = tensors[f"{prefix}.out_proj.bias"]
    return out


def _norm(tensors, name: str) -> dict[str, np.ndarray]:
    return {"gamma": tensors[f"{name}.weight"], "beta": tensors[f"{name}.bias"]}


def _ffn(tensors, prefix: str) -> dict[str, np.ndarray]:
    return {"ff_in/kernel": tensors[f"{prefix}.fc1.weight"].T, "ff_in/bias": tensors[f"{prefix}.fc1.bias"],
            "ff_out/kernel": tensors[f"{prefix}.fc2.weight"].T, "ff_out/bias": tensors[f"{prefix}.fc2.bias"]}


def _by_path(tensors: _Checkpoint, config: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every zoo variable path -> its array."""
    d, heads, order = config["d_model"], config["encoder_attention_heads"], vocabulary_order(config)
    prefixed = lambda name, parts: {f"{name}/{key}": value for key, value in parts.items()}  # noqa: E731
    size = config["vocab_size"]
    paths = {"source_embedding/tokens/embeddings": tensors.shaped("model.shared.weight", (size, d))[order],
             "logits/bias": tensors.shaped("final_logits_bias", (size,))[order]}
    for i in range(config["encoder_layers"]):
        theirs = f"model.encoder.layers.{i}"
        paths.update(prefixed(f"encoder_{i}/self_attention", _attention(tensors, f"{theirs}.self_attn", d, heads)))
        paths.update(prefixed(f"encoder_{i}/norm_0", _norm(tensors, f"{theirs}.self_attn_layer_norm")))
        paths.update(prefixed(f"encoder_{i}/norm_1", _norm(tensors, f"{theirs}.final_layer_norm")))
        paths.update(prefixed(f"encoder_{i}", _ffn(tensors, theirs)))
    for i in range(config["decoder_layers"]):
        theirs = f"model.decoder.layers.{i}"
        paths.update(prefixed(f"decoder_{i}/self_attention", _attention(tensors, f"{theirs}.self_attn", d, heads)))
        paths.update(prefixed(f"decoder_{i}/cross_attention", _attention(tensors, f"{theirs}.encoder_attn", d, heads)))
        paths.update(prefixed(f"decoder_{i}/norm_0", _norm(tensors, f"{theirs}.self_attn_layer_norm")))
        paths.update(prefixed(f"decoder_{i}/norm_1", _norm(tensors, f"{theirs}.encoder_attn_layer_norm")))
        paths.update(prefixed(f"decoder_{i}/norm_2", _norm(tensors, f"{theirs}.final_layer_norm")))
        paths.update(prefixed(f"decoder_{i}", _ffn(tensors, theirs)))
    return paths


def layer_weights(tensors: dict[str, np.ndarray], config: dict[str, Any], network) -> dict[str, list[np.ndarray]]:
    """The checkpoint as ``{layer name: arrays in the layer's weight order}`` for ``network``
    (a ``transformer`` built with ``transformer_config(config)`` and ``len(order)`` tokens)."""
    paths = _by_path(_Checkpoint(tensors), config)
    weights = {}
    for layer in network.layers:
        if layer.weights:
            missing = [v.path for v in layer.weights if v.path not in paths]
            if missing:
                raise WeightsMismatchError(f"the Marian checkpoint has nothing for {missing[:3]}")
            weights[layer.name] = [np.asarray(paths[v.path], "float32") for v in layer.weights]
    return weights
