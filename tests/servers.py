"""Real HTTP servers on 127.0.0.1 for the weights tests: a plain file server and the Hub's resolve protocol.

``LocalServer`` serves byte strings at paths. With ``hf=True`` it also answers
``HEAD/GET /{repo_id}/resolve/{revision}/{file}`` the way the Hugging Face Hub
does (``X-Repo-Commit``, ``ETag``/``X-Linked-Etag``, ``X-Linked-Size``,
``Content-Length``, ``Range``), which ``huggingface_hub.hf_hub_download`` speaks
when ``HF_ENDPOINT`` points at it. It counts requests and can throttle or
corrupt responses, so tests can watch what the client really did.
"""

from __future__ import annotations

import collections
import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class LocalServer:
    def __init__(self, *, hf: bool = False):
        self.files: dict[str, bytes] = {}
        self.hf = hf
        self.gets: collections.Counter[str] = collections.Counter()
        self.bytes_per_second: float | None = None
        # Faults, each applied to the next GET of a path, then forgotten.
        self.corrupt_once: set[str] = set()  # one byte flipped
        self.truncate_once: set[str] = set()  # the body stops halfway and the connection closes
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, path: str, data: bytes) -> str:
        self.files["/" + path.lstrip("/")] = data
        return f"{self.url}/{path.lstrip('/')}"

    def add_hf(self, repo_id: str, filename: str, data: bytes, revision: str = "main") -> None:
        self.files[f"/{repo_id}/resolve/{revision}/{filename}"] = data

    def __enter__(self) -> "LocalServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _lookup(self) -> bytes | None:
                return owner.files.get(self.path.split("?", 1)[0])

            def _headers(self, data: bytes, status: int, length: int, start: int = 0) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(length))
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{start + length - 1}/{len(data)}")
                if owner.hf:
                    digest = hashlib.sha256(data).hexdigest()
                    self.send_header("X-Repo-Commit", COMMIT)
                    self.send_header("ETag", f'"{digest}"')
                    self.send_header("X-Linked-Etag", f'"{digest}"')
                    self.send_header("X-Linked-Size", str(len(data)))
                self.end_headers()

            def do_HEAD(self):
                data = self._lookup()
                if data is None:
                    self.send_error(404)
                    return
                self._headers(data, 200, len(data))

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                data = self._lookup()
                if data is None:
                    self.send_error(404)
                    return
                owner.gets[path] += 1
                if path in owner.corrupt_once:
                    owner.corrupt_once.discard(path)
                    data = bytes([data[0] ^ 0xFF]) + data[1:]
                truncate = path in owner.truncate_once
                owner.truncate_once.discard(path)
                start = 0
                range_header = self.headers.get("Range", "")
                if range_header.startswith("bytes=") and range_header.endswith("-"):
                    start = int(range_header[len("bytes="):-1])
                body = data[start:]
                self._headers(data, 206 if start else 200, len(body), start)
                if truncate:
                    body = body[: len(body) // 2]
                    self.close_connection = True
                self._send_body(body)

            def _send_body(self, body: bytes) -> None:
                chunk = 64 * 1024
                for offset in range(0, len(body), chunk):
                    try:
                        self.wfile.write(body[offset : offset + chunk])
                    except (BrokenPipeError, ConnectionResetError):
                        return
                    if owner.bytes_per_second:
                        time.sleep(chunk / owner.bytes_per_second)

        return Handler
