"""push_to_hub / `zoo push` against a real HTTP server on 127.0.0.1 speaking the Hub's upload and resolve
protocols (tests/servers.py), then zoo.load("hf://...") back through zoo's download path."""

import json
import logging
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import zoo
from tests.servers import LocalServer

TOKEN = "hf_zooTestTokenThatMustNeverBeWritten42"
RAW = np.random.default_rng(3).uniform(0, 255, (2, 32, 32, 1)).astype("float32")
ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def hub(zoo_env, monkeypatch):
    with LocalServer(hf=True) as server:
        server.write_token = TOKEN
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def small_classifier():
    return zoo.create("resnet18", num_classes=3, input_shape=(32, 32, 1), base_width=8)


def scores(model) -> np.ndarray:
    return model.predict(model.preprocess(RAW), verbose=0)


def files_under(*roots: pathlib.Path):
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                yield path


def test_push_then_load_gives_identical_outputs_and_a_real_card(hub, zoo_env, caplog, capsys):
    model = small_classifier()
    model.compile()
    labels = np.arange(len(RAW)) % 3
    _, accuracy = model.evaluate(model.preprocess(RAW), labels, verbose=0)  # a measured figure for the card
    caplog.set_level(logging.DEBUG)
    result = model.push_to_hub("alice/resnet18-bars", token=TOKEN, metrics={"accuracy": accuracy},
                               metrics_command="model.evaluate(model.preprocess(RAW), labels)")
    assert set(hub.repos) == {"alice/resnet18-bars"}
    assert f"Bearer {TOKEN}" in hub.authorizations  # the token was used ...
    pushed = {key.rsplit("/", 1)[-1] for key in hub.files if "/resolve/main/" in key}
    assert pushed == {"README.md", "config.json", "manifest.json", "model.weights.h5", "preprocessor.json"}
    # ... the card passed the server's metadata validation and carries the given metrics ...
    assert hub.cards and hub.cards[-1]["library_name"] == "keras" and not hub.invalid_cards
    card = hub.files["/alice/resnet18-bars/resolve/main/README.md"].decode()
    assert f"| accuracy | {accuracy:.4g} |" in card and 'zoo.load("hf://alice/resnet18-bars")' in card
    assert "Measured by: model.evaluate(model.preprocess(RAW), labels)" in card

    latest = zoo.load("hf://alice/resnet18-bars")
    pinned = zoo.load(result["load"])
    np.testing.assert_array_equal(scores(latest), scores(model))
    np.testing.assert_array_equal(scores(pinned), scores(model))
    assert result["load"] == f"hf://alice/resnet18-bars@{result['commit']}"

    # ... and it is nowhere: not in files zoo or huggingface_hub wrote, not in logs or output.
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err + caplog.text
    for path in files_under(zoo_env):
        assert TOKEN.encode() not in path.read_bytes(), path


def test_zoo_push_cli_reads_hf_token_and_writes_a_pinned_manifest(hub, zoo_env, monkeypatch):
    model = small_classifier()
    folder = model.save_preset(zoo_env / "preset")
    env = dict(os.environ, HF_TOKEN=TOKEN)
    manifest = zoo_env / "pushed.json"
    proc = subprocess.run([sys.executable, "-m", "zoo.cli", "push", str(folder), "bob/bars", "--manifest",
                           str(manifest)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr and f"Bearer {TOKEN}" in hub.authorizations
    assert TOKEN not in manifest.read_text()
    entry = json.loads(manifest.read_text())["models"]["resnet18"]["tags"]["preset"]
    commit = hub.commits["/bob/bars/resolve/main/"]
    assert entry["source"] == {"hf_repo": "bob/bars", "hf_file": "model.weights.h5", "revision": commit}
    # A manifest entry with hf_repo loads the preset as a named tag, through the cache.
    monkeypatch.setenv("ZOO_MANIFEST", str(manifest))
    np.testing.assert_array_equal(scores(zoo.load("resnet18.preset")), scores(model))
    gets = sum(hub.gets.values())
    np.testing.assert_array_equal(scores(zoo.load("resnet18.preset")), scores(model))
    assert sum(hub.gets.values()) == gets  # warm: verified files from the cache, no download


def test_push_to_a_branch_loads_from_that_revision(hub):
    first, second = small_classifier(), small_classifier()  # two random initialisations
    first.push_to_hub("alice/two", token=TOKEN)
    second.push_to_hub("alice/two", token=TOKEN, revision="dev")
    np.testing.assert_array_equal(scores(zoo.load("hf://alice/two@dev")), scores(second))
    np.testing.assert_array_equal(scores(zoo.load("hf://alice/two")), scores(first))


def test_rejected_token_is_a_clear_error_without_the_token(hub):
    hub.write_token = "hf_the_right_one"
    with pytest.raises(zoo.PushError, match="HTTP 401.*HF_TOKEN") as caught:
        small_classifier().push_to_hub("alice/nope", token=TOKEN)
    assert TOKEN not in str(caught.value)


def test_damaged_preset_is_not_published(hub, zoo_env):
    folder = small_classifier().save_preset(zoo_env / "preset")
    config = folder / "config.json"
    config.write_text(config.read_text().replace('"num_classes": 3', '"num_classes": 4'))
    with pytest.raises(zoo.WeightsIntegrityError, match="config.json"):
        from zoo.push import push_preset

        push_preset(folder, "alice/broken", token=TOKEN)
    assert not hub.repos and not hub.authorizations  # refused before any request


def test_tampered_download_is_refused(hub, zoo_env):
    small_classifier().push_to_hub("alice/r", token=TOKEN)
    key = "/alice/r/resolve/main/model.weights.h5"
    hub.files[key] = hub.files[key][:-10] + b"x" * 10  # the server now serves other bytes than the manifest's sha256
    with pytest.raises(zoo.WeightsIntegrityError):
        zoo.load("hf://alice/r")
