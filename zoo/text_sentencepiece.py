"""A SentencePiece text codec (MarianMT's tokenisation), with the same interface as ``zoo.text.TextCodec``.

Text -> pieces with the SentencePiece model -> ids through zoo's vocabulary
(ids 0-3 reserved as in ``zoo.text``); ids -> pieces -> text with the same model.
The model file travels in the build config as base64, so ``.keras`` files and
weights entries carry it. Needs the ``sentencepiece`` package.
"""

from __future__ import annotations

import base64
from typing import Any, Sequence

import numpy as np

from zoo.text import END_ID, SPECIALS, START_ID, TextCodec


class SentencePieceCodec(TextCodec):
    """Overrides how text is split, joined and encoded; ids, token strings and decoding are ``TextCodec``'s."""

    level = "sentencepiece"
    lowercase = False

    def __init__(self, vocabulary: Sequence[str], model: str):
        try:
            # lazy: sentencepiece only once a SentencePiece codec is made (converted MarianMT checkpoints)
            import sentencepiece
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError("SentencePiece models need the sentencepiece package: pip install sentencepiece") from error
        self.model = model
        self.processor = sentencepiece.SentencePieceProcessor(model_proto=base64.b64decode(model))
        # Row i of the converted embeddings is token i: keep the vocabulary exactly as given.
        self.tokens = list(SPECIALS) + list(vocabulary)
        self._ids = {}
        for index, token in enumerate(self.tokens):
            self._ids.setdefault(token, index)

    def get_config(self) -> dict[str, Any]:
        return {"vocabulary": self.tokens[len(SPECIALS):], "level": self.level, "model": self.model}

    def split(self, text: str) -> list[str]:
        return self.processor.encode(text, out_type=str)

    def join(self, pieces: list[str]) -> str:
        # Pieces this model does not know (a shared vocabulary holds both languages') keep their
        # word-boundary marks; turn them into spaces, as transformers' MarianTokenizer does.
        return self.processor.decode_pieces(pieces).replace("\u2581", " ").strip()

    def encode(self, texts, *, start: bool = False, end: bool = False, length: int | None = None):
        """Strings -> int32 ids (batch, tokens), padded with 0; runs in Python (wrapped for tf.data)."""
        import tensorflow as tf  # lazy: as in zoo.text, the Python side needs no TensorFlow

        def python_ids(batch) -> np.ndarray:
            rows = [([START_ID] if start else []) + self.ids(t.decode() if isinstance(t, bytes) else t)
                    + ([END_ID] if end else []) for t in batch]
            width = length or max((len(r) for r in rows), default=0)
            out = np.zeros((len(rows), width), "int32")
            for i, row in enumerate(rows):
                out[i, : len(row)] = row[:width]
            return out

        if tf.executing_eagerly() and not isinstance(texts, tf.Tensor):
            return tf.constant(python_ids(list(texts)))
        ids = tf.numpy_function(lambda batch: python_ids(list(batch)), [texts], tf.int32, stateful=False)
        return tf.ensure_shape(ids, [None, length])
