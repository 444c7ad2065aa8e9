"""The Transformer encoder-decoder (Vaswani et al., Attention Is All You Need, 2017; arXiv:1706.03762).

Sizes from ``"tiny"`` to ``"base"`` (d_model 512, 6+6 layers, 8 heads, FFN 2048);
any size key can be overridden. Options cover the published variants, so
checkpoints in other layouts (e.g. MarianMT: post-norm, swish, sinusoids in
halves, shared and tied embeddings, a logits bias) map onto it:

- ``positions``: ``"sinusoidal"`` (fixed) or ``"learned"`` (up to ``max_length``);
  ``sinusoid_layout``: ``"interleaved"`` (sin/cos on even/odd features, the
  paper) or ``"halves"`` (all sines, then all cosines: tensor2tensor, Marian);
- ``norm``: ``"post"`` (the paper: LayerNorm after each residual add) or
  ``"pre"`` (LayerNorm before each sublayer, plus a final one; trains more easily deep);
- ``scale_embedding``: multiply token embeddings by sqrt(d_model) (the paper);
- ``share_embeddings`` (one table for source and target; needs one vocabulary),
  ``tie_output`` (the output projection is the target embedding, transposed).

Masks: encoder self-attention and decoder cross-attention ignore padded source
tokens; decoder self-attention is causal. ``decode`` returns the last decoder
layer's cross-attention averaged over heads as the attention matrix.
"""

from __future__ import annotations

import math
import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import layers

SIZES = {
    "tiny": dict(d_model=64, num_heads=4, ff_dim=128, num_encoder_layers=2, num_decoder_layers=2),
    "small": dict(d_model=256, num_heads=4, ff_dim=1024, num_encoder_layers=3, num_decoder_layers=3),
    "base": dict(d_model=512, num_heads=8, ff_dim=2048, num_encoder_layers=6, num_decoder_layers=6),
}
CHOICES = {"positions": ("sinusoidal", "learned"), "sinusoid_layout": ("interleaved", "halves"),
           "norm": ("post", "pre")}


