"""TF Hub handles: the compressed SavedModel, unpacked safely, loaded as a Keras 3 layer.

``hub.KerasLayer`` does not work inside Keras 3 models, so a SavedModel is
loaded with ``keras.layers.TFSMLayer``. The archive is fetched like any weights
file (cache, mirror, hash check, lock) and unpacked with tarfile's ``data``
filter, which refuses absolute paths, ``..`` and links that leave the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from zoo import manifest
from zoo.hub import cache, fetch, integrity, trust_on_first_use
from zoo.hub.errors import WeightsFormatError
from zoo.hub.sources import handle_url  # noqa: F401  (part of this module's interface)

RECORD = "zoo-unpacked.json"  # sha256 of the archive and of every file unpacked from it


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): integrity.file_hashes(p, ("sha256",))["sha256"]
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != RECORD}


def _still_intact(destination: Path, archive_sha256: str) -> bool:
    """An earlier unpacking of this very archive whose files are unchanged."""
    try:
        record = json.loads((destination / RECORD).read_text())
    except (OSError, ValueError):
        return False
    return (isinstance(record, dict) and record.get("archive_sha256") == archive_sha256
            and record.get("files") == tree_hashes(destination))


def unpack(archive: Path, destination: Path) -> Path:
    """Unpack ``archive`` into ``destination`` atomically; refuse members that escape it.

    A folder unpacked before is reused only when it came from this archive and none of
    its files changed since; otherwise it is replaced (it is zoo's own, under ``$ZOO_CACHE``).
    """
    archive_sha256 = integrity.file_hashes(archive, ("sha256",))["sha256"]
    if _still_intact(destination, archive_sha256):
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".tmp-"))
    try:
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(temp, filter="data")
        except tarfile.FilterError as error:
            raise WeightsFormatError(f"{archive}: refused, a member would be unpacked unsafely ({error})") from None
        except (tarfile.TarError, EOFError, OSError) as error:
            raise WeightsFormatError(f"{archive} is not a readable tar archive ({type(error).__name__}: {error})") from None
        if not (temp / "saved_model.pb").is_file():
            raise WeightsFormatError(f"{archive} holds no saved_model.pb at its top level")
        (temp / RECORD).write_text(json.dumps({"archive_sha256": archive_sha256, "files": tree_hashes(temp)}))
        shutil.rmtree(destination, ignore_errors=True)
        os.replace(temp, destination)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return destination


def saved_model_dir(model: str, tag: str) -> Path:
    """The unpacked SavedModel of a ``tf_saved_model`` weights entry (fetched when needed)."""
    entry = manifest.entry(model, tag)
    if entry.format != "tf_saved_model":
        raise ValueError(f"{model}.{tag} is not a TF SavedModel entry (format {entry.format!r})")
    with cache.lock(model, tag), trust_on_first_use():  # pinned only if it unpacks to a SavedModel
        archive = fetch(entry.file)
        return unpack(archive, cache.downloads_dir(model, tag) / "saved_model")


def saved_model_layer(model: str, tag: str, call_endpoint: str = "serving_default"):
    """A ``keras.layers.TFSMLayer`` for a TF Hub / SavedModel weights entry.

    >>> layer = saved_model_layer("resnet50", "my_tfhub_tag")  # doctest: +SKIP
    >>> outputs = layer(images)                                 # doctest: +SKIP
    """
    # lazy: TensorFlow only when a layer is built; keeps `import zoo` TF-free
    import keras
    import tensorflow as tf

    path = str(saved_model_dir(model, tag))
    if isinstance(tf.distribute.get_strategy(), tf.distribute.TPUStrategy):
        # On a TPU VM the SavedModel lives on the host's disk, not the TPU workers'.
        with tf.device("/job:localhost"):
            return keras.layers.TFSMLayer(path, call_endpoint=call_endpoint)
    return keras.layers.TFSMLayer(path, call_endpoint=call_endpoint)
