"""TF Hub handles: compressed SavedModel fetched from 127.0.0.1, unpacked safely, run as a Keras 3 TFSMLayer."""

import io
import tarfile

import keras
import numpy as np
import pytest

import zoo
from tests.servers import LocalServer
from tests.weights_helpers import entry, use_manifest
from zoo.hub import tfhub
from zoo.hub.errors import WeightsFormatError


def _tar_gz(folder) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(folder)), recursive=False)
    return buffer.getvalue()


def test_tfhub_handle_loads_as_tfsm_layer(zoo_env, monkeypatch):
    inputs = keras.Input((8,))
    original = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(16)(inputs)))
    original.export(str(zoo_env / "exported"), format="tf_saved_model", verbose=False)
    archive = _tar_gz(zoo_env / "exported")
    with LocalServer() as server:
        server.add("google/zoo-test/classifier/1", archive)
        use_manifest(monkeypatch, zoo_env / "m.json", {"nin": {"tags": {"hub": entry(
            {"tfhub": f"{server.url}/google/zoo-test/classifier/1"}, archive, "tf_saved_model")}}})
        layer = tfhub.saved_model_layer("nin", "hub")
        assert server.gets["/google/zoo-test/classifier/1"] == 1
    x = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    served = layer(x)
    served = next(iter(served.values())) if isinstance(served, dict) else served
    np.testing.assert_allclose(np.asarray(served), original.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(zoo.WeightsNotAvailableError, match="saved_model_layer"):
        zoo.load("nin.hub")


def test_archive_members_cannot_escape_the_cache(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        payload = b"not yours"
        info = tarfile.TarInfo("../escaped.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(buffer.getvalue())
    with pytest.raises(WeightsFormatError, match="outside the destination"):
        tfhub.unpack(archive, tmp_path / "cache" / "saved_model")
    assert not (tmp_path / "cache" / "escaped.txt").exists() and not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "cache" / "saved_model").exists()


def test_handle_urls():
    assert tfhub.handle_url("google/imagenet/resnet_v1_50/feature_vector/5") == (
        "https://tfhub.dev/google/imagenet/resnet_v1_50/feature_vector/5?tf-hub-format=compressed"
    )
