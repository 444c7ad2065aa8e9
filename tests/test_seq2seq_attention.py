"""seq2seq_attention: its own options, and the bundled dates weights. Shared behaviour: tests/test_translation.py."""

import numpy as np
import pytest

import zoo
from zoo.datasets import dates


def test_lstm_encoder_trains_and_translates():
    model = zoo.create("seq2seq_attention", cell="lstm", embedding_dim=8, units=16)
    assert model.network.encoder.forward_layer.__class__.__name__ == "LSTM"
    history = model.fit(["ab", "cd"], ["x", "y"], batch_size=2, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert isinstance(model.translate("ab", max_length=4), str)


def test_unknown_cell_is_refused():
    with pytest.raises(ValueError, match=r"cell must be one of \('gru', 'lstm'\); got 'rnn'"):
        zoo.create("seq2seq_attention", cell="rnn", embedding_dim=8, units=8)


def test_default_reads_printable_ascii():
    model = zoo.create("seq2seq_attention", embedding_dim=8, units=8)
    assert len(model.source_codec) == len(model.target_codec) == 99  # 95 characters + 4 specials
    assert model.build_config["cell"] == "gru"


def test_bundled_dates_weights_translate_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = zoo.load("seq2seq_attention.dates")
    assert model.translate(["march 3rd, 2021"]) == ["2021-03-03"]
    entry = zoo.info("seq2seq_attention")["weights"]["dates"]
    _, (test_x, test_y) = dates.splits(20_000, 2_000, seed=0)
    recorded = entry["metrics"]["dates_heldout_exact_match"]
    assert recorded >= 0.98
    # The first 400 held-out pairs (the whole set is measured by tools/train_dates.py).
    assert model.exact_match(test_x[:400], test_y[:400]) >= recorded - 0.02
