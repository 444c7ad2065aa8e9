"""TF Hub handles: the compressed SavedModel, unpacked safely, loaded as a Keras 3 layer.

``hub.KerasLayer`` does not work inside Keras 3 models, so a SavedModel is
loaded with ``keras.layers.TFSMLayer``. The archive is fetched like any weights
file (cache, mirror, hash check, lock) and unpacked with tarfile's ``data``
filter, which refuses absolute paths, ``..`` and links that leave the folder.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from zoo.hub import cache, sources

TFHUB_BASE = "https://tfhub.dev/"


def handle_url(handle: str) -> str:
    """A handle ("google/.../5" or a full URL) -> the URL of its compressed download."""
    url = handle if handle.startswith(("http://", "https://")) else TFHUB_BASE + handle.lstrip("/")
    return url + ("&" if "?" in url else "?") + "tf-hub-format=compressed"


def fetch(handle: str, directory: Path, known_hash: str | None) -> Path:
    return sources.download_url(handle_url(handle), directory / "saved_model.tar.gz", known_hash)


def unpack(archive: Path, destination: Path) -> Path:
    """Unpack ``archive`` into ``destination`` atomically; refuse members that escape it."""
    if (destination / "saved_model.pb").is_file():
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".tmp-"))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(temp, filter="data")
        if not (temp / "saved_model.pb").is_file():
            raise ValueError(f"{archive} holds no saved_model.pb at its top level")
        shutil.rmtree(destination, ignore_errors=True)
        os.replace(temp, destination)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return destination


def saved_model_dir(model: str, tag: str) -> Path:
    """The unpacked SavedModel of a ``tf_saved_model`` weights entry (fetched when needed)."""
    from zoo import hub, manifest

    entry: dict[str, Any] = manifest.entry(model, tag)
    if entry.get("format") != "tf_saved_model":
        raise ValueError(f"{model}.{tag} is not a TF SavedModel entry (format {entry.get('format')!r})")
    with cache.lock(model, tag):
        archive = hub.fetch(model, tag, entry)
        return unpack(archive, cache.downloads_dir(model, tag) / "saved_model")


def saved_model_layer(model: str, tag: str, call_endpoint: str = "serving_default"):
    """A ``keras.layers.TFSMLayer`` for a TF Hub / SavedModel weights entry.

    >>> layer = saved_model_layer("resnet50", "my_tfhub_tag")  # doctest: +SKIP
    >>> outputs = layer(images)                                 # doctest: +SKIP
    """
    import keras
    import tensorflow as tf

    path = str(saved_model_dir(model, tag))
    if isinstance(tf.distribute.get_strategy(), tf.distribute.TPUStrategy):
        # On a TPU VM the SavedModel lives on the host's disk, not the TPU workers'.
        with tf.device("/job:localhost"):
            return keras.layers.TFSMLayer(path, call_endpoint=call_endpoint)
    return keras.layers.TFSMLayer(path, call_endpoint=call_endpoint)
