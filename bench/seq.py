"""Training throughput of our sequence models against tutorial-style Keras code of the same architecture.

    python bench/seq.py [--smoke] [--json PATH]

Two comparisons, each timed with ``fit`` on one repeated synthetic batch of token ids (batch 64,
24 tokens a side), in alternating rounds (reference, its twin, ours, reference, ...) in this one
process:

- ``seq2seq_attention`` (BiGRU encoder, GRU decoder with Bahdanau attention, run as one
  ``tf.scan``) against the TensorFlow "NMT with attention" style: an Encoder layer, a
  BahdanauAttention layer, and a Decoder called once per target position in a Python loop
  inside ``train_step`` (teacher forcing, GradientTape, masked loss);
- ``transformer`` against the keras.io "English-to-Spanish Transformer" style: a functional model
  of positional embeddings and encoder/decoder blocks built on ``keras.layers.MultiHeadAttention``,
  trained with ``compile(loss=SparseCategoricalCrossentropy(from_logits=True, ignore_class=0))``.

Each reference is written here to have the same layers and sizes as ours (parameter counts are
asserted equal), the same optimizer (Adam 1e-3), the same batch and the same masked loss. Ours are
the ``Translator`` models ``zoo.create`` returns, trained straight on token ids
(``zoo.bench.translation_workload``). Rates are target tokens per second.

Each reference has a twin, built and compiled the same way with the reference's weights copied in:
the A/A calibration. 2 steps per timing (1.6-3.5 s of work), 5 rounds after one dropped warm-up
round. Goals are judged by process CPU time per step (paired by round, see zoo.bench.Step), only
when the A/A lands within ±5 %; wall-clock rates and ratios are printed beside them. MFU counts
ours' forward FLOPs with TensorFlow's profiler (x3 for training), plus, for seq2seq, its recurrent
loops counted analytically (the profiler sees no FLOPs inside a while loop).
"""

from __future__ import annotations

import math

from common import Report, arguments

import keras
import numpy as np
import tensorflow as tf
from keras import layers

import zoo
from zoo import bench

# --- reference: seq2seq with Bahdanau attention, TensorFlow-tutorial style ----------------------


