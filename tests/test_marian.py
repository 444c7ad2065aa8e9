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


CORPUS = ["the cat sat on the mat", "a dog ran in the park", "the bird sang a song", "cats and dogs play",
          "le chat est sur le tapis", "un chien court dans le parc"] * 20


@pytest.fixture(scope="module")
def hub_checkpoint(tmp_path_factory):
    """A tiny Marian checkpoint with every file of a Helsinki-NLP repo: config, vocab, two spm models, weights."""
    import io

    sentencepiece = pytest.importorskip("sentencepiece")
    directory = tmp_path_factory.mktemp("opus-mt-tiny-hub")
    pieces = []
    for name, text in (("source.spm", CORPUS[:4]), ("target.spm", CORPUS[4:6])):
        buffer = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(sentence_iterator=iter(text * 20), model_writer=buffer,
                                                 vocab_size=24, hard_vocab_limit=False, minloglevel=2)
        (directory / name).write_bytes(buffer.getvalue())
        processor = sentencepiece.SentencePieceProcessor(model_proto=buffer.getvalue())
        pieces += [processor.id_to_piece(i) for i in range(3, processor.get_piece_size())]
    ordered = ["</s>", "<unk>"] + sorted(set(pieces)) + ["<pad>"]  # Marian's layout: eos 0, unk 1, pad last
    (directory / "vocab.json").write_text(json.dumps({piece: i for i, piece in enumerate(ordered)}))
    config = transformers.MarianConfig(
        vocab_size=len(ordered), d_model=16, encoder_layers=1, decoder_layers=2, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=24, decoder_ffn_dim=24, max_position_embeddings=32,
        pad_token_id=len(ordered) - 1, eos_token_id=0, decoder_start_token_id=len(ordered) - 1,
        forced_eos_token_id=None, activation_function="swish", scale_embedding=True, init_std=0.3)
    torch.manual_seed(1)
    model = transformers.MarianMTModel(config).eval()
    model.save_pretrained(directory)
    torch.save(model.state_dict(), directory / "pytorch_model.bin")  # the file older opus-mt repos publish
    tokenizer = transformers.MarianTokenizer(source_spm=str(directory / "source.spm"),
                                             target_spm=str(directory / "target.spm"), vocab=str(directory / "vocab.json"))
    return model, tokenizer, directory


@pytest.mark.parametrize("weights_file", ["model.safetensors", "pytorch_model.bin"])
def test_zoo_load_fetches_a_marian_repo_from_a_local_hub_and_translates_like_transformers(
        zoo_env, monkeypatch, hub_checkpoint, weights_file):
    from tests.servers import LocalServer
    from tests.weights_helpers import entry, use_manifest

    reference, tokenizer, directory = hub_checkpoint
    repo = "zoo-tests/opus-mt-tiny"
    files = {name: (directory / name).read_bytes() for name in ("config.json", "vocab.json", "source.spm", "target.spm")}
    with LocalServer(hf=True) as hub:
        for name, data in files.items():
            hub.add_hf(repo, name, data)
        weights = (directory / weights_file).read_bytes()
        hub.add_hf(repo, weights_file, weights)
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        import hashlib

        use_manifest(monkeypatch, zoo_env / "m.json", {"transformer": {"tags": {"tiny": entry(
            {"hf_repo": repo, "hf_file": weights_file}, weights, "marian",
            files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()})}}})
        model = zoo.load("transformer.tiny")
    texts = ["the cat sat on the mat", "dogs play in the park", "a bird"]
    # Tokenisation: MarianTokenizer's ids, in zoo's order.
    order = marian.vocabulary_order(reference.config.to_dict())
    expected_ids = tokenizer(texts)["input_ids"]
    for text, ids in zip(texts, expected_ids):
        assert [int(order[i]) for i in model.source_codec.ids(text) + [3]] == ids
    # Translation: transformers' greedy generate, decoded by MarianTokenizer.
    with torch.no_grad():
        batch = tokenizer(texts, return_tensors="pt", padding=True)
        generated = reference.generate(**batch, max_new_tokens=10, num_beams=1, do_sample=False)
    expected = tokenizer.batch_decode(generated, skip_special_tokens=True)
    assert model.translate(texts, max_length=10) == expected
    assert any(expected), expected  # random weights still write some pieces
    # The checkpoint's files are cached: a second load needs no hub.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    assert zoo.load("transformer.tiny").translate(texts, max_length=10) == expected
    if weights_file == "model.safetensors":  # once is enough for what follows
        # `zoo mirror` copies every file of the entry; a machine with only that mirror loads it.
        from zoo import loader, manifest

        copied = loader.mirror(manifest.entry("transformer", "tiny"), zoo_env / "mirror")
        assert sorted(p.name for p in copied) == sorted(["config.json", "vocab.json", "source.spm", "target.spm",
                                                          weights_file])
        monkeypatch.setenv("ZOO_MIRROR", str(zoo_env / "mirror"))
        monkeypatch.setenv("ZOO_CACHE", str(zoo_env / "fresh-cache"))
        monkeypatch.setenv("HF_HOME", str(zoo_env / "fresh-hf-home"))
        assert zoo.load("transformer.tiny").translate(texts, max_length=10) == expected
        # The SentencePiece models travel in .keras files.
        model.save(zoo_env / "marian.keras")
        assert zoo.load(str(zoo_env / "marian.keras")).translate(texts, max_length=10) == expected
        history = model.fit(texts, ["le chat", "un chien", "le parc"], batch_size=3, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])  # and it fine-tunes on text pairs


def test_a_marian_entry_must_list_its_files():
    from zoo import manifest

    good = {"source": {"hf_repo": "Helsinki-NLP/opus-mt-en-fr", "hf_file": "pytorch_model.bin"}, "sha256": "",
            "format": "marian", "license": "Apache-2.0", "notes": "pinned on first verified download",
            "files": {"config.json": "", "vocab.json": "", "source.spm": "", "target.spm": ""}}
    manifest.validate_entry("transformer", "opus", good)
    with pytest.raises(manifest.ManifestError, match="needs an hf_repo source and 'files'"):
        manifest.validate_entry("transformer", "opus", {**good, "files": {"config.json": ""}})
    with pytest.raises(manifest.ManifestError, match=r"files\['vocab.json'\] must be 64 hex digits"):
        manifest.validate_entry("transformer", "opus", {**good, "files": {**good["files"], "vocab.json": "abc"}})
    shipped = zoo.info("transformer")["weights"]["opus_mt_en_fr"]
    assert shipped["source"] == {"hf_repo": "Helsinki-NLP/opus-mt-en-fr", "hf_file": "pytorch_model.bin"}