def sinusoids(length: int, dim: int, layout: str = "interleaved") -> np.ndarray:
    """Fixed position encodings: sin/cos of position / 10000^(2i/dim)."""
    position = np.arange(length)[:, None]
    angles = position / np.power(10000.0, 2 * (np.arange(dim) // 2) / dim)[None, :]
    if layout == "interleaved":
        table = angles.copy()
        table[:, 0::2], table[:, 1::2] = np.sin(angles[:, 0::2]), np.cos(angles[:, 1::2])
    else:
        table = np.concatenate([np.sin(angles[:, 0::2]), np.cos(angles[:, 1::2])], axis=1)
    return table.astype("float32")


@keras.saving.register_keras_serializable(package="zoo")
class TokenAndPosition(layers.Layer):
    """Token embedding (optionally scaled by sqrt(d)) plus fixed or learned positions."""

    def __init__(self, vocab_size: int, d_model: int, *, positions: str = "sinusoidal",
                 sinusoid_layout: str = "interleaved", max_length: int = 512, scale: bool = True,
                 embedding: layers.Embedding | None = None, **kwargs):
        super().__init__(**kwargs)
        self.positions = positions
        self.scale = math.sqrt(d_model) if scale else 1.0
        self.tokens = embedding or layers.Embedding(vocab_size, d_model, name="tokens")
        self.owns_tokens = embedding is None  # a shared table is saved once, by its owner
        if positions == "learned":
            self.position_table = layers.Embedding(max_length, d_model, name="positions")
        else:
            self.sinusoids = tf.constant(sinusoids(max_length, d_model, sinusoid_layout))

    def build(self, input_shape=None):
        if self.owns_tokens:
            self.tokens.build((None, None))
        if self.positions == "learned":
            self.position_table.build((None,))
        self.built = True

    def call(self, ids):
        length = tf.shape(ids)[1]
        x = self.tokens(ids) * tf.cast(self.scale, self.compute_dtype)
        if self.positions == "learned":
            where = self.position_table(tf.range(length))
        else:
            where = tf.cast(self.sinusoids[:length], self.compute_dtype)
        return x + where[None]


class _Block(layers.Layer):
    """Residual sublayers with the LayerNorm before (pre-norm) or after (post-norm) each."""

    def __init__(self, d_model, num_heads, ff_dim, dropout, activation, norm, epsilon, count, **kwargs):
        super().__init__(**kwargs)
        self.norm = norm
        self.norms = [layers.LayerNormalization(epsilon=epsilon, name=f"norm_{i}") for i in range(count)]
        self.feed_forward = [layers.Dense(ff_dim, activation=activation, name="ff_in"),
                             layers.Dense(d_model, name="ff_out")]
        self.dropout = layers.Dropout(dropout)

    def residual(self, index, x, sublayer, training):
        if self.norm == "pre":
            return x + self.dropout(sublayer(self.norms[index](x)), training=training)
        return self.norms[index](x + self.dropout(sublayer(x), training=training))

    def ffn(self, x, training):
        return self.feed_forward[1](self.dropout(self.feed_forward[0](x), training=training))


class EncoderLayer(_Block):
    def __init__(self, d_model, num_heads, ff_dim, dropout, activation, norm, epsilon, **kwargs):
        super().__init__(d_model, num_heads, ff_dim, dropout, activation, norm, epsilon, 2, **kwargs)
        self.self_attention = layers.MultiHeadAttention(num_heads, d_model // num_heads, dropout=dropout,
                                                        name="self_attention")

    def call(self, x, padding_mask, training=False):
        mask = padding_mask[:, None, :]  # (batch, 1, source): every query sees the real tokens
        x = self.residual(0, x, lambda h: self.self_attention(h, h, attention_mask=mask, training=training), training)
        return self.residual(1, x, lambda h: self.ffn(h, training), training)


class DecoderLayer(_Block):
    def __init__(self, d_model, num_heads, ff_dim, dropout, activation, norm, epsilon, **kwargs):
        super().__init__(d_model, num_heads, ff_dim, dropout, activation, norm, epsilon, 3, **kwargs)
        self.self_attention = layers.MultiHeadAttention(num_heads, d_model // num_heads, dropout=dropout,
                                                        name="self_attention")
        self.cross_attention = layers.MultiHeadAttention(num_heads, d_model // num_heads, dropout=dropout,
                                                         name="cross_attention")

    def call(self, x, memory, padding_mask, training=False):
        with warnings.catch_warnings():  # a one-token prefix (first decoding step) softmaxes over one key: fine
            warnings.filterwarnings("ignore", "You are using a softmax over axis", UserWarning)
            x = self.residual(0, x, lambda h: self.self_attention(h, h, use_causal_mask=True, training=training),
                              training)
        scores = []

        def cross(h):
            out, weights = self.cross_attention(h, memory, attention_mask=padding_mask[:, None, :],
                                                return_attention_scores=True, training=training)
            scores.append(weights)
            return out

        x = self.residual(1, x, cross, training)
        return self.residual(2, x, lambda h: self.ffn(h, training), training), scores[0]


@keras.saving.register_keras_serializable(package="zoo")
class TiedOutput(layers.Layer):
    """Logits = h E^T (+ bias), E being the target embedding table."""

    def __init__(self, embedding: layers.Embedding, vocab_size: int, use_bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.embedding, self.vocab_size, self.use_bias = embedding, vocab_size, use_bias

    def build(self, input_shape=None):
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.vocab_size,), initializer="zeros")
        self.built = True

    def call(self, h):
        logits = tf.matmul(tf.cast(h, "float32"), tf.cast(self.embedding.embeddings, "float32"), transpose_b=True)
        return logits + self.bias if self.use_bias else logits


class Transformer(keras.Model):
    """The network; the translation task adds text, training and decoding."""

    def __init__(self, source_vocab_size: int, target_vocab_size: int, *, size: str = "base",
                 d_model: int | None = None, num_heads: int | None = None, ff_dim: int | None = None,
                 num_encoder_layers: int | None = None, num_decoder_layers: int | None = None,
                 dropout: float = 0.1, activation: str = "relu", positions: str = "sinusoidal",
                 sinusoid_layout: str = "interleaved", max_length: int = 512, norm: str = "post",
                 scale_embedding: bool = True, share_embeddings: bool = False, tie_output: bool = False,
                 output_bias: bool = True, layer_norm_epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        if size not in SIZES:
            raise ValueError(f"transformer: size must be one of {tuple(SIZES)}; got {size!r}.")
        for key, value in dict(positions=positions, sinusoid_layout=sinusoid_layout, norm=norm).items():
            if value not in CHOICES[key]:
                raise ValueError(f"transformer: {key} must be one of {CHOICES[key]}; got {value!r}.")
        given = dict(d_model=d_model, num_heads=num_heads, ff_dim=ff_dim, num_encoder_layers=num_encoder_layers,
                     num_decoder_layers=num_decoder_layers)
        dims = {key: int(given[key]) if given[key] is not None else default for key, default in SIZES[size].items()}
        if dims["d_model"] % dims["num_heads"]:
            raise ValueError(f"transformer: d_model ({dims['d_model']}) must be divisible by num_heads "
                             f"({dims['num_heads']}).")
        if share_embeddings and source_vocab_size != target_vocab_size:
            raise ValueError("transformer: share_embeddings needs one vocabulary for source and target; got sizes "
                             f"{source_vocab_size} and {target_vocab_size}.")
        d, self.norm, self.max_positions = dims["d_model"], norm, max_length
        embed = dict(positions=positions, sinusoid_layout=sinusoid_layout, max_length=max_length, scale=scale_embedding)
        self.source_embedding = TokenAndPosition(source_vocab_size, d, name="source_embedding", **embed)
        self.target_embedding = TokenAndPosition(
            target_vocab_size, d, name="target_embedding",
            embedding=self.source_embedding.tokens if share_embeddings else None, **embed)
        block = dict(d_model=d, num_heads=dims["num_heads"], ff_dim=dims["ff_dim"], dropout=dropout,
                     activation=activation, norm=norm, epsilon=layer_norm_epsilon)
        self.encoder_layers = [EncoderLayer(name=f"encoder_{i}", **block) for i in range(dims["num_encoder_layers"])]
        self.decoder_layers = [DecoderLayer(name=f"decoder_{i}", **block) for i in range(dims["num_decoder_layers"])]
        if norm == "pre":  # pre-norm leaves the residual stream un-normalised: one last LayerNorm per stack
            self.encoder_norm = layers.LayerNormalization(epsilon=layer_norm_epsilon, name="encoder_norm")
            self.decoder_norm = layers.LayerNormalization(epsilon=layer_norm_epsilon, name="decoder_norm")
        self.dropout = layers.Dropout(dropout, name="dropout")
        if tie_output:
            self.logits = TiedOutput(self.target_embedding.tokens, target_vocab_size, output_bias, name="logits")
        else:
            self.logits = layers.Dense(target_vocab_size, use_bias=output_bias, dtype="float32", name="logits")
        ids = tf.ones((1, 2), "int32")
        self.decode(ids, self.encode(ids))  # create every variable now
        self.built = True

    def encode(self, source_ids, source_mask=None, training=False):
        mask = tf.not_equal(source_ids, 0) if source_mask is None else tf.cast(source_mask, "bool")
        x = self.dropout(self.source_embedding(source_ids), training=training)
        for layer in self.encoder_layers:
            x = layer(x, mask, training=training)
        if self.norm == "pre":
            x = self.encoder_norm(x)
        return {"memory": x, "mask": mask}

    def decode(self, target_in, state, training=False):
        x = self.dropout(self.target_embedding(target_in), training=training)
        for layer in self.decoder_layers:
            x, scores = layer(x, state["memory"], state["mask"], training=training)
        if self.norm == "pre":
            x = self.decoder_norm(x)
        return self.logits(x), tf.reduce_mean(tf.cast(scores, "float32"), axis=1)

    def call(self, inputs, training=False):
        source_ids, target_in = inputs
        return self.decode(target_in, self.encode(source_ids, training=training), training=training)[0]


def build_transformer(source_vocab_size: int, target_vocab_size: int, **config) -> Transformer:
    return Transformer(source_vocab_size, target_vocab_size, name="transformer", **config)
