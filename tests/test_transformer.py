"""transformer: sizes and layout options, position encodings, and the bundled dates weights.
Shared behaviour (training, decoding, masks, attention, saving): tests/test_translation.py."""

import numpy as np
import pytest

import zoo
from zoo.datasets import dates
from zoo.models.transformer import SIZES, sinusoids


def test_base_size_is_the_papers():
    assert SIZES["base"] == dict(d_model=512, num_heads=8, ff_dim=2048, num_encoder_layers=6, num_decoder_layers=6)
    model = zoo.create("transformer", size="tiny")
    assert len(model.network.encoder_layers) == len(model.network.decoder_layers) == 2
    assert model.network.decoder_layers[0].cross_attention.num_heads == 4


def test_sinusoid_layouts():
    table = sinusoids(5, 8)
    np.testing.assert_allclose(table[3, 0:2], [np.sin(3.0), np.cos(3.0)], rtol=1e-6)
    np.testing.assert_allclose(table[3, 2], np.sin(3 / 10000 ** (2 / 8)), rtol=1e-6)
    halves = sinusoids(5, 8, "halves")
    np.testing.assert_allclose(halves[3, [0, 4]], [np.sin(3.0), np.cos(3.0)], rtol=1e-6)
    np.testing.assert_allclose(halves[3, 1], table[3, 2], rtol=1e-6)


@pytest.mark.parametrize("options", [
    dict(norm="pre", positions="learned"),
    dict(share_embeddings=True, tie_output=True, sinusoid_layout="halves", activation="swish", scale_embedding=False),
])
def test_layout_options_train(options):
    model = zoo.create("transformer", size="tiny", d_model=16, ff_dim=32, dropout=0.0, **options)
    history = model.fit(["ab", "cd", "ef", "gh"], ["ba", "dc", "fe", "hg"], batch_size=4, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    if options.get("tie_output"):
        assert model.network.logits.embedding is model.network.source_embedding.tokens
        assert model.network.target_embedding.tokens is model.network.source_embedding.tokens
    if options.get("norm") == "pre":
        assert model.network.encoder_norm is not None


@pytest.mark.parametrize("options, message", [
    (dict(size="huge"), "size must be one of"),
    (dict(d_model=30, num_heads=4), r"d_model \(30\) must be divisible by num_heads \(4\)"),
    (dict(norm="sandwich"), "norm must be one of"),
    (dict(share_embeddings=True, source_vocabulary=["a"], target_vocabulary=["b", "c"]), "share_embeddings needs one"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        zoo.create("transformer", **{"size": "tiny", **options})


def test_bundled_dates_weights_translate_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = zoo.load("transformer.dates")
    assert model.translate(["march 3rd, 2021"]) == ["2021-03-03"]
    recorded = zoo.info("transformer")["weights"]["dates"]["metrics"]["dates_heldout_exact_match"]
    assert recorded >= 0.98
    _, (test_x, test_y) = dates.splits(20_000, 2_000, seed=0)
    assert model.exact_match(test_x[:400], test_y[:400]) >= recorded - 0.02


def test_texts_longer_than_the_position_table_are_refused_clearly():
    model = zoo.create("transformer", size="tiny", d_model=16, max_length=12, max_output_length=50)
    assert len(model.translate(["short"], method="beam", beam_size=2)[0]) <= 11  # outputs capped at 11 tokens
    with pytest.raises(ValueError, match=r"text 1 is 20 tokens long; this transformer reads at most 11"):
        model.translate(["ok", "x" * 20])
