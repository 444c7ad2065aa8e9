"""Pretrained weights: fetch from hubs and mirrors, verify, cache, convert.

``pretrained_layer_weights(spec, tag, entry)`` is the one entry point the loader
uses. A warm call reads the converted file from the cache and touches no
network; a cold call takes the tag's file lock (so N processes download once),
fetches and verifies the raw file, converts it and caches the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.errors import WeightsNotAvailableError
from zoo.hub import cache, integrity, sources
from zoo.hub.errors import WeightsIntegrityError, WeightsMismatchError

if TYPE_CHECKING:
    from zoo.hub.layer_weights import LayerWeights
    from zoo.registry import ModelSpec

__all__ = ["WeightsIntegrityError", "WeightsMismatchError", "download", "fetch", "mirror", "pretrained_layer_weights"]

REMEDIES = (
    "To get these weights: run `zoo download {name}` on a machine with network access and copy "
    "$ZOO_CACHE (default ~/.cache/zoo) here; or fill a mirror there with `zoo mirror DIR {name}` and "
    "point ZOO_MIRROR at it (a directory or an http(s) URL); or, for Hugging Face sources, set "
    "HF_ENDPOINT to a reachable Hub mirror (HF_HUB_OFFLINE=1 uses only what is cached)."
)


def _cached_raw_file(model: str, tag: str, entry: dict[str, Any], expected: dict[str, str]) -> Path | None:
    """A previously downloaded file, if it still verifies (a bad one is deleted)."""
    path = cache.downloads_dir(model, tag) / sources.upstream_file_name(entry)
    if not path.is_file() or not expected:
        path.unlink(missing_ok=True)  # never trust a file whose hash cannot be checked
        return None
    try:
        integrity.verify(path, expected, entry.get("sha256_prefix", ""))
    except WeightsIntegrityError:
        return None
    return path


def fetch(model: str, tag: str, entry: dict[str, Any]) -> Path:
    """A verified local copy of the weights file of ``model.tag`` (call under the tag's lock).

    Tries the cache, then ``ZOO_MIRROR``, then the upstream source. A file whose
    hash does not match is deleted and fetched once more; a second mismatch
    raises ``WeightsIntegrityError``. When upstream publishes no hash, the sha256
    of the first verified download is pinned in the cache.
    """
    expected = integrity.expected_hashes(model, tag, entry)
    if entry["source"].get("bundled") is None:
        cached = _cached_raw_file(model, tag, entry, expected)
        if cached:
            return cached
    tried = []
    for label, fetcher in sources.candidates(entry):
        for attempt in (1, 2):
            try:
                path = fetcher(model, tag, entry, expected)
                sha256 = integrity.verify(path, expected, entry.get("sha256_prefix", ""))
            except sources.TransferInterrupted as error:
                if attempt == 2:
                    tried.append(f"{label}: {error} (twice)")
                continue
            except sources.SourceUnavailable as error:
                tried.append(f"{label}: {error}")
                break
            except (WeightsIntegrityError, ValueError) as error:
                # The bad file is already deleted (by verify, or by pooch before moving it in).
                if attempt == 2:
                    raise _as_integrity_error(error, label) from None
                continue
            if "sha256" not in expected:
                cache.pin(model, tag, sha256, label)
            return path
    raise WeightsNotAvailableError(
        f"Weights {model}.{tag} could not be fetched. Tried:\n  - "
        + "\n  - ".join(tried)
        + "\n"
        + REMEDIES.format(name=f"{model}.{tag}")
    )


def _as_integrity_error(error: Exception, label: str) -> WeightsIntegrityError:
    if isinstance(error, WeightsIntegrityError):
        return error
    # pooch reports a hash mismatch as ValueError("... expected X but got Y ...") and deletes the file.
    text = str(error)
    expected = text.split("expected ", 1)[-1].split(" but got ")[0].strip() if "expected " in text else "?"
    actual = text.split(" but got ", 1)[-1].split(".")[0].strip() if " but got " in text else "?"
    return WeightsIntegrityError(label, "hash", expected, actual)


def pretrained_layer_weights(spec: "ModelSpec", tag: str, entry: dict[str, Any]) -> "LayerWeights":
    """Converted layer weights of ``spec.name`` at ``tag``: from the cache, or fetched and converted."""
    from zoo.hub.convert import converter_for
    from zoo.hub.layer_weights import read_layer_weights, save_layer_weights

    model = spec.name
    key = integrity.cache_key(integrity.expected_hashes(model, tag, entry))
    if key and cache.converted_path(model, tag, key).is_file():
        return read_layer_weights(cache.converted_path(model, tag, key))
    with cache.lock(model, tag):
        cache.remove_stale_temporaries(cache.downloads_dir(model, tag))
        # Another process may have finished (and pinned) while this one waited.
        key = integrity.cache_key(integrity.expected_hashes(model, tag, entry))
        if key and cache.converted_path(model, tag, key).is_file():
            return read_layer_weights(cache.converted_path(model, tag, key))
        raw = fetch(model, tag, entry)
        weights = converter_for(entry["format"])(raw, spec, entry)
        key = integrity.cache_key(integrity.expected_hashes(model, tag, entry))
        save_layer_weights(weights, cache.converted_path(model, tag, key))
        return weights


def mirror_file(model: str, tag: str, entry: dict[str, Any], directory: Path) -> Path:
    """Copy the verified upstream file of ``model.tag`` to ``directory/<model>/<tag>/<file>`` (a ZOO_MIRROR layout)."""
    with cache.lock(model, tag):
        raw = fetch(model, tag, entry)
    return sources.copy_into(raw, Path(directory) / model / tag / sources.upstream_file_name(entry))


def _parts(tag: str, entry: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The (tag, entry) of every file a weights entry is made of: one, or a Marian repo's several."""
    if entry["format"] == "marian":
        from zoo.hub import marian

        return list(marian.parts(tag, entry).values())
    if entry["format"] == "zoo_preset":
        from zoo import preset

        return list(preset.parts(tag, entry).values())
    return [(tag, entry)]


def download(spec: "ModelSpec", tag: str, entry: dict[str, Any]) -> None:
    """Fetch, verify and cache ``spec.name.tag`` (converted too, where zoo converts ahead of loading)."""
    if entry["format"] == "marian":  # converted at load time, from several files
        from zoo.hub import marian

        marian.fetch_files(spec.name, tag, entry)
    elif entry["format"] == "zoo_preset":  # loaded as Keras weights, nothing to convert ahead
        from zoo import preset

        preset.fetch_files(spec.name, tag, entry)
    else:
        pretrained_layer_weights(spec, tag, entry)


def mirror(model: str, tag: str, entry: dict[str, Any], directory: Path) -> list[Path]:
    """Copy every verified file of ``model.tag`` into a ZOO_MIRROR layout under ``directory``."""
    return [mirror_file(model, part_tag, part, directory) for part_tag, part in _parts(tag, entry)]
