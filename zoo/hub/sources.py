"""Where a weights file can come from, in the order zoo tries them.

1. the local cache (``$ZOO_CACHE/downloads``), when its file still verifies;
2. a mirror, when ``ZOO_MIRROR`` names one (a directory or an http(s) base URL,
   laid out as ``<model>/<tag>/<upstream file name>``);
3. the entry's own source: a plain URL (pooch), the Hugging Face Hub
   (``huggingface_hub.hf_hub_download``, honouring ``HF_ENDPOINT``, ``HF_HOME``,
   ``HF_HUB_OFFLINE`` and its token), a TF Hub handle, or a file bundled with zoo.

Each source returns a local path or raises ``SourceUnavailable`` quickly: a host
that does not accept a TCP connection within a few seconds is skipped rather
than retried for minutes, and a host that accepts but stays silent is given up
after ``ZOO_TIMEOUT`` seconds (default 8) without an answer. A fetcher never
deletes or rewrites a file outside ``$ZOO_CACHE/downloads``: bundled and mirror
files are read in place or copied.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from zoo.hub import cache
from zoo.manifest import Source, WeightsFile

ENV_MIRROR = "ZOO_MIRROR"
ENV_TIMEOUT = "ZOO_TIMEOUT"
PROBE_TIMEOUT_SECONDS = 3.0
# Longest wait for a server's next byte (a silent server is given up after this, not retried).
DEFAULT_TIMEOUT_SECONDS = 8.0


class SourceUnavailable(RuntimeError):
    """This source cannot provide the file now (offline, missing, refused)."""


class TransferInterrupted(SourceUnavailable):
    """The connection broke mid-download; worth one more try."""


def timeout() -> float:
    """Seconds to wait for a server's answer or its next byte (``ZOO_TIMEOUT``, default 8)."""
    value = os.environ.get(ENV_TIMEOUT, "").strip()
    if not value:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{ENV_TIMEOUT}={value!r}: expected a positive number of seconds, e.g. {ENV_TIMEOUT}=30.")
    return seconds


def mirror_base() -> str | None:
    """``ZOO_MIRROR``: a directory or an http(s) base URL (anything else is a configuration error)."""
    base = os.environ.get(ENV_MIRROR, "").strip()
    if not base:
        return None
    scheme = urlparse(base).scheme
    if scheme not in ("", "http", "https", "file") and not (len(scheme) == 1 and os.name == "nt"):
        raise ValueError(f"{ENV_MIRROR}={base!r}: a mirror is a directory or an http(s):// URL; "
                         f"{scheme}:// is not supported. Fill a directory with `zoo mirror DIR` and point {ENV_MIRROR} at it.")
    return base[len("file://"):] if scheme == "file" else base.rstrip("/")


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


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
    # lazy: requests/pooch are imported only when something is downloaded (`import zoo`, `zoo list` stay fast)
    import pooch
    import requests

    _probe(url)
    pooch.get_logger().setLevel(logging.WARNING)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.unlink(missing_ok=True)  # pooch would otherwise reuse whatever is there
    seconds = timeout()
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=(PROBE_TIMEOUT_SECONDS, seconds))
    try:
        pooch.retrieve(url, known_hash, fname=destination.name, path=destination.parent, downloader=downloader)
    except requests.HTTPError as error:
        raise SourceUnavailable(f"HTTP {error.response.status_code}") from None
    except (requests.Timeout, requests.exceptions.ConnectionError) as error:
        if _is_timeout(error):  # a silent server stays silent: give up now, no second wait
            raise SourceUnavailable(f"no answer within {seconds:g} s ({ENV_TIMEOUT}={seconds:g}; raise it for a "
                                    f"slow server)") from None
        raise TransferInterrupted(f"{type(error).__name__}: {error}") from None
    except requests.exceptions.ChunkedEncodingError as error:
        raise TransferInterrupted(f"{type(error).__name__}: {error}") from None
    except requests.RequestException as error:
        raise SourceUnavailable(f"{type(error).__name__}: {error}") from None
    return destination


def _is_timeout(error: BaseException) -> bool:
    """requests reports a read timeout inside a streamed body as a ConnectionError wrapping it."""
    # lazy: requests/urllib3 only once a request has failed (see download_url)
    import requests
    import urllib3

    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError, socket.timeout)):
            return True
        error = error.args[0] if error.args and isinstance(error.args[0], BaseException) else error.__context__
        seen += 1
    return False


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


