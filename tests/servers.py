"""Real HTTP servers on 127.0.0.1 for the weights tests: a plain file server and the Hub's resolve protocol.

``LocalServer`` serves byte strings at paths. With ``hf=True`` it also answers
``HEAD/GET /{repo_id}/resolve/{revision}/{file}`` the way the Hugging Face Hub
does (``X-Repo-Commit``, ``ETag``/``X-Linked-Etag``, ``X-Linked-Size``,
``Content-Length``, ``Range``), which ``huggingface_hub.hf_hub_download`` speaks
when ``HF_ENDPOINT`` points at it, and enough of the upload protocol for
``create_repo``, ``create_branch`` and ``upload_folder`` of small files
(``/api/repos/create``, ``/api/models/{repo}/preupload|commit|branch/{revision}``:
every file is "regular", sent base64 inside the NDJSON commit). It counts requests and can throttle or
corrupt responses, so tests can watch what the client really did.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
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
        # GETs of a path still to be answered without Content-Length and with half the body, then a close:
        # a truncation no HTTP client can notice.
        self.chop_unannounced: collections.Counter[str] = collections.Counter()
        # Uploads: the token a write must carry (None: any), the Authorization headers seen, repos and commits.
        self.write_token: str | None = None
        self.authorizations: list[str] = []
        self.repos: dict[str, dict] = {}
        self.commits: dict[str, str] = {}  # "/{repo}/resolve/{revision}/" -> commit id
        self.cards: list[dict] = []  # model-card metadata blocks validated
        self.invalid_cards: list[str] = []
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

            def _headers(self, data: bytes, status: int, length: int | None, start: int = 0) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                if length is None:
                    self.send_header("Connection", "close")
                else:
                    self.send_header("Content-Length", str(length))
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{start + length - 1}/{len(data)}")
                if owner.hf:
                    digest = hashlib.sha256(data).hexdigest()
                    prefix = self.path.split("?", 1)[0].rsplit("/", 1)[0] + "/"
                    self.send_header("X-Repo-Commit", owner.commits.get(prefix, COMMIT))
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
                if owner.chop_unannounced[path] > 0:
                    owner.chop_unannounced[path] -= 1
                    self._headers(data, 200, None)
                    self.close_connection = True
                    self._send_body(body[: len(body) // 2])
                    return
                self._headers(data, 206 if start else 200, len(body), start)
                if truncate:
                    body = body[: len(body) // 2]
                    self.close_connection = True
                self._send_body(body)

            def _json(self, status: int, payload) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                authorization = self.headers.get("Authorization", "")
                owner.authorizations.append(authorization)
                if owner.write_token is not None and authorization != f"Bearer {owner.write_token}":
                    self._json(401, {"error": "Invalid credentials in Authorization header"})
                    return
                path = self.path.split("?", 1)[0]
                if path == "/api/validate-yaml":  # the model card's metadata block must be a YAML mapping
                    import yaml

                    text = json.loads(body)["content"]
                    try:
                        metadata = yaml.safe_load(text.split("---")[1]) if text.startswith("---") else {}
                        assert isinstance(metadata, dict), "metadata is not a mapping"
                    except Exception as error:  # noqa: BLE001  (reported to the client, as the Hub does)
                        owner.invalid_cards.append(text)
                        self._json(400, {"errors": [{"message": str(error)}]})
                        return
                    owner.cards.append(metadata)
                    self._json(200, {"errors": [], "warnings": []})
                    return
                if path == "/api/repos/create":
                    request = json.loads(body)
                    repo = "/".join(filter(None, (request.get("organization"), request["name"])))
                    if repo in owner.repos:
                        self._json(409, {"error": "You already created this model repo", "url": f"{owner.url}/{repo}"})
                        return
                    owner.repos[repo] = {"private": request.get("visibility") == "private" or request.get("private")}
                    self._json(200, {"url": f"{owner.url}/{repo}"})
                    return
                repo, _, rest = path[len("/api/models/"):].partition("/preupload/") if "/preupload/" in path else (
                    None, None, None)
                if repo is not None:
                    if repo not in owner.repos:
                        self._json(404, {"error": "Repository not found"})
                        return
                    files = json.loads(body)["files"]
                    self._json(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                               for f in files]})
                    return
                if "/commit/" in path:
                    repo, _, revision = path[len("/api/models/"):].partition("/commit/")
                    if repo not in owner.repos:
                        self._json(404, {"error": "Repository not found"})
                        return
                    lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                    added = {item["value"]["path"]: base64.b64decode(item["value"]["content"])
                             for item in lines if item["key"] == "file"}
                    commit = hashlib.sha1(body).hexdigest()
                    prefix = f"/{repo}/resolve/{revision}/"
                    for file, data in added.items():
                        owner.files[prefix + file] = data
                    for key in [k for k in owner.files if k.startswith(prefix)]:  # the commit: the branch's files
                        owner.files[f"/{repo}/resolve/{commit}/" + key[len(prefix):]] = owner.files[key]
                    owner.commits[prefix] = owner.commits[f"/{repo}/resolve/{commit}/"] = commit
                    self._json(200, {"commitUrl": f"{owner.url}/{repo}/commit/{commit}", "commitOid": commit})
                    return
                if "/branch/" in path:
                    repo, _, branch = path[len("/api/models/"):].partition("/branch/")
                    main = f"/{repo}/resolve/main/"
                    for key in [k for k in owner.files if k.startswith(main)]:  # a branch starts from main
                        owner.files.setdefault(f"/{repo}/resolve/{branch}/" + key[len(main):], owner.files[key])
                    self._json(200 if repo in owner.repos else 404, {})
                    return
                self._json(404, {"error": f"no such endpoint {path}"})

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


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers (the kernel completes the handshakes)."""

    def __init__(self):
        import socket

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def __enter__(self) -> "SilentServer":
        return self

    def __exit__(self, *exc) -> None:
        self._socket.close()
