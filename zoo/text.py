"""Text <-> token ids for the sequence models, stored as plain data in the model's config.

A ``TextCodec`` is a vocabulary (a list of tokens) and a level: ``"char"``
splits text into characters, ``"word"`` into words and punctuation. Ids 0-3 are
reserved: padding, unknown, start and end of sequence. Encoding runs as
TensorFlow ops (so it works inside ``tf.data`` and under any strategy); decoding
runs in Python. Because the vocabulary is part of the model's build config, it
travels with the weights entry and inside ``.keras`` files.

>>> from zoo.text import TextCodec
>>> codec = TextCodec.from_texts(["march 3rd"], level="char")
>>> codec.decode(codec.encode(["march"]).numpy())
['march']
"""

from __future__ import annotations

import re
import string
from typing import Any, Iterable, Sequence

import numpy as np

PAD, UNKNOWN, START, END = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = (PAD, UNKNOWN, START, END)
PAD_ID, UNKNOWN_ID, START_ID, END_ID = range(4)
LEVELS = ("char", "word")
# Words are runs of letters/digits; every other non-space character is a token of its own.
WORD_PATTERN = r"[^\W_]+|[^\w\s]|_"
# Without a vocabulary a character-level model reads and writes printable ASCII.
ASCII = tuple(string.printable[:95])


def split_text(text: str, level: str, lowercase: bool = False) -> list[str]:
    """Characters, or words and single punctuation marks (what the TensorFlow side splits too)."""
    text = text.lower() if lowercase else text
    return list(text) if level == "char" else re.findall(WORD_PATTERN, text, re.ASCII)  # RE2: \w is ASCII


class TextCodec:
    def __init__(self, vocabulary: Sequence[str] | None = None, *, level: str = "char", lowercase: bool = False):
        if level not in LEVELS:
            raise ValueError(f"text level must be one of {LEVELS}; got {level!r}.")
        if vocabulary is None:
            if level != "char":
                raise ValueError("a word-level codec needs a vocabulary: TextCodec.from_texts(texts, level='word').")
            vocabulary = ASCII
        tokens = [token for token in vocabulary if token not in SPECIALS]
        if len(set(tokens)) != len(tokens):
            raise ValueError("the vocabulary lists a token twice")
        self.level, self.lowercase = level, bool(lowercase)
        self.tokens = list(SPECIALS) + tokens
        self._ids = {token: index for index, token in enumerate(self.tokens)}
        self._table = None

    @classmethod
    def from_texts(cls, texts: Iterable[str], *, level: str = "char", lowercase: bool = False,
                   max_tokens: int | None = None, min_count: int = 1) -> "TextCodec":
        """The vocabulary of ``texts``: most frequent tokens first (ties alphabetical)."""
        counts: dict[str, int] = {}
        for text in texts:
            for token in split_text(text, level, lowercase):
                counts[token] = counts.get(token, 0) + 1
        ranked = sorted((token for token, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t))
        return cls(ranked[:max_tokens], level=level, lowercase=lowercase)

    # --- data ----------------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        return {"vocabulary": self.tokens[len(SPECIALS):], "level": self.level, "lowercase": self.lowercase}

    def __len__(self) -> int:
        return len(self.tokens)

    # --- Python side ---------------------------------------------------------------------------

    def split(self, text: str) -> list[str]:
        return split_text(text, self.level, self.lowercase)

    def ids(self, text: str) -> list[int]:
        return [self._ids.get(token, UNKNOWN_ID) for token in self.split(text)]

    def token_strings(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[int(i)] for i in ids]

    def decode(self, ids: np.ndarray | Sequence[Sequence[int]]) -> list[str]:
        """Token ids (a batch) -> strings; stops at the end token, skips padding and the start token."""
        texts = []
        for row in ids:
            pieces = []
            for index in row:
                index = int(index)
                if index == END_ID:
                    break
                if index not in (PAD_ID, START_ID):
                    pieces.append(self.tokens[index])
            texts.append(self.join(pieces))
        return texts

    def join(self, pieces: list[str]) -> str:
        if self.level == "char":
            return "".join(pieces)
        text = " ".join(pieces)
        return re.sub(r" ([^\w\s(\[{<])", r"\1", text, flags=re.ASCII)  # no space before punctuation

    # --- TensorFlow side -----------------------------------------------------------------------

    def _lookup(self):
        # lazy: the Python side (ids, decode) needs no TensorFlow; only the tf.data side imports it
        import tensorflow as tf

        if self._table is None:
            with tf.init_scope():  # created eagerly, even when first used inside tf.data or a tf.function
                keys = tf.constant(self.tokens)
                self._table = tf.lookup.StaticHashTable(
                    tf.lookup.KeyValueTensorInitializer(keys, tf.range(len(self.tokens), dtype=tf.int64)), UNKNOWN_ID)
        return self._table

    def encode(self, texts, *, start: bool = False, end: bool = False, length: int | None = None):
        """A batch of strings -> int32 ids ``(batch, tokens)``, padded with 0 (to ``length`` if given)."""
        import tensorflow as tf  # lazy: see _lookup

        texts = tf.convert_to_tensor(texts, tf.string)
        if self.lowercase:
            texts = tf.strings.lower(texts, encoding="utf-8")
        if self.level == "char":
            pieces = tf.strings.unicode_split(texts, "UTF-8")
        else:
            pieces = tf.strings.split(tf.strings.regex_replace(texts, r"([^\w\s]|_)", r" \1 "))
        ids = tf.ragged.map_flat_values(self._lookup().lookup, pieces)
        batch = tf.shape(texts)[0:1]
        if start:
            ids = tf.concat([tf.fill(tf.concat([batch, [1]], 0), tf.constant(START_ID, tf.int64)), ids], axis=1)
        if end:
            ids = tf.concat([ids, tf.fill(tf.concat([batch, [1]], 0), tf.constant(END_ID, tf.int64))], axis=1)
        dense = ids.to_tensor(PAD_ID, shape=None if length is None else [None, length])
        return tf.cast(dense, tf.int32)
