"""The translation task: text in, text out, for every sequence network (seq2seq_attention, transformer).

The task owns the text codecs (vocabularies live in its build config, so they
travel with weights entries and ``.keras`` files), training on string pairs with
a padding-masked loss and token accuracy, greedy and beam-search decoding, and
attention matrices and maps. Swapping architectures means changing the name only.

>>> import zoo
>>> model = zoo.create("transformer", size="tiny")
>>> model.fit(["ab", "ba"], ["x", "y"], epochs=1, verbose=0).history["loss"][0] > 0
True
>>> len(model.translate(["ab", "ba"], max_length=5))
2
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import keras
import numpy as np
import tensorflow as tf

from zoo import plots, preprocessing
from zoo.tasks import benchmark, decoding
from zoo.tasks.base import CardText, ZooTask
from zoo.text import END_ID, PAD_ID, SPECIALS, START_ID, UNKNOWN_ID, TextCodec
from zoo.text_sentencepiece import SentencePieceCodec  # light: sentencepiece itself loads when a codec is made

# Build-config keys that describe text, not the network.
TEXT_KEYS = ("tokens", "lowercase", "source_vocabulary", "target_vocabulary", "max_output_length", "source_spm",
             "target_spm")
METHODS = ("greedy", "beam")
# What translate does with characters its vocabulary cannot encode.
UNKNOWN_POLICIES = ("error", "ignore")


def _strings(values: Iterable) -> list[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def _texts_to_translate(texts: Any, where: str) -> list[str]:
    """A list of strings (bytes decoded as UTF-8), refused when ``texts`` is not strings."""
    if hasattr(texts, "numpy") and not isinstance(texts, np.ndarray):
        texts = texts.numpy()  # a tf.string tensor
    if isinstance(texts, np.ndarray):
        texts = texts.reshape(-1).tolist() if texts.ndim else [texts.item()]
    if texts is None or isinstance(texts, (dict, set)) or not isinstance(texts, Iterable):
        raise TypeError(f"{where}: texts must be a string or a list of strings; got {texts!r} "
                        f"({type(texts).__name__}).")
    strings = []
    for index, text in enumerate(texts):
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(f"{where}: texts[{index}] is bytes that are not UTF-8 ({error}).") from None
        if not isinstance(text, str):
            raise TypeError(f"{where}: texts[{index}] is {text!r} ({type(text).__name__}); texts must be strings.")
        strings.append(text)
    return strings


def vocabularies(sources: Iterable[str], targets: Iterable[str], *, tokens: str = "char", lowercase: bool = False,
                 max_tokens: int | None = None) -> dict[str, Any]:
    """The build-config entries for vocabularies learnt from text, to pass to ``zoo.create``.

    >>> import zoo
    >>> from zoo.tasks.translation import vocabularies
    >>> model = zoo.create("transformer", size="tiny", **vocabularies(["3 may"], ["05-03"]))
    >>> model.target_codec.tokens[4:]
    ['0', '-', '3', '5']
    """
    source = TextCodec.from_texts(_strings(sources), level=tokens, lowercase=lowercase, max_tokens=max_tokens)
    target = TextCodec.from_texts(_strings(targets), level=tokens, max_tokens=max_tokens)
    return {"tokens": tokens, "lowercase": lowercase, "source_vocabulary": source.get_config()["vocabulary"],
            "target_vocabulary": target.get_config()["vocabulary"]}


@keras.saving.register_keras_serializable(package="zoo")
class Translator(ZooTask):
    METRICS = ("loss", "token_accuracy")
    CARD_TEXT = CardText(
        "translation",
        "Translating text like its training data (`model.translate`).",
        "Translations can be fluent and wrong; tokens outside its vocabulary are lost. Check outputs before "
        "relying on them.",
    )

    def __init__(self, model_name: str, build_config: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(model_name, build_config, **kwargs)
        self.label_smoothing = 0.0
        self.network = None
        self.source_codec = self.target_codec = None
        config = self.build_config
        level = config.get("tokens", "char")
        if level == "sentencepiece":  # converted MarianMT checkpoints (zoo/hub/marian.py)
            self._build(SentencePieceCodec(config["source_vocabulary"], config["source_spm"]),
                        SentencePieceCodec(config["target_vocabulary"], config["target_spm"]))
        elif level == "char" or config.get("source_vocabulary") is not None:
            self._build(TextCodec(config.get("source_vocabulary"), level=level, lowercase=config.get("lowercase", False)),
                        TextCodec(config.get("target_vocabulary"), level=level))
        # Otherwise (word level, no vocabulary yet) the network is built by adapt(), which fit() calls.

    # --- building --------------------------------------------------------------------------------

    def _build(self, source_codec: TextCodec, target_codec: TextCodec) -> None:
        self.source_codec, self.target_codec = source_codec, target_codec
        self.build_config["source_vocabulary"] = source_codec.get_config()["vocabulary"]
        self.build_config["target_vocabulary"] = target_codec.get_config()["vocabulary"]
        network_config = {k: v for k, v in self.build_config.items() if k not in TEXT_KEYS}
        with self.distribute_strategy.scope():
            self.network = self.spec.resolve_builder()(len(source_codec), len(target_codec), **network_config)
        self._next_log_probs = tf.function(self._last_log_probs, reduce_retracing=True)
        self._encode = tf.function(self.network.encode, reduce_retracing=True)
        self.built = True

    def adapt(self, sources: Iterable[str], targets: Iterable[str], *, max_tokens: int | None = None) -> "Translator":
        """Build the vocabularies from training text, then the network (word-level models need this;
        ``fit`` calls it when the model has no vocabulary yet)."""
        if self.network is not None:
            raise ValueError(f"{self.model_name} already has its vocabularies and network; adapt() would "
                             "discard the network. To build a model on your text's vocabularies, pass them at "
                             "creation: zoo.create(name, **zoo.tasks.translation.vocabularies(sources, targets)).")
        config = vocabularies(sources, targets, tokens=self.build_config.get("tokens", "char"),
                              lowercase=self.build_config.get("lowercase", False), max_tokens=max_tokens)
        self._build(TextCodec(config["source_vocabulary"], level=config["tokens"], lowercase=config["lowercase"]),
                    TextCodec(config["target_vocabulary"], level=config["tokens"]))
        return self

    def weight_layers(self) -> list:
        return self.network.layers

    def call(self, inputs, training=False):
        return self.network(inputs, training=training)

    @property
    def max_output_length(self) -> int:
        return int(self.build_config.get("max_output_length", 128))

    # --- what every task tells zoo's export, presets and bench ------------------------------------

    def preprocessor_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The text codecs' settings (tokens, vocabularies, SentencePiece models), out of the build config."""
        build = config["build_config"]
        return {"kind": "text", **{key: build.pop(key) for key in TEXT_KEYS if key in build}}

    def serving_signature(self, rng, batch):
        raise ValueError(f"{self.model_name} ({self.spec.task}) cannot be exported for serving: it decodes in Python. "
                         "Share it with model.save_preset(dir) or model.push_to_hub(repo_id) instead.")

    def bench_workload(self, batch, rng, length: int = 24):
        """Steps on token ids, ``length`` per text, through ``keras.Model.fit`` (ours takes strings): the step, not
        the text encoding, is timed. Without a vocabulary yet, adapts on synthetic text first."""
        if self.network is None:
            texts = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789"), length)) for _ in range(64)]
            self.adapt(texts, texts)
        source = tf.constant(rng.integers(4, len(self.source_codec), (batch, length)), "int32")
        target = tf.constant(rng.integers(4, len(self.target_codec), (batch, length + 1)), "int32")
        inputs = (source, target[:, :-1])
        if not self.compiled:
            self.compile()
        network = self.network
        return benchmark.Workload(self, benchmark.repeated(inputs, target[:, 1:]),
                                  lambda pair: network(pair, training=False), inputs, benchmark.one_sample_specs(inputs),
                                  unit="tokens", units_per_sample=length,
                                  fit=lambda data, **kwargs: keras.Model.fit(self, data, **kwargs))

    # --- data ------------------------------------------------------------------------------------

    def _pairs(self, x, y) -> tf.data.Dataset:
        """``(source, target)`` string pairs as a tf.data.Dataset (batched or not), from lists or a dataset."""
        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError("pass a dataset of (source_text, target_text) pairs, or two lists of strings; "
                                 "not a dataset and y.")
            spec = x.element_spec
            if not (isinstance(spec, tuple) and len(spec) == 2 and all(s.dtype == tf.string for s in spec)):
                raise ValueError(f"{self.model_name} trains on (source_text, target_text) string pairs; the dataset "
                                 f"yields {spec}.")
            return x
        if y is None:
            raise ValueError(f"{self.model_name}.fit needs targets: fit(source_texts, target_texts) or a dataset of "
                             "(source_text, target_text) pairs.")
        x, y = _strings(x), _strings(y)
        if len(x) != len(y):
            raise ValueError(f"got {len(x)} source texts but {len(y)} target texts; they must pair up.")
        return tf.data.Dataset.from_tensor_slices((x, y))

    def _ids(self, pairs: tf.data.Dataset, batch_size: int, shuffle: bool) -> tf.data.Dataset:
        """Batches of ``((source_ids, target_in), target_out)``: the decoder reads ``<s> y`` and predicts ``y </s>``."""
        if pairs.element_spec[0].shape.rank == 0:
            if shuffle:
                pairs = pairs.shuffle(10_000, seed=0, reshuffle_each_iteration=True)
            pairs = pairs.batch(batch_size)

        def encode(sources, targets):
            target = self.target_codec.encode(targets, start=True, end=True)
            return (self.source_codec.encode(sources, end=True), target[:, :-1]), target[:, 1:]

        return pairs.map(encode, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    def _ensure_vocabularies(self, pairs: tf.data.Dataset) -> None:
        if self.network is None:
            sources, targets = [], []
            for source, target in pairs.unbatch() if pairs.element_spec[0].shape.rank else pairs:
                sources.append(source.numpy())
                targets.append(target.numpy())
            self.adapt(sources, targets)

    # --- training --------------------------------------------------------------------------------

    def compile(self, optimizer=None, *, label_smoothing: float = 0.0, **kwargs):
        """Adam (1e-3) by default; ``label_smoothing`` as in the Transformer paper (0.1) if wanted."""
        self.label_smoothing = float(label_smoothing)
        super().compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), **kwargs)

    def _token_terms(self, data, training: bool):
        (source, target_in), target_out = data
        logits = self.network((source, target_in), training=training)
        mask = tf.cast(tf.not_equal(target_out, PAD_ID), "float32")
        labels = tf.one_hot(target_out, tf.shape(logits)[-1])
        per_token = keras.losses.categorical_crossentropy(labels, logits, from_logits=True,
                                                          label_smoothing=self.label_smoothing)
        correct = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=target_out.dtype), target_out), "float32")
        loss = tf.reduce_sum(per_token * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)
        return loss, per_token, correct, mask

    def _track(self, per_token, correct, mask):
        # Token-weighted means: under tf.distribute the trackers aggregate over every replica's tokens.
        self.trackers["loss"].update_state(per_token, sample_weight=mask)
        self.trackers["token_accuracy"].update_state(correct, sample_weight=mask)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss, per_token, correct, mask = self._token_terms(data, training=True)
            # Replicas' gradients are summed: divide inside the tape so the gradient is the mean.
            scaled = loss / tf.distribute.get_strategy().num_replicas_in_sync
        variables = self.network.trainable_variables
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        return self._track(per_token, correct, mask)

    def test_step(self, data):
        _, per_token, correct, mask = self._token_terms(data, training=False)
        return self._track(per_token, correct, mask)

    def fit(self, x=None, y=None, *, batch_size: int = 64, validation_data=None, shuffle: bool = True, **kwargs):
        """Train on ``(source_texts, target_texts)`` (two lists of strings) or a ``tf.data.Dataset`` of
        string pairs (unbatched: batched here by ``batch_size``; batched: kept). ``validation_data``
        takes the same forms (a pair of lists, or a dataset). Compiles with the defaults if needed."""
        pairs = self._pairs(x, y)
        self._ensure_vocabularies(pairs)
        if not self.compiled:
            self.compile()
        if validation_data is not None:
            validation = validation_data if isinstance(validation_data, tf.data.Dataset) else self._pairs(*validation_data)
            validation_data = self._ids(validation, batch_size, shuffle=False)
        # Shuffling happens in the pipeline (before batching); Keras' own flag does not apply to datasets.
        return super().fit(self._ids(pairs, batch_size, shuffle), validation_data=validation_data, shuffle=False,
                           **kwargs)

    def evaluate(self, x=None, y=None, *, batch_size: int = 64, **kwargs):
        """Masked loss and token accuracy (teacher forcing) on text pairs; see ``exact_match`` for whole outputs."""
        if not self.compiled:
            self.compile()
        if not (isinstance(x, tf.data.Dataset) and isinstance(x.element_spec[0], tuple)):  # not yet token ids
            x = self._ids(self._pairs(x, y), batch_size, shuffle=False)
        return super().evaluate(x, **kwargs)

    # --- decoding --------------------------------------------------------------------------------

    def _last_log_probs(self, state, prefix):
        logits, _ = self.network.decode(prefix, state)
        logits = tf.cast(logits[:, -1], "float32")
        # Padding and the start token are never outputs (a converted checkpoint may score them).
        never = tf.one_hot([PAD_ID, START_ID], tf.shape(logits)[-1], on_value=-1e9, off_value=0.0)
        return tf.nn.log_softmax(logits + tf.reduce_sum(never, axis=0))

    def translate(self, texts: str | Sequence[str], *, method: str = "greedy", beam_size: int = 4,
                  max_length: int | None = None, length_penalty: float = 0.0, batch_size: int = 128,
                  unknown: str = "error") -> str | list[str]:
        """Translate each text; ``method="beam"`` keeps ``beam_size`` hypotheses (``length_penalty``
        alpha divides scores by length**alpha). Output stops at ``max_length`` tokens.

        ``texts``: one string (one string back) or a list of strings (an empty list gives []);
        bytes are read as UTF-8. A character-level model refuses characters its vocabulary
        lacks (it would misread them): ``unknown="ignore"`` translates anyway, reading them as
        its unknown token. Word and SentencePiece models always read unknown words that way.

        >>> import zoo
        >>> zoo.load("seq2seq_attention.dates").translate(["march 3rd, 2021"])
        ['2021-03-03']
        """
        where = f"{self.full_name}.translate"
        if method not in METHODS:
            raise ValueError(f"{where}: method must be one of {METHODS}; got {method!r}.")
        if unknown not in UNKNOWN_POLICIES:
            raise ValueError(f"{where}: unknown must be one of {UNKNOWN_POLICIES}; got {unknown!r}.")
        beam_size = preprocessing.whole_number(beam_size, "beam_size", name=where)
        batch_size = preprocessing.whole_number(batch_size, "batch_size", name=where)
        if max_length is not None:
            max_length = preprocessing.whole_number(max_length, "max_length (output tokens)", name=where)
        if isinstance(length_penalty, bool) or not isinstance(length_penalty, (int, float, np.number)):
            raise TypeError(f"{where}: length_penalty must be a number (0 = none); got {length_penalty!r}.")
        if not np.isfinite(length_penalty):
            raise ValueError(f"{where}: length_penalty must be finite (0 = none); got {length_penalty!r}.")
        single = isinstance(texts, (str, bytes))
        texts = _texts_to_translate([texts] if single else texts, where)
        if not texts:
            return []
        if self.network is None:
            raise ValueError(f"{where}: {self.model_name} has no vocabulary yet; fit() it on text pairs (or adapt()) "
                             "first.")
        if unknown == "error" and self.source_codec.level == "char":
            self._refuse_unknown_characters(texts, where)
        max_length = max_length or self.max_output_length
        positions = getattr(self.network, "max_positions", None)  # the transformer's position table
        if positions is not None:
            max_length = min(max_length, positions - 1)  # the decoder reads <s> + the output so far
        outputs: list[str] = []
        for first in range(0, len(texts), batch_size):
            chunk = texts[first:first + batch_size]
            source = self.source_codec.encode(chunk, end=True)
            if positions is not None and source.shape[1] > positions:
                longest = max(range(len(chunk)), key=lambda i: len(self.source_codec.ids(chunk[i])))
                raise ValueError(f"text {first + longest} is {source.shape[1] - 1} tokens long; this "
                                 f"{self.model_name} reads at most {positions - 1} (+ the end token). Split it, "
                                 f"or build the model with a larger max_length.")
            state = self._encode(source)
            if method == "greedy":
                ids = decoding.greedy(lambda prefix: self._next_log_probs(state, prefix).numpy(), len(chunk),
                                      max_length, start_id=START_ID, end_id=END_ID)
            else:
                tiled = tf.nest.map_structure(lambda t: tf.repeat(t, beam_size, axis=0), state)
                ids = decoding.beam_search(lambda prefix: self._next_log_probs(tiled, prefix).numpy(), len(chunk),
                                           max_length, beam_size=beam_size, start_id=START_ID, end_id=END_ID,
                                           length_penalty=length_penalty)
            outputs.extend(self.target_codec.decode(ids))
        return outputs[0] if single else outputs

    def _refuse_unknown_characters(self, texts: list[str], where: str) -> None:
        codec = self.source_codec
        for index, text in enumerate(texts):
            unread = sorted({piece for piece, i in zip(codec.split(text), codec.ids(text)) if i == UNKNOWN_ID})
            if unread:
                known = "".join(codec.tokens[len(SPECIALS):])
                raise ValueError(
                    f"{where}: text {index} ({text!r}) has characters this model's vocabulary lacks: "
                    f"{', '.join(map(repr, unread))}; it reads only {known!r}"
                    f"{' (after lowercasing)' if codec.lowercase else ''}. Remove or replace them, or pass "
                    "unknown='ignore' to translate anyway (they are read as the unknown token)."
                )

    def exact_match(self, sources: Sequence[str], targets: Sequence[str], **translate_kwargs) -> float:
        """The fraction of ``sources`` translated to exactly their ``targets`` (characters the vocabulary
        lacks are read as unknown, not refused: a held-out score counts them as the model's problem)."""
        translate_kwargs.setdefault("unknown", "ignore")
        predictions = self.translate(list(sources), **translate_kwargs)
        return float(np.mean([p == t for p, t in zip(predictions, _strings(targets))]))

    # --- attention -------------------------------------------------------------------------------

    def attention_tokens(self, text: str, target: str | None = None) -> tuple[list[str], list[str]]:
        """The row labels (output tokens, then ``</s>``) and column labels (source tokens, then ``</s>``)
        of ``attention(text, target)``."""
        target = self.translate([text])[0] if target is None else target
        rows = self.target_codec.token_strings(self.target_codec.ids(target)) + ["</s>"]
        columns = self.source_codec.token_strings(self.source_codec.ids(text)) + ["</s>"]
        return rows, columns

    def attention(self, text: str, target: str | None = None) -> np.ndarray:
        """The decoder's attention over ``text`` while writing ``target`` (default: its own translation):
        a (target tokens + 1, source tokens + 1) matrix whose rows sum to 1."""
        target = self.translate([text])[0] if target is None else target
        source = self.source_codec.encode([text], end=True)
        target_in = self.target_codec.encode([target], start=True)
        _, weights = self.network.decode(target_in, self.network.encode(source))
        return np.asarray(weights[0], "float32")

    def attention_map(self, text: str, path: str | Path, target: str | None = None) -> Path:
        """Write a PNG heatmap of ``attention(text, target)``, source tokens across, output tokens down."""
        target = self.translate([text])[0] if target is None else target
        matrix = self.attention(text, target)
        rows, columns = self.attention_tokens(text, target)
        shown = lambda tokens: ["␣" if t == " " else t for t in tokens]  # noqa: E731  (spaces visible)
        figure, axes = plots.subplots(figsize=(max(4.0, 0.32 * len(columns) + 1.5), max(3.0, 0.32 * len(rows) + 1.5)))
        image = axes.imshow(matrix, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
        axes.set_xticks(range(len(columns)), shown(columns), rotation=90)
        axes.set_yticks(range(len(rows)), shown(rows))
        axes.set_xlabel("source")
        axes.set_ylabel("output")
        axes.set_title(f"{self.model_name}: {text!r} -> {target!r}", fontsize=9)
        figure.colorbar(image, ax=axes, fraction=0.04)
        return plots.save(figure, path, dpi=120)