class Encoder(layers.Layer):
    def __init__(self, vocab_size, embedding_dim, units, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(vocab_size, embedding_dim)
        self.gru = layers.Bidirectional(layers.GRU(units, return_sequences=True, return_state=True))
        # Ours starts the decoder from tanh(W [forward state; backward state]): the same here.
        self.bridge = layers.Dense(units, activation="tanh")

    def call(self, source, mask, training=None):
        memory, forward, backward = self.gru(self.embedding(source), mask=mask, training=training)
        return memory, self.bridge(tf.concat([forward, backward], axis=-1))


class BahdanauAttention(layers.Layer):
    """score_j = V^T tanh(W1 query + W2 value_j); W1 and V without bias, as in ours."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.W1 = layers.Dense(units, use_bias=False)
        self.W2 = layers.Dense(units)
        self.V = layers.Dense(1, use_bias=False)

    def call(self, query, values, keys, mask):
        # The tutorial computes W2(values) here at every step; ours computes it once per batch.
        # ``keys`` = W2(values), passed in, keeps the arithmetic equal so the loop style is measured.
        score = self.V(tf.tanh(keys + self.W1(query)[:, None, :]))[..., 0]
        score = tf.where(mask, score, -1e9)
        weights = tf.nn.softmax(score, axis=-1)
        return tf.reduce_sum(weights[..., None] * values, axis=1), weights


class Decoder(layers.Layer):
    """One target position per call: attend with the previous state, then one GRU step."""

    def __init__(self, vocab_size, embedding_dim, units, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(vocab_size, embedding_dim)
        self.attention = BahdanauAttention(units)
        self.gru = layers.GRU(units, return_sequences=True, return_state=True)
        self.fc = layers.Dense(vocab_size)

    def call(self, token, state, values, keys, mask, training=None):
        context, _ = self.attention(state, values, keys, mask)
        embedded = self.embedding(token)
        _, state = self.gru(tf.concat([embedded, context], axis=-1)[:, None, :], initial_state=state,
                            training=training)
        # Like ours, the output layer reads [s_t, c_t, embedded y_{t-1}].
        return self.fc(tf.concat([state, context, embedded], axis=-1)), state


class TutorialSeq2Seq(keras.Model):
    def __init__(self, source_vocab, target_vocab, embedding_dim, units, **kwargs):
        super().__init__(**kwargs)
        self.encoder = Encoder(source_vocab, embedding_dim, units)
        self.decoder = Decoder(target_vocab, embedding_dim, units)
        self.loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.Mean(name="token_accuracy")
        # Create every variable now, so the parameter count can be checked before training.
        ids = tf.ones((1, 2), "int32")
        self.encode_and_step(ids, ids[:, 0])
        self.built = True

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker]

    def encode_and_step(self, source, token, training=None):
        mask = tf.not_equal(source, 0)
        memory, state = self.encoder(source, mask, training=training)
        keys = self.decoder.attention.W2(memory)
        return self.decoder(token, state, memory, keys, mask, training=training)

    def train_step(self, data):
        (source, target_in), target_out = data
        with tf.GradientTape() as tape:
            mask = tf.not_equal(source, 0)
            memory, state = self.encoder(source, mask, training=True)
            keys = self.decoder.attention.W2(memory)
            loss_sum, token_count, correct_sum = 0.0, 0.0, 0.0
            for t in range(target_in.shape[1]):  # teacher forcing: feed the true previous token
                logits, state = self.decoder(target_in[:, t], state, memory, keys, mask, training=True)
                real = target_out[:, t]
                weight = tf.cast(tf.not_equal(real, 0), "float32")
                loss_sum += tf.reduce_sum(self.loss_object(real, logits) * weight)
                token_count += tf.reduce_sum(weight)
                hit = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=real.dtype), real), "float32")
                correct_sum += tf.reduce_sum(hit * weight)
            loss = loss_sum / tf.maximum(token_count, 1.0)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.loss_tracker.update_state(loss, sample_weight=token_count)
        self.accuracy_tracker.update_state(correct_sum / tf.maximum(token_count, 1.0), sample_weight=token_count)
        return {m.name: m.result() for m in self.metrics}


# --- reference: Transformer, keras.io tutorial style ---------------------------------------------


def positional_encoding(length, depth):
    """sin on even features, cos on odd ones, of position / 10000^(2i/depth) (ours' default layout)."""
    positions = np.arange(length)[:, None]
    rates = 1.0 / np.power(10000.0, (2 * (np.arange(depth) // 2)) / depth)
    angles = positions * rates[None, :]
    angles[:, 0::2], angles[:, 1::2] = np.sin(angles[:, 0::2]), np.cos(angles[:, 1::2])
    return angles.astype("float32")


class PositionalEmbedding(layers.Layer):
    def __init__(self, vocab_size, d_model, max_length=512, **kwargs):
        super().__init__(**kwargs)
        self.d_model = d_model
        self.token_embeddings = layers.Embedding(vocab_size, d_model)
        self.encoding = tf.constant(positional_encoding(max_length, d_model))

    def call(self, ids):
        length = tf.shape(ids)[1]
        return self.token_embeddings(ids) * math.sqrt(self.d_model) + self.encoding[None, :length]


class TransformerEncoder(layers.Layer):
    def __init__(self, d_model, ff_dim, num_heads, dropout, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(num_heads, d_model // num_heads, dropout=dropout)
        self.dense_in, self.dense_out = layers.Dense(ff_dim, activation="relu"), layers.Dense(d_model)
        self.norm_1, self.norm_2 = layers.LayerNormalization(epsilon=1e-5), layers.LayerNormalization(epsilon=1e-5)
        self.dropout = layers.Dropout(dropout)

    def call(self, x, padding_mask, training=None):
        attended = self.attention(x, x, attention_mask=padding_mask[:, None, :], training=training)
        x = self.norm_1(x + self.dropout(attended, training=training))
        projected = self.dense_out(self.dropout(self.dense_in(x), training=training))
        return self.norm_2(x + self.dropout(projected, training=training))


class TransformerDecoder(layers.Layer):
    def __init__(self, d_model, ff_dim, num_heads, dropout, **kwargs):
        super().__init__(**kwargs)
        self.attention_1 = layers.MultiHeadAttention(num_heads, d_model // num_heads, dropout=dropout)
        self.attention_2 = layers.MultiHeadAttention(num_heads, d_model // num_heads, dropout=dropout)
        self.dense_in, self.dense_out = layers.Dense(ff_dim, activation="relu"), layers.Dense(d_model)
        self.norm_1, self.norm_2, self.norm_3 = (layers.LayerNormalization(epsilon=1e-5) for _ in range(3))
        self.dropout = layers.Dropout(dropout)

    def call(self, x, memory, padding_mask, training=None):
        attended = self.attention_1(x, x, use_causal_mask=True, training=training)
        x = self.norm_1(x + self.dropout(attended, training=training))
        attended = self.attention_2(x, memory, attention_mask=padding_mask[:, None, :], training=training)
        x = self.norm_2(x + self.dropout(attended, training=training))
        projected = self.dense_out(self.dropout(self.dense_in(x), training=training))
        return self.norm_3(x + self.dropout(projected, training=training))


def tutorial_transformer(source_vocab, target_vocab, d_model, num_heads, ff_dim, num_encoder_layers,
                         num_decoder_layers, dropout):
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    target = keras.Input(shape=(None,), dtype="int32", name="target")
    padding_mask = keras.ops.not_equal(source, 0)
    x = layers.Dropout(dropout)(PositionalEmbedding(source_vocab, d_model)(source))
    for _ in range(num_encoder_layers):
        x = TransformerEncoder(d_model, ff_dim, num_heads, dropout)(x, padding_mask)
    memory = x
    x = layers.Dropout(dropout)(PositionalEmbedding(target_vocab, d_model)(target))
    for _ in range(num_decoder_layers):
        x = TransformerDecoder(d_model, ff_dim, num_heads, dropout)(x, memory, padding_mask)
    logits = layers.Dense(target_vocab)(x)
    model = keras.Model([source, target], logits, name="tutorial_transformer")
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
                  metrics=["accuracy"])
    return model


# --- ours, the data, the timing ------------------------------------------------------------------


def ours(name: str, words: int, length: int, **config) -> keras.Model:
    """Our Translator with word vocabularies of ``words`` synthetic words on each side."""
    model = zoo.create(name, tokens="word", **config)
    rng = np.random.default_rng(1)
    pools = [[f"{side}{i}" for i in rng.permutation(words)] for side in "st"]  # every word appears
    sentences = [[" ".join(pool[i:i + length]) for i in range(0, words, length)] for pool in pools]
    return model.adapt(*sentences)


def recurrent_flops(embedding_dim: int, units: int, source_length: int, target_length: int) -> float:
    """Forward FLOPs per sample (multiply-adds count 2) of ours' seq2seq loops, which TensorFlow's profiler
    leaves out: the ops in a while loop's body (the encoder's GRUs, the decoder's ``tf.scan``) have no
    static shapes for it ("ops no flops stats due to incomplete shapes"). A GRU step on an input of width
    ``d`` is 2 x 3 units x (d + units) (input and recurrent kernels; gate arithmetic left out). Per
    source position, two encoder GRUs on the embedding; per target position, the attention (the query
    projection, the scores against the precomputed keys, the context over the 2-units-wide memory) and
    the decoder GRU on [embedding, context]."""
    encoder = 2 * source_length * 6 * units * (embedding_dim + units)
    attention = 2 * units * units + 2 * source_length * units + 2 * source_length * 2 * units
    decoder = target_length * (attention + 6 * units * (embedding_dim + 3 * units))
    return float(encoder + decoder)


def median_step(steps: list[bench.Step]) -> bench.Step:
    return bench.Step(*(float(np.median([getattr(step, clock) for step in steps])) for clock in bench.CLOCKS))


def compare(report: Report, what: str, model: keras.Model, reference: keras.Model, twin: keras.Model, batch: int,
            length: int, steps: int, rounds: int, warm_up: int, peak_size: int, uncounted: float = 0.0
            ) -> dict[str, float]:
    """Time the reference, its twin (A/A) and ours in alternating rounds; add the rows; return the paired
    CPU-time ratios: ours over the reference ("ratio") and the twin over the reference ("aa").
    ``uncounted``: forward FLOPs per sample the profiler misses (see ``recurrent_flops``)."""
    work = bench.translation_workload(model, batch, np.random.default_rng(0), length=length)
    mine, theirs = model.network.count_params(), reference.count_params()
    assert mine == theirs == twin.count_params(), f"{what}: ours has {mine:,} parameters, the reference {theirs:,}"
    report.note(f"{what}: {mine:,} parameters in ours and in the reference; vocabularies "
                f"{len(model.source_codec):,} / {len(model.target_codec):,}.")
    rates = {model.optimizer.learning_rate.numpy(), reference.optimizer.learning_rate.numpy(),
             twin.optimizer.learning_rate.numpy()}
    assert len(rates) == 1, rates
    timers = {"reference": bench.fit_timer(reference.fit, work.train_data, steps),
              "twin": bench.fit_timer(twin.fit, work.train_data, steps),
              "ours": bench.fit_timer(work.fit, work.train_data, steps)}
    times = bench.alternate(timers, rounds, warm_up)
    tokens = batch * work.units_per_sample
    # Training FLOPs of ours per step: the forward count per sample (the profiler's, plus what it misses)
    # x batch x 3.
    profiled = bench.forward_flops(work.forward, *work.forward_specs)
    forward = profiled + uncounted
    flops = batch * forward * bench.TRAIN_FLOPS_PER_FORWARD
    reference_steps = times["reference"]
    label = f"{what} train step, batch {batch}"
    for name, row_label in (("ours", label), ("twin", f"{label}: reference twin (A/A)")):
        report.row(row_label, bench.rate(times[name], tokens), bench.rate(reference_steps, tokens), "tokens/s",
                   cpu_ratio=bench.paired_ratio(times[name], reference_steps, "cpu"),
                   mfu=bench.mfu(flops, median_step(times[name]), "fp32", peak_size),
                   wall_ratio_paired=bench.paired_ratio(times[name], reference_steps, "wall"))
    aa = {clock: bench.paired_ratio(times["twin"], reference_steps, clock) for clock in bench.CLOCKS}
    spread = max(bench.summary(seconds)["spread"] for seconds in times.values())
    report.note(f"{what}: step {1000 * median_step(times['ours']).wall:.0f} ms ours vs "
                f"{1000 * median_step(reference_steps).wall:.0f} ms reference by wall time "
                f"({1000 * median_step(times['ours']).cpu:.0f} vs {1000 * median_step(reference_steps).cpu:.0f} ms "
                f"of process CPU; widest wall spread over rounds {100 * spread:.0f}%); A/A (twin vs reference) "
                f"{aa['cpu']:.3f} by CPU time, {aa['wall']:.3f} by wall time; forward "
                f"{forward / length / 1e6:.3g} MFLOPs per target token ("
                + (f"{profiled / length / 1e6:.3g} counted by the profiler, {uncounted / length / 1e6:.3g} in "
                   f"its loops, counted analytically)." if uncounted else "counted by the profiler)."))
    return {"ratio": bench.paired_ratio(times["ours"], reference_steps, "cpu"), "aa": aa["cpu"], "forward": forward}


def twin_of(reference: keras.Model, build, smoke: bool = False) -> keras.Model:
    """The A/A twin: ``build()`` makes the reference again, the same way, then takes its weights.
    The smoke run's twin is the reference itself: one trace fewer (the tutorial seq2seq's Python
    loop traces slowly), and the A/A arithmetic runs the same."""
    if smoke:
        return reference
    twin = build()
    twin.set_weights(reference.get_weights())
    return twin


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    if args.smoke:
        batch, length, words, seq2seq_steps, transformer_steps, rounds, warm_up = 4, 6, 40, 1, 1, 1, 0
        seq2seq, transformer = dict(embedding_dim=16, units=32), dict(size="tiny", d_model=32, ff_dim=64)
    else:
        # A step at batch 64 takes ~0.8 s (seq2seq) and ~1.7 s (Transformer small) on 2 cores: 2 steps per
        # timing make every timing 1.6-3.5 s of work. 1 dropped + 5 timed rounds of three timers are
        # ~30 s + ~60 s; building, adapting and tracing six models (the tutorial seq2seq's Python loop
        # over 24 positions traces slowly) and their warm-up fits add ~3.5 min: ~5 min in all.
        batch, length, words, seq2seq_steps, transformer_steps, rounds, warm_up = 64, 24, 2000, 2, 2, 5, 1
        seq2seq, transformer = dict(embedding_dim=128, units=256), dict(size="small")
    peak_size = 512 if args.smoke else 2048
    report = Report("bench/seq.py", args)
    keras.utils.set_random_seed(0)

    def tutorial_seq2seq() -> TutorialSeq2Seq:
        compiled = TutorialSeq2Seq(len(model.source_codec), len(model.target_codec), **seq2seq)
        compiled.compile(optimizer=keras.optimizers.Adam(1e-3))
        return compiled

    model = ours("seq2seq_attention", words, length, **seq2seq)
    reference = tutorial_seq2seq()
    twin = twin_of(reference, tutorial_seq2seq, args.smoke)
    result = compare(report, "seq2seq (Bahdanau)", model, reference, twin, batch, length, seq2seq_steps, rounds,
                     warm_up, peak_size, uncounted=recurrent_flops(seq2seq["embedding_dim"], seq2seq["units"],
                                                                   length, length))
    report.goal("seq2seq train ≥ 1.0× a tutorial-style Keras seq2seq", result["ratio"], 1.0, aa=result["aa"],
                clock="cpu")

    model = ours("transformer", words, length, **transformer)
    dims = {k: v for k, v in zoo.models.transformer.SIZES[transformer["size"]].items()}
    dims.update({k: v for k, v in transformer.items() if k != "size"})

    def keras_io_transformer() -> keras.Model:
        return tutorial_transformer(len(model.source_codec), len(model.target_codec), dropout=0.1, **dims)

    reference = keras_io_transformer()
    twin = twin_of(reference, keras_io_transformer, args.smoke)
    result = compare(report, f"Transformer ({transformer['size']})", model, reference, twin, batch, length,
                     transformer_steps, rounds, warm_up, peak_size)
    report.goal("Transformer train ≥ 1.0× a keras.io-style Keras Transformer", result["ratio"], 1.0,
                aa=result["aa"], clock="cpu")

    report.note(f"batch {batch}, source and target length {length}; {seq2seq_steps} seq2seq / {transformer_steps} "
                f"Transformer fit steps per timing, median of {rounds} alternating rounds (reference, twin, ours) "
                f"after {warm_up} dropped; each reference's twin is built and compiled the same way, with the "
                f"reference's weights; Adam 1e-3 on all; dropout as ours' defaults (seq2seq 0, Transformer 0.1) in "
                f"the same places.")
    report.note(f"MFU: ours' forward FLOPs, x{bench.TRAIN_FLOPS_PER_FORWARD} for training, over the matmul peak "
                f"measured in this run: counted by TensorFlow's profiler, which sees no FLOPs inside a while loop; "
                f"seq2seq's recurrent loops (encoder GRUs, the decoder's tf.scan) are added analytically "
                f"(bench/seq.py recurrent_flops).")
    report.finish()


if __name__ == "__main__":
    main()
