"""Upload a preset folder to the Hugging Face Hub (``create_repo`` + ``upload_folder``).

The endpoint is ``HF_ENDPOINT`` read at call time (a Hub mirror or a test server);
the token is whatever ``huggingface_hub`` finds (``token=``, ``HF_TOKEN``, the stored
login). zoo never prints, logs or writes it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from zoo import preset
from zoo.errors import PushError
from zoo.version import __version__

log = logging.getLogger("zoo")


def _endpoint() -> str:
    # lazy: huggingface_hub's client only when pushing; keeps `import zoo` and the CLI light
    from huggingface_hub import constants

    return os.environ.get("HF_ENDPOINT") or constants.ENDPOINT


def push_preset(directory: str | Path, repo_id: str, *, private: bool = False, token: str | None = None,
                revision: str | None = None, commit_message: str | None = None) -> dict[str, Any]:
    """Upload the preset in ``directory`` to ``repo_id`` (created if missing); see ``Shareable.push_to_hub``.

    The folder is checked first (manifest schema, every file against its sha256), so a
    damaged preset is never published.
    """
    # lazy: huggingface_hub only when pushing (see _endpoint)
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    directory = Path(directory)
    entry, _ = preset.verify_folder(directory)  # raises on a missing or altered file
    name, tag = entry.model, entry.tag
    api = HfApi(endpoint=_endpoint(), token=token, library_name="zoo", library_version=__version__)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        commit = api.upload_folder(repo_id=repo_id, folder_path=str(directory), revision=revision,
                                   commit_message=commit_message or f"zoo preset {name}.{tag}",
                                   ignore_patterns=[".*", "**/.*"])
    except HfHubHTTPError as error:
        status = getattr(error.response, "status_code", None)
        hint = {401: "the Hub did not accept the token: set HF_TOKEN or run `hf auth login` with a write token",
                403: "the token may not write to this namespace: check the repository id and the token's rights",
                }.get(status, "check the repository id, HF_ENDPOINT and the network")
        said = str(error).splitlines()[0]  # the Hub's own words (URL, status); never the request headers
        raise PushError(f"pushing {directory} to {repo_id} at {_endpoint()} failed (HTTP {status}: {said}): "
                        f"{hint}.") from None
    pinned = {"hf_repo": repo_id, "hf_file": preset.WEIGHTS_FILE, "revision": commit.oid}
    log.info("pushed %s.%s to %s at commit %s", name, tag, repo_id, commit.oid)
    return {"repo_id": repo_id, "commit": commit.oid, "url": commit.commit_url, "model": name, "tag": tag,
            "load": f"hf://{repo_id}@{commit.oid}",
            "manifest": {"models": {name: {"tags": {tag: dict(entry.as_dict(), source=pinned)}}}}}


def push_model(model, repo_id: str, *, private: bool = False, token: str | None = None, revision: str | None = None,
               commit_message: str | None = None, **preset_options: Any) -> dict[str, Any]:
    """Save ``model`` as a preset in a temporary folder and push it."""
    preset_options.setdefault("tag", preset.default_tag(repo_id))
    preset_options.setdefault("repo_id", repo_id)
    with tempfile.TemporaryDirectory(prefix="zoo-push-") as scratch:
        folder = preset.save_preset(model, Path(scratch) / preset.default_tag(repo_id), **preset_options)
        return push_preset(folder, repo_id, private=private, token=token, revision=revision,
                           commit_message=commit_message)