def from_mirror(file: WeightsFile, expected: dict[str, str], refresh: bool = False) -> Path:
    base = mirror_base()
    name = file.source.file_name
    destination = cache.downloads_dir(file.model, file.slot) / name
    if urlparse(base).scheme in ("http", "https"):
        return download_url(f"{base}/{file.model}/{file.slot}/{name}", destination, _pooch_hash(expected))
    mirrored = Path(base).expanduser() / file.model / file.slot / name
    if not mirrored.is_file():
        raise SourceUnavailable(f"{mirrored} does not exist")
    return copy_into(mirrored, destination)


def from_url(file: WeightsFile, expected: dict[str, str], refresh: bool = False) -> Path:
    destination = cache.downloads_dir(file.model, file.slot) / file.source.file_name
    return download_url(file.source.url, destination, _pooch_hash(expected))


def _hf_cache_dir() -> str | None:
    # Read at call time: huggingface_hub reads HF_HOME/HF_HUB_CACHE once, at import.
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]) / "hub")
    return None


def _answers(url: str) -> None:
    """Fail within ZOO_TIMEOUT when a server accepts connections but does not answer a HEAD."""
    # lazy: requests only when a server is asked (see download_url)
    import requests

    seconds = timeout()
    try:
        requests.head(url, timeout=(PROBE_TIMEOUT_SECONDS, seconds), allow_redirects=False)
    except requests.RequestException as error:
        if _is_timeout(error):
            raise SourceUnavailable(f"no answer within {seconds:g} s ({ENV_TIMEOUT}={seconds:g}; raise it for a "
                                    f"slow server)") from None
        raise SourceUnavailable(f"{type(error).__name__}: {error}") from None


def from_hf_hub(file: WeightsFile, expected: dict[str, str], refresh: bool = False) -> Path:
    """A file through ``huggingface_hub`` (its cache is shared with other libraries: zoo never deletes
    from it; ``refresh`` makes the client download the file again over a bad cached copy)."""
    # lazy: huggingface_hub's client (and requests) only when a file comes from the Hub
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    source = file.source
    endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    local_only = offline()
    unreachable = "no reason given"
    revision = source.revision or "main"
    if not local_only:
        try:
            _probe(endpoint)
            # huggingface_hub retries a silent server for minutes; ask once, with zoo's deadline.
            _answers(f"{endpoint.rstrip('/')}/{source.hf_repo}/resolve/{revision}/{source.hf_file}")
        except SourceUnavailable as error:
            if refresh:
                raise
            local_only = True  # still serve a file the Hugging Face cache already holds
            unreachable = str(error)
    try:
        return Path(
            hf_hub_download(
                source.hf_repo,
                source.hf_file,
                revision=source.revision or None,
                endpoint=endpoint,
                cache_dir=_hf_cache_dir(),
                local_files_only=local_only,
                force_download=refresh and not local_only,
                etag_timeout=timeout(),
                library_name="zoo",
            )
        )
    except LocalEntryNotFoundError:
        why = "HF_HUB_OFFLINE is set" if offline() else f"{endpoint} gave no usable answer ({unreachable})"
        raise SourceUnavailable(f"not in the Hugging Face cache, and {why}") from None
    except Exception as error:  # huggingface_hub raises many types; all mean "not from here"
        raise SourceUnavailable(f"{type(error).__name__}: {error}") from None


def from_bundled(file: WeightsFile, expected: dict[str, str], refresh: bool = False) -> Path:
    """A file shipped with zoo or named by the user: read in place, never modified."""
    path = Path(file.source.bundled)
    if not path.is_file():
        raise SourceUnavailable(f"local file {path} does not exist")
    return path


TFHUB_BASE = "https://tfhub.dev/"


def handle_url(handle: str) -> str:
    """A TF Hub handle ("google/.../5" or a full URL) -> the URL of its compressed download."""
    url = handle if handle.startswith(("http://", "https://")) else TFHUB_BASE + handle.lstrip("/")
    return url + ("&" if "?" in url else "?") + "tf-hub-format=compressed"


def from_tfhub(file: WeightsFile, expected: dict[str, str], refresh: bool = False) -> Path:
    destination = cache.downloads_dir(file.model, file.slot) / file.source.file_name
    return download_url(handle_url(file.source.tfhub), destination, _pooch_hash(expected))


FETCHERS: dict[str, Callable[..., Path]] = {
    "url": from_url,
    "hf_repo": from_hf_hub,
    "bundled": from_bundled,
    "tfhub": from_tfhub,
}


def candidates(source: Source) -> list[tuple[str, Callable]]:
    """``(label, fetcher)`` pairs in the order to try them (the cache is checked by the caller)."""
    found = []
    mirror = mirror_base()
    if mirror and source.kind != "bundled":
        found.append((f"mirror {mirror}", from_mirror))
    found.append((source.label, FETCHERS[source.kind]))
    return found
