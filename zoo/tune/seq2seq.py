"""The seq2seq_attention space: embedding width, RNN units, GRU or LSTM encoder, dropout, optimiser."""

from __future__ import annotations

from zoo.tune.translation import TranslationSpace


class Seq2SeqHyperModel(TranslationSpace):
    MODEL = "seq2seq_attention"

    def network(self, hp):
        return {"embedding_dim": hp.Choice("embedding_dim", [16, 32, 64]),
                "units": hp.Choice("units", [32, 64, 128]),
                "cell": hp.Choice("cell", ["gru", "lstm"]),
                "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1)}
