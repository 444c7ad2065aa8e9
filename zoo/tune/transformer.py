"""The Transformer space: width, heads, FFN width, encoder and decoder depth, pre/post norm, dropout, optimiser."""

from __future__ import annotations

from zoo.tune.translation import TranslationSpace


class TransformerHyperModel(TranslationSpace):
    MODEL = "transformer"

    def network(self, hp):
        return {"size": "tiny",
                "d_model": hp.Choice("d_model", [32, 64, 128]),
                "num_heads": hp.Choice("num_heads", [2, 4]),  # divides every d_model choice
                "ff_dim": hp.Choice("ff_dim", [64, 128, 256]),
                "num_encoder_layers": hp.Int("encoder_layers", 1, 3),
                "num_decoder_layers": hp.Int("decoder_layers", 1, 3),
                "norm": hp.Choice("norm", ["post", "pre"]),
                "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1)}
