"""``zoo download``, ``zoo mirror`` and ``zoo cache``: fetching, mirroring and checking pretrained weights."""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any, Sequence

import zoo
# zoo.loader parses references with the stdlib only: TensorFlow comes with the first build or conversion.
from zoo import loader, manifest, registry
from zoo.cli.common import path_text, quiet_tensorflow
from zoo.hub import audit, cache


def _weights_targets(names: Sequence[str], every_tag: bool) -> list[Any]:
    """The weights entry of each NAME.TAG, or of each bare NAME (its default tag, or all its tags)."""
    targets = []
    for name in names:
        spec, tag = registry.resolve_tag(name)
        if tag is None:
            raise zoo.WeightsNotAvailableError(f"{spec.name} has no pretrained weights in the manifest")
        explicit = registry.split_name(name)[1] is not None
        tags = [tag] if explicit or not every_tag else list(manifest.tags_for(spec.name))
        targets += [manifest.entry(spec.name, t) for t in tags]
    return targets


def cmd_download(args: argparse.Namespace) -> int:
    failures = 0
    targets = _weights_targets(args.names, args.all_tags)
    quiet_tensorflow()  # converting weights builds the model
    for entry in targets:
        try:
            loader.download(entry)
            print(f"{entry.model}.{entry.tag}: cached")
        except (zoo.WeightsNotAvailableError, zoo.WeightsIntegrityError, zoo.WeightsMismatchError) as error:
            failures += 1
            print(f"{entry.model}.{entry.tag}: {error}", file=sys.stderr)
    return 1 if failures else 0


def cmd_mirror(args: argparse.Namespace) -> int:
    names = args.names or zoo.list_models(pretrained=True)
    failures = 0
    for entry in _weights_targets(names, every_tag=True):
        if entry.bundled:
            continue  # ships with zoo itself
        try:
            for path in loader.mirror(entry, pathlib.Path(args.directory)):
                print(f"{entry.model}.{entry.tag}: {path}")
        except (zoo.WeightsNotAvailableError, zoo.WeightsIntegrityError) as error:
            failures += 1
            print(f"{entry.model}.{entry.tag}: {error}", file=sys.stderr)
    return 1 if failures else 0


def cmd_cache(args: argparse.Namespace) -> int:
    if args.model is not None:
        if args.action != "clear":
            raise ValueError(f"`zoo cache {args.action}` takes no model name (got {args.model!r}); "
                             f"only `zoo cache clear NAME[.TAG]` does.")
        zoo.info(args.model)  # an unknown name or tag fails here instead of clearing nothing
    if args.action == "clear":
        print(f"removed {cache.clear(args.model)} files from {cache.root()} (and their pins)")
        return 0
    if args.action == "verify":
        return _verify_cache(args.json)
    rows = cache.entries()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"cache: {cache.root()}")
    for row in rows:
        print(f"  {row['kind']:<10} {row['model']}.{row['tag']:<20} {row['bytes'] / 1e6:8.1f} MB  {row['file']}")
    if not rows:
        print("  (empty)")
    return 0


def _verify_cache(as_json: bool) -> int:
    rows = audit.verify_cache()
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"cache: {cache.root()}")
        for row in rows:
            verdict = "ok" if row["ok"] else f"REMOVED: {row['problem']}"
            print(f"  {row['kind']:<10} {row['model']}.{row['tag']:<20} {verdict}  {row['file']}")
        bad = sum(not row["ok"] for row in rows)
        print(f"{len(rows)} checked, {len(rows) - bad} ok, {bad} removed (a later load fetches them afresh)")
    return 1 if any(not row["ok"] for row in rows) else 0


def add_parsers(commands: argparse._SubParsersAction) -> None:
    download = commands.add_parser("download", help="fetch, verify, convert and cache weights (NAME or NAME.TAG)")
    download.add_argument("names", nargs="+")
    download.add_argument("--all-tags", action="store_true", help="every tag of each NAME, not just its default")
    download.set_defaults(run=cmd_download)

    mirror = commands.add_parser("mirror", help="fill a ZOO_MIRROR directory (<model>/<tag>/<file>) from upstream or the cache")
    mirror.add_argument("directory", type=path_text)
    mirror.add_argument("names", nargs="*", help="models or model.tag (default: every model with weights)")
    mirror.set_defaults(run=cmd_mirror)

    caching = commands.add_parser("cache", help="list, verify or clear the weights cache ($ZOO_CACHE)")
    caching.add_argument("action", choices=("list", "verify", "clear"),
                         help="verify: re-hash every cached file, remove what fails (exit 1 if any)")
    caching.add_argument("model", nargs="?", default=None, help="clear: only this model, or NAME.TAG (with its pins)")
    caching.add_argument("--json", action="store_true")
    caching.set_defaults(run=cmd_cache)
