"""Where a weights file can come from, in the order zoo tries them.

1. the local cache (``$ZOO_CACHE/downloads``), when its file still verifies;
2. a mirror, when ``ZOO_MIRROR`` names one (a directory or an http(s) base URL,
   laid out as ``<model>/<tag>/<upstream file name>``);
3. the entry's own source: a plain URL (pooch), the Hugging Face Hub
   (``huggingface_hub.hf_hub_download``, honouring ``HF_ENDPOINT``, ``HF_HOME``,
   ``HF_HUB_OFFLINE`` and its token), a TF Hub handle, or a file bundled with zoo.

Each source returns a local path or raises ``SourceUnavailable`` quickly: a host
that does not accept a TCP connection within a few seconds is skipped rather
than retried for minutes.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from zoo.hub import cache

ENV_MIRROR = "ZOO_MIRROR"
PROBE_TIMEOUT_SECONDS = 3.0
DOWNLOAD_TIMEOUT_SECONDS = 60.0


class SourceUnavailable(RuntimeError):
    """This source cannot provide the file now (offline, missing, refused)."""


class TransferInterrupted(SourceUnavailable):
    """The connection broke mid-download; worth one more try."""


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def upstream_file_name(entry: dict[str, Any]) -> str:
    source = entry["source"]
    if "url" in source:
        return Path(urlparse(source["url"]).path).name
    if "hf_repo" in source:
        return Path(source["hf_file"]).name
    if "bundled" in source:
        return Path(source["bundled"]).name
    if "tfhub" in source:
        return "saved_model.tar.gz"  # TF Hub serves handles as compressed SavedModels
    raise ValueError(f"unknown source {source!r}")


def _probe(url: str) -> None:
    """Fail in seconds when the host is unreachable (no DNS, refused, filtered)."""
    if offline():
        raise SourceUnavailable("HF_HUB_OFFLINE is set")
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((parsed.hostname, port), timeout=PROBE_TIMEOUT_SECONDS).close()
    except OSError as error:
        raise SourceUnavailable(f"cannot reach {parsed.hostname}:{port} ({error})") from None


def download_url(url: str, destination: Path, known_hash: str | None, progress: bool = True) -> Path:
    """Download with pooch: streamed to a temporary file, hash-checked, then moved into place."""
    import pooch
    import requests

    _probe(url)
    pooch.get_logger().setLevel(logging.WARNING)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.unlink(missing_ok=True)  # pooch would otherwise reuse whatever is there
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=DOWNLOAD_TIMEOUT_SECONDS)
    try:
        pooch.retrieve(url, known_hash, fname=destination.name, path=destination.parent, downloader=downloader)
    except requests.HTTPError as error:
        raise SourceUnavailable(f"HTTP {error.response.status_code}") from None
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout) as error:
        raise TransferInterrupted(f"{type(error).__name__}: {error}") from None
    except requests.RequestException as error:
        raise SourceUnavailable(f"{type(error).__name__}: {error}") from None
    return destination


def _pooch_hash(expected: dict[str, str]) -> str | None:
    for name in ("sha256", "md5"):
        if name in expected:
            return f"{name}:{expected[name]}"
    return None


def copy_into(source: Path, destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=destination.parent, prefix=".tmp-")
    os.close(handle)
    try:
        shutil.copyfile(source, temp)
        os.replace(temp, destination)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return destination


def from_mirror(model: str, tag: str, entry: dict[str, Any], expected: dict[str, str]) -> Path:
    base = os.environ[ENV_MIRROR].rstrip("/")
    name = upstream_file_name(entry)
    destination = cache.downloads_dir(model, tag) / name
    if urlparse(base).scheme in ("http", "https"):
        return download_url(f"{base}/{model}/{tag}/{name}", destination, _pooch_hash(expected))
    mirrored = Path(base).expanduser() / model / tag / name
    if not mirrored.is_file():
        raise SourceUnavailable(f"{mirrored} does not exist")
    return copy_into(mirrored, destination)


def from_url(model: str, tag: str, entry: dict[str, Any], expected: dict[str, str]) -> Path:
    destination = cache.downloads_dir(model, tag) / upstream_file_name(entry)
    return download_url(entry["source"]["url"], destination, _pooch_hash(expected))


def _hf_cache_dir() -> str | None:
    # Read at call time: huggingface_hub reads HF_HOME/HF_HUB_CACHE once, at import.
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]) / "hub")
    return None


def from_hf_hub(model: str, tag: str, entry: dict[str, Any], expected: dict[str, str]) -> Path:
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    source = entry["source"]
    endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    local_only = offline()
    if not local_only:
        try:
            _probe(endpoint)
        except SourceUnavailable:
            local_only = True  # still serve a file the Hugging Face cache already holds
    try:
        return Path(
            hf_hub_download(
                source["hf_repo"],
                source["hf_file"],
                revision=source.get("revision"),
                endpoint=endpoint,
                cache_dir=_hf_cache_dir(),
                local_files_only=local_only,
                library_name="zoo",
            )
        )
    except LocalEntryNotFoundError:
        raise SourceUnavailable(
            f"not in the Hugging Face cache, and {endpoint} is unreachable or HF_HUB_OFFLINE is set"
        ) from None
    except Exception as error:  # huggingface_hub raises many types; all mean "not from here"
        raise SourceUnavailable(f"{type(error).__name__}: {error}") from None


def from_bundled(model: str, tag: str, entry: dict[str, Any], expected: dict[str, str]) -> Path:
    path = Path(entry["source"]["bundled"])
    if not path.is_file():
        raise SourceUnavailable(f"bundled file {path} is missing from this installation")
    return path


def from_tfhub(model: str, tag: str, entry: dict[str, Any], expected: dict[str, str]) -> Path:
    from zoo.hub import tfhub

    return tfhub.fetch(entry["source"]["tfhub"], cache.downloads_dir(model, tag), _pooch_hash(expected))


FETCHERS: dict[str, Callable[[str, str, dict[str, Any], dict[str, str]], Path]] = {
    "url": from_url,
    "hf_repo": from_hf_hub,
    "bundled": from_bundled,
    "tfhub": from_tfhub,
}


def candidates(entry: dict[str, Any]) -> list[tuple[str, Callable]]:
    """``(label, fetcher)`` pairs in the order to try them (the cache is checked by the caller)."""
    from zoo.manifest import source_kind

    kind = source_kind(entry["source"])
    found = []
    if os.environ.get(ENV_MIRROR) and kind != "bundled":
        found.append((f"mirror {os.environ[ENV_MIRROR]}", from_mirror))
    label = {
        "url": lambda s: s["url"],
        "hf_repo": lambda s: f"hf://{s['hf_repo']}/{s['hf_file']}" + (f"@{s['revision']}" if s.get("revision") else ""),
        "bundled": lambda s: f"bundled {s['bundled']}",
        "tfhub": lambda s: f"tfhub {s['tfhub']}",
    }[kind](entry["source"])
    found.append((label, FETCHERS[kind]))
    return found
