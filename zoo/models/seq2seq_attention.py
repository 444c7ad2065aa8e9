"""Seq2seq with additive attention (Bahdanau, Cho & Bengio, 2014; arXiv:1409.0473).

Encoder: embedding -> bidirectional GRU (or LSTM). Decoder: a GRU whose input at
step t is the previous target token and the context vector c_t, where c_t
attends over all encoder states with weights softmax(v^T tanh(W s_{t-1} + U h_j)),
s_{t-1} being the decoder state *before* the step (the paper's order, unlike
Luong-style decoders that attend after the RNN step). The output layer reads
[s_t, c_t, embedded y_{t-1}]. The decoder runs as one ``tf.scan`` over the
target (teacher forcing); inference re-runs it on the growing prefix.

Both sequence networks share one interface, which the translation task uses:
``encode(source_ids, source_mask) -> state`` (a dict of tensors with the batch
first) and ``decode(target_in, state) -> (logits, attention)``, attention being
(batch, target, source) with rows summing to 1 over the unmasked source tokens.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

CELLS = {"gru": layers.GRU, "lstm": layers.LSTM}


@keras.saving.register_keras_serializable(package="zoo")
class BahdanauAttention(layers.Layer):
    """Additive attention: scores v^T tanh(W q + U k_j), masked, softmaxed over j."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.query_projection = layers.Dense(units, use_bias=False, name="query")
        self.key_projection = layers.Dense(units, name="key")
        self.score = layers.Dense(1, use_bias=False, name="score")

    def build(self, query_shape, memory_shape):
        self.query_projection.build(query_shape)
        self.key_projection.build(memory_shape)
        self.score.build((None, None, self.units))
        self.built = True

    def keys(self, memory):
        """U h_j for every encoder state: computed once per sequence, not once per step."""
        return self.key_projection(memory)

    def call(self, query, keys, memory, mask):
        energy = self.score(tf.tanh(keys + self.query_projection(query)[:, None, :]))[..., 0]
        energy = tf.where(mask, energy, tf.constant(-1e9, energy.dtype))
        weights = tf.nn.softmax(energy, axis=-1)
        context = tf.einsum("bs,bsd->bd", weights, memory)
        return context, weights

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Seq2SeqAttention(keras.Model):
    """The network; the task (``zoo.tasks.translation.Translator``) adds text, training and decoding."""

    def __init__(self, source_vocab_size: int, target_vocab_size: int, *, embedding_dim: int = 128,
                 units: int = 256, cell: str = "gru", dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if cell not in CELLS:
            raise ValueError(f"seq2seq_attention: cell must be one of {tuple(CELLS)}; got {cell!r}.")
        self.units, self.cell = units, cell
        self.source_embedding = layers.Embedding(source_vocab_size, embedding_dim, name="source_embedding")
        self.encoder = layers.Bidirectional(CELLS[cell](units, return_sequences=True, return_state=True),
                                            name="encoder")
        self.bridge = layers.Dense(units, activation="tanh", name="bridge")  # final encoder states -> s_0
        self.target_embedding = layers.Embedding(target_vocab_size, embedding_dim, name="target_embedding")
        self.attention = BahdanauAttention(units, name="attention")
        self.decoder_cell = layers.GRUCell(units, name="decoder_cell")
        self.dropout = layers.Dropout(dropout, name="dropout")
        self.logits = layers.Dense(target_vocab_size, dtype="float32", name="logits")
        # Build every variable now: the decoder's layers run inside tf.scan, where none may be created.
        self.attention.build((None, units), (None, None, 2 * units))
        self.decoder_cell.build((None, embedding_dim + 2 * units))
        self.logits.build((None, None, units + 2 * units + embedding_dim))
        ids = tf.ones((1, 2), "int32")
        self.decode(ids, self.encode(ids))
        self.built = True

    def encode(self, source_ids, source_mask=None, training=False):
        mask = tf.not_equal(source_ids, 0) if source_mask is None else tf.cast(source_mask, "bool")
        outputs = self.encoder(self.source_embedding(source_ids), mask=mask, training=training)
        memory, states = outputs[0], outputs[1:]
        if self.cell == "lstm":
            states = states[0], states[2]  # hidden states (h), not the cells (c), of each direction
        initial = self.bridge(tf.concat(states, axis=-1))
        return {"memory": memory, "mask": mask, "initial": initial}

    def decode(self, target_in, state, training=False):
        memory, mask = state["memory"], state["mask"]
        embedded = self.dropout(self.target_embedding(target_in), training=training)
        keys = self.attention.keys(memory)

        def step(carry, token):
            previous, _, _ = carry
            context, weights = self.attention(previous, keys, memory, mask)
            output, _ = self.decoder_cell(tf.concat([token, context], axis=-1), [previous], training=training)
            return output, context, weights

        batch, source_length = tf.shape(memory)[0], tf.shape(memory)[1]
        start = (state["initial"], tf.zeros((batch, 2 * self.units), memory.dtype),
                 tf.zeros((batch, source_length), memory.dtype))
        states, contexts, weights = tf.scan(step, tf.transpose(embedded, [1, 0, 2]), initializer=start)
        states, contexts, weights = (tf.transpose(t, [1, 0, 2]) for t in (states, contexts, weights))
        features = self.dropout(tf.concat([states, contexts, embedded], axis=-1), training=training)
        return self.logits(features), weights

    def call(self, inputs, training=False):
        source_ids, target_in = inputs
        return self.decode(target_in, self.encode(source_ids, training=training), training=training)[0]


def build_seq2seq_attention(source_vocab_size: int, target_vocab_size: int, **config) -> Seq2SeqAttention:
    return Seq2SeqAttention(source_vocab_size, target_vocab_size, name="seq2seq_attention", **config)
