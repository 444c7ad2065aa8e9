"""MarianMT -> transformer: a tiny random Marian checkpoint, converted, reproduces transformers' forward pass."""

import json

import numpy as np
import pytest

import zoo
from zoo.hub.convert import marian
from zoo.hub.layer_weights import assign_layer_weights

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

VOCAB = 40


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A randomly initialised Marian model in the Hub layout (config.json + model.safetensors)."""
    config = transformers.MarianConfig(
        vocab_size=VOCAB, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=64,
        pad_token_id=VOCAB - 1, eos_token_id=0, decoder_start_token_id=VOCAB - 1, forced_eos_token_id=None,
        activation_function="swish", scale_embedding=True, init_std=0.3)  # large weights: every term matters
    torch.manual_seed(0)
    model = transformers.MarianMTModel(config).eval()
    with torch.no_grad():  # random, non-zero biases and norms, so a swapped tensor cannot hide
        for name, tensor in model.named_parameters():
            if name.endswith("bias") or "layer_norm" in name:
                tensor.add_(torch.randn_like(tensor) * 0.1)
    directory = tmp_path_factory.mktemp("opus-mt-tiny")
    model.save_pretrained(directory)
    return model, directory


def converted(directory):
    from safetensors.numpy import load_file

    config = json.loads((directory / "config.json").read_text())
    order = marian.vocabulary_order(config)
    pieces = [f"piece{i}" for i in range(len(order) - 4)]  # stand-ins for vocab.json's pieces
    model = zoo.create("transformer", **marian.transformer_config(config), source_vocabulary=pieces,
                       target_vocabulary=pieces)
    fresh = assign_layer_weights(model.network, marian.layer_weights(load_file(str(directory / "model.safetensors")),
                                                                     config, model.network))
    assert fresh == []
    return model, order


def test_converted_checkpoint_reproduces_the_reference_forward_pass(checkpoint):
    reference, directory = checkpoint
    model, order = converted(directory)
    ours_of = {int(marian_id): index for index, marian_id in reversed(list(enumerate(order)))}  # pad -> 0
    rng = np.random.default_rng(0)
    source = rng.integers(1, VOCAB - 1, (3, 9))
    source[1, 6:] = VOCAB - 1  # padded
    source[:, 5] = 0  # </s> mid-sentence is fine for a forward pass
    target = np.concatenate([np.full((3, 1), VOCAB - 1), rng.integers(1, VOCAB - 1, (3, 6))], axis=1)
    with torch.no_grad():
        expected = reference(input_ids=torch.tensor(source), attention_mask=torch.tensor(source != VOCAB - 1),
                             decoder_input_ids=torch.tensor(target)).logits.numpy()
    our_source = np.vectorize(ours_of.get)(source)
    our_target = np.vectorize(ours_of.get)(target)
    our_target[:, 0] = 2  # zoo's start token (its row is Marian's pad row)
    logits = np.asarray(model.network((our_source, our_target)))
    np.testing.assert_allclose(logits, expected[..., order], rtol=1e-4, atol=1e-4)
    assert np.abs(expected).max() > 0.1  # the comparison is not between two near-zero tensors


def test_greedy_decoding_matches_transformers_generate(checkpoint):
    reference, directory = checkpoint
    model, order = converted(directory)
    ours_of = {int(marian_id): index for index, marian_id in reversed(list(enumerate(order)))}
    source = np.array([[5, 9, 17, 3, 0]])
    with torch.no_grad():
        generated = reference.generate(torch.tensor(source), max_new_tokens=8, num_beams=1, do_sample=False).numpy()
    state = model.network.encode(np.vectorize(ours_of.get)(source))
    ids = zoo.tasks.decoding.greedy(lambda prefix: model._next_log_probs(state, prefix).numpy(), 1, 8,
                                    start_id=2, end_id=3)
    theirs = [int(t) for t in generated[0, 1:]]
    ours = [int(order[t]) for t in ids[0] if t != 0]
    assert ours == theirs[: len(ours)] and len(ours) >= min(len(theirs), 8)


def test_config_mapping_refuses_what_it_cannot_express():
    good = {"model_type": "marian", "encoder_attention_heads": 8, "decoder_attention_heads": 8, "encoder_ffn_dim": 2048,
            "decoder_ffn_dim": 2048, "d_model": 512, "encoder_layers": 6, "decoder_layers": 6,
            "max_position_embeddings": 512, "activation_function": "swish", "scale_embedding": True}
    assert marian.transformer_config(good)["sinusoid_layout"] == "halves"
    with pytest.raises(ValueError, match="not a MarianMT config"):
        marian.transformer_config({**good, "model_type": "bart"})
    with pytest.raises(ValueError, match="one head count"):
        marian.transformer_config({**good, "decoder_attention_heads": 4})
