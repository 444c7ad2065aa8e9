"""Pretrained weights: a weights entry in, verified local files (or converted layer weights) out.

The hub fetches from caches, mirrors and upstream sources, verifies every byte by hash,
caches and converts. It knows weights entries (``zoo.manifest``) and architectures
(``zoo.registry``), nothing above them: building models from what it fetched is the
loader's job.

- ``fetch(file)`` / ``fetch_all(entry)``: verified local paths of one file / every file of an entry.
- ``pretrained_layer_weights(spec, entry)``: converted layer weights. A warm call reads the converted
  file from the cache and touches no network; a cold call takes the tag's file lock (so N processes
  download once), fetches and verifies the raw file, converts it and caches the result.
- ``checkpoint_layer_weights(spec, entry, key_map=, strict=)``: a user's own checkpoint (a local file or a URL
  as the source of a tag-derived entry), converted with their key_map; URLs are fetched and pinned as above.
- ``trust_on_first_use()``: files with no published hash are pinned only if the block using them succeeds.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from zoo.errors import WeightsNotAvailableError
from zoo.hub import cache, integrity, sources
from zoo.hub.convert import converter_for
from zoo.hub.errors import WeightsIntegrityError, WeightsMismatchError
from zoo.manifest import CHECKPOINT_SLOT, MAIN_FILE, WeightsEntry, WeightsFile

if TYPE_CHECKING:
    from zoo.hub.convert.checkpoint import Converted
    from zoo.hub.layer_weights import LayerWeights
    from zoo.registry import ModelSpec

log = logging.getLogger("zoo")

__all__ = ["MAIN_FILE", "WeightsIntegrityError", "WeightsMismatchError", "checkpoint_layer_weights", "fetch",
           "fetch_all", "mirror_files", "pretrained_layer_weights", "trust_on_first_use"]

REMEDIES = (
    "To get these weights: run `zoo download {name}` on a machine with network access and copy "
    "$ZOO_CACHE (default ~/.cache/zoo) here; or fill a mirror there with `zoo mirror DIR {name}` and "
    "point ZOO_MIRROR at it (a directory or an http(s) URL); or, for Hugging Face sources, set "
    "HF_ENDPOINT to a reachable Hub mirror (HF_HUB_OFFLINE=1 uses only what is cached)."
)


def _cached_raw_file(file: WeightsFile, expected: dict[str, str]) -> Path | None:
    """A file zoo downloaded before, if it still verifies (a bad one, or one with no hash to check, is deleted)."""
    path = cache.downloads_dir(file.model, file.slot) / file.source.file_name
    if not path.is_file():
        return None
    if not expected:
        path.unlink(missing_ok=True)  # never trust a file whose hash cannot be checked
        return None
    try:
        integrity.verify(path, expected, file.sha256_prefix)
    except WeightsIntegrityError:
        path.unlink(missing_ok=True)  # zoo's own download (owns() holds for downloads_dir)
        return None
    return path


# Trust on first use: a download of a file whose upstream publishes no hash is pinned only once
# the block that fetched it (parse, convert, build) has succeeded. Until then it is "pending".
_pending: ContextVar[list | None] = ContextVar("zoo_pending_pins", default=None)


@contextlib.contextmanager
def trust_on_first_use() -> Iterator[None]:
    """Pin the unhashed files fetched inside this block only if the block succeeds.

    On any error, the pending files zoo downloaded are deleted and nothing is pinned, so a
    truncated or garbled first download can never become the trusted version.
    """
    outer = _pending.get()
    pending: list = []
    token = _pending.set(pending)
    try:
        yield
    except BaseException:
        for file, sha256, label, path in pending:
            if cache.owns(path):
                path.unlink(missing_ok=True)
        raise
    finally:
        _pending.reset(token)
    if outer is not None:  # an enclosing block decides
        outer.extend(pending)
        return
    for file, sha256, label, path in pending:
        cache.pin(file.model, file.slot, sha256, label)


def _pending_pins() -> list:
    pending = _pending.get()
    return pending if pending is not None else []  # outside a block: recorded nowhere, pinned never


def fetch(file: WeightsFile, *, refresh: bool = False) -> Path:
    """A verified local copy of one weights file (call under its entry's lock).

    Tries the cache, then ``ZOO_MIRROR``, then the upstream source. A download whose hash
    does not match is deleted and fetched once more (a Hugging Face cache file is downloaded
    again over itself); a second mismatch raises ``WeightsIntegrityError``. A local or bundled
    file that does not match is never modified: the error names it and both hashes. When
    upstream publishes no hash, the download's sha256 is pinned once the enclosing
    ``trust_on_first_use()`` block has used the file without error (outside one, nothing is pinned).
    """
    sources.timeout(), sources.mirror_base()  # a bad ZOO_TIMEOUT / ZOO_MIRROR is the user's to fix: say so first
    expected = integrity.expected_hashes(file)
    if file.source.kind != "bundled" and not refresh:
        cached = _cached_raw_file(file, expected)
        if cached:
            return cached
    tried: list[str] = []
    refused: WeightsIntegrityError | None = None
    for label, fetcher in sources.candidates(file.source):
        for attempt in (1, 2):
            try:
                path = fetcher(file, expected, refresh=refresh or attempt == 2)
                sha256 = integrity.verify(path, expected, file.sha256_prefix)
            except sources.TransferInterrupted as error:
                if attempt == 2:
                    tried.append(f"{label}: {error} (twice)")
                continue
            except sources.SourceUnavailable as error:
                tried.append(f"{label}: {error}")
                break
            except WeightsIntegrityError as error:
                owned = cache.owns(error.path)
                if owned:
                    Path(error.path).unlink(missing_ok=True)
                if attempt == 2 or fetcher is sources.from_bundled:  # a local file reads the same twice
                    refused = WeightsIntegrityError(error.path, error.algorithm, error.expected, error.actual,
                                                    deleted=owned)
                    tried.append(f"{label}: {refused}")
                    break
                continue
            except ValueError as error:  # pooch: hash mismatch; it already deleted its temporary file
                if attempt == 2:
                    refused = _as_integrity_error(error, label)
                    tried.append(f"{label}: {refused}")
                    break
                continue
            if "sha256" not in expected:
                _pending_pins().append((file, sha256, label, path))
            return path
    if refused is not None:  # a source answered with the wrong bytes: say so, not "unavailable"
        raise refused
    if file.slot.startswith(CHECKPOINT_SLOT):  # the user's own URL: no manifest tag to download or mirror
        raise WeightsNotAvailableError(
            f"Checkpoint {file.source.label} could not be fetched. Tried:\n  - " + "\n  - ".join(tried)
            + "\nDownload it where it is reachable and pass the file's path as weights=.")
    raise WeightsNotAvailableError(
        f"Weights {file.label} could not be fetched. Tried:\n  - "
        + "\n  - ".join(tried)
        + "\n"
        + REMEDIES.format(name=f"{file.model}.{file.slot.partition('+')[0]}")
    )


def _as_integrity_error(error: Exception, label: str) -> WeightsIntegrityError:
    # pooch reports a hash mismatch as ValueError("... expected X but got Y ...") and deletes the file.
    text = str(error)
    expected = text.split("expected ", 1)[-1].split(" but got ")[0].strip() if "expected " in text else "?"
    actual = text.split(" but got ", 1)[-1].split(".")[0].strip() if " but got " in text else "?"
    return WeightsIntegrityError(label, "hash", expected, actual, deleted=True)


def fetch_all(entry: WeightsEntry) -> dict[str, Path]:
    """Every file of a weights entry, verified: ``{MAIN_FILE: path, companion name: path, ...}``.

    Under the entry's lock, so N processes download once. Local (``bundled``) files are checked
    in place and never modified.
    """
    with cache.lock(entry.model, entry.tag):
        return {file.name: fetch(file) for file in entry.every_file}


def _read_converted(model: str, tag: str, key: str) -> "LayerWeights | None":
    """The converted weights cached for raw file ``key``, if a copy still matches the sha256 in its name.

    The file is hashed, then parsed from disk: parsing the hashed bytes from memory was slower
    in a one-off timing on a ResNet-50-sized file (0.46 s vs 0.34 s), and the folder is written
    only by zoo, with one atomic rename.
    A bad copy is deleted (it is zoo's own) with one warning line.
    """
    from zoo.hub.layer_weights import read_layer_weights  # h5py only when weights are read: keeps `import zoo` light

    for path in cache.converted_candidates(model, tag, key):
        try:
            matches = integrity.file_hashes(path, ("sha256",))["sha256"] == cache.sha256_in_name(path)
        except OSError:
            continue
        if matches:
            try:
                return read_layer_weights(path)
            except Exception as error:  # noqa: BLE001  (hash matched: only a zoo bug or a race gets here)
                problem = f"unreadable ({type(error).__name__})"
        else:
            problem = "does not match its recorded sha256"
        log.warning("zoo: converted weights %s %s; discarding it and converting again from the verified download",
                    path, problem)
        path.unlink(missing_ok=True)
    return None


def _converted_key(entry: WeightsEntry, expected: dict[str, str]) -> str | None:
    """The converted-cache key: the raw file's strongest hash, and the entry's key_map when it has one
    (another key_map converts the same file differently)."""
    key = integrity.cache_key(expected)
    if key and entry.key_map:
        key += "-keymap-" + hashlib.sha256(repr(entry.key_map).encode()).hexdigest()[:16]
    return key


def _convert_fresh(spec: "ModelSpec", entry: WeightsEntry, convert: Callable | None = None) -> tuple[Any, str]:
    """Fetch and convert under ``trust_on_first_use``: (``convert``'s result, the converted-cache key).

    ``convert(raw path, spec, entry)`` defaults to the converter of the entry's format. An unhashed
    download that fails to parse is deleted and fetched once more before the converter's error is raised.
    """
    convert = convert or converter_for(entry.format)
    for attempt in (1, 2):
        unpinned = False
        try:
            with trust_on_first_use():
                raw = fetch(entry.file, refresh=attempt == 2)
                pending = [item for item in _pending_pins() if item[3] == raw]
                unpinned = bool(pending)
                weights = convert(raw, spec, entry)
            key = _converted_key(entry, {"sha256": pending[0][1]} if pending else integrity.expected_hashes(entry.file))
            return weights, key
        except WeightsMismatchError as error:
            architecture_mismatch = type(error) is WeightsMismatchError  # another download will not fit better
            if attempt == 2 or not unpinned or architecture_mismatch:
                raise
        except Exception:  # noqa: BLE001  (a converter's error on a half-sent file: try one fresh copy)
            if attempt == 2 or not unpinned:
                raise
        log.warning("zoo: %s.%s: the first download of this unhashed file could not be read; it was deleted "
                    "and is fetched once more", spec.name, entry.tag)
    raise AssertionError("unreachable")


def pretrained_layer_weights(spec: "ModelSpec", entry: WeightsEntry) -> "LayerWeights":
    """Converted layer weights of ``entry`` for ``spec``: from the cache, or fetched and converted.

    Warm, this reads the expected hashes once (the manifest's, or pins.json for an unhashed
    file) and the converted file; nothing else.
    """
    model, tag = entry.model, entry.tag
    key = _converted_key(entry, integrity.expected_hashes(entry.file))
    if key:
        weights = _read_converted(model, tag, key)
        if weights is not None:
            return weights
    with cache.lock(model, tag):
        cache.remove_stale_temporaries(cache.downloads_dir(model, tag))
        if not entry.file.published:  # another process may have pinned (and converted) while this one waited
            key = _converted_key(entry, integrity.expected_hashes(entry.file))
            weights = _read_converted(model, tag, key) if key else None
            if weights is not None:
                return weights
        weights, key = _convert_fresh(spec, entry)
        if key:
            _save_converted(weights, model, tag, key)
        return weights


def checkpoint_layer_weights(spec: "ModelSpec", entry: WeightsEntry, *, key_map: Any = None,
                             strict: bool = True) -> "Converted":
    """A user's checkpoint, converted: ``entry`` is a tag's layout with the user's file or URL as its source.

    A local file is read in place: never copied, pinned, modified or deleted (it is yours to
    overwrite). A URL is fetched like any source (the cache, ``ZOO_MIRROR``, then the URL, under
    the entry's lock), its hash checked; with none published, its sha256 is pinned once it has
    converted (trust on first use), and a first download that does not parse is fetched once more.
    The format is read from the file itself. The converted weights are not cached (a key_map may be code).
    """
    from zoo.hub.convert.checkpoint import convert_checkpoint  # h5py and NumPy only when weights are read

    def convert(raw: Path, spec: "ModelSpec", entry: WeightsEntry) -> "Converted":
        return convert_checkpoint(raw, spec, entry, key_map=key_map, strict=strict)

    if entry.bundled:
        return convert(Path(entry.source.bundled), spec, entry)
    with cache.lock(entry.model, entry.tag):
        cache.remove_stale_temporaries(cache.downloads_dir(entry.model, entry.tag))
        return _convert_fresh(spec, entry, convert)[0]


def _save_converted(weights: "LayerWeights", model: str, tag: str, key: str) -> Path:
    """Write the converted weights under a name carrying their sha256 (one atomic rename)."""
    from zoo.hub.layer_weights import save_layer_weights  # h5py only when weights are written (see above)

    directory = cache.converted_dir(model, tag)
    directory.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".h5")
    os.close(handle)
    try:
        save_layer_weights(weights, Path(temp))
        final = cache.converted_path(model, tag, key, integrity.file_hashes(Path(temp), ("sha256",))["sha256"])
        os.replace(temp, final)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    for old in cache.converted_candidates(model, tag, key):  # an older conversion of the same file
        if old != final:
            old.unlink(missing_ok=True)
    return final


def mirror_files(entry: WeightsEntry, directory: Path) -> list[Path]:
    """Copy every verified file of ``entry`` to ``directory/<model>/<slot>/<file>`` (a ZOO_MIRROR layout).

    Fetches what is not cached; the caller proves the entry loads first (``zoo.loader.download``),
    so a mirror never spreads a broken first download.
    """
    copied = []
    with cache.lock(entry.model, entry.tag), trust_on_first_use():
        for file in entry.every_file:
            raw = fetch(file)
            copied.append(sources.copy_into(raw, Path(directory) / file.model / file.slot / file.source.file_name))
    return copied
