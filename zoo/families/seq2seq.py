"""Encoder-decoder RNN with additive attention (Bahdanau): text in, text out (zoo.tasks.translation)."""

from __future__ import annotations

from zoo.families import CHARACTER_TEXT, Family, ModelSpec

FAMILY = Family(
    name="seq2seq",
    models=(
        ModelSpec(
            name="seq2seq_attention",
            family="seq2seq",
            task="translation",
            builder="zoo.models.seq2seq_attention:build_seq2seq_attention",
            config={**CHARACTER_TEXT, "embedding_dim": 128, "units": 256, "cell": "gru", "dropout": 0.0},
            input_shape=(None,),
            min_input_size=1,
            params=1_725_155,
            description="Encoder-decoder RNN with additive attention: bidirectional GRU (or LSTM) encoder, GRU "
                        "decoder attending over the encoder states before each step.",
            paper="Bahdanau, Cho & Bengio, Neural Machine Translation by Jointly Learning to Align and Translate, "
                  "2014 (arXiv:1409.0473)",
            head_layers=(),
        ),
    ),
    search_spaces={"seq2seq": "zoo.tune.seq2seq:Seq2SeqHyperModel"},
)
