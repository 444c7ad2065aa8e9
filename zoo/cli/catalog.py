"""``zoo list`` and ``zoo info``: the catalog, read without importing TensorFlow."""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from typing import Any

import zoo
from zoo.hub.cache import read_pins


def _format_params(count: int) -> str:
    return f"{count / 1e6:.1f}M" if count >= 1e6 else f"{count:,}"


# Where a tag's file comes from, for `zoo list --pretrained`: a new user looks for what runs offline.
_SOURCE_LABELS = {"bundled": "bundled (offline)", "hf_repo": "Hugging Face", "url": "URL", "tfhub": "TF Hub"}


def _tag_order(record: dict[str, Any]) -> list[str]:
    """A model's weights tags, the default first, then manifest order."""
    default = record["default_weights"]
    return [tag for tag in record["weights"] if tag == default] + [tag for tag in record["weights"] if tag != default]


def _list_tags(args: argparse.Namespace) -> int:
    """One line per loadable ``name.tag``; a pattern with a dot is matched against ``name.tag``."""
    by_tag = args.pattern is not None and "." in args.pattern
    names = zoo.list_models(None if by_tag else args.pattern, family=args.family, pretrained=True)
    rows = []
    for name in names:
        record = zoo.info(name)
        for tag in _tag_order(record):
            if by_tag and not fnmatch.fnmatchcase(f"{name}.{tag}", args.pattern.lower()):
                continue
            kind = next((k for k in _SOURCE_LABELS if k in record["weights"][tag].get("source", {})), "-")
            rows.append((f"{name}.{tag}", record["family"], _SOURCE_LABELS.get(kind, kind),
                         "default" if tag == record["default_weights"] else ""))
    if args.json:
        print(json.dumps([row[0] for row in rows]))
        return 0
    if not rows:
        print("no weights tag matches", file=sys.stderr)
        return 1
    width, family_width = (max(len(row[column]) for row in rows) for column in (0, 1))
    for reference, family, source, default in rows:
        print(f"{reference:<{width}}  {family:<{family_width}}  {source:<17}  {default}".rstrip())
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    if args.pretrained or (args.pattern and "." in args.pattern):
        return _list_tags(args)
    names = zoo.list_models(args.pattern, family=args.family)
    if args.json:
        print(json.dumps(names))
        return 0
    if not names:
        print("no model matches", file=sys.stderr)
        return 1
    width = max(len(name) for name in names)
    for name in names:
        record = zoo.info(name)
        weights = ", ".join(_tag_order(record)) or "-"
        print(f"{name:<{width}}  {record['family']:<10} {_format_params(record['params']):>7}  weights: {weights}")
    return 0


def _describe(record: dict[str, Any]) -> str:
    pins = read_pins()
    if len(record["input_shape"]) == 3:
        height, width, channels = record["input_shape"]
        smallest = record["min_input_size"]
        shape = f"{height}x{width}x{channels} by default; at least {smallest}x{smallest}"
        counted = "default configuration, 1000 classes" if record["task"] == "image_classification" else "default configuration"
    else:
        shape, counted = "text (token sequences of any length)", "default configuration, printable-ASCII vocabularies"
    lines = [
        f"{record['name']}  ({record['family']}, {record['task']})",
        f"  {record['description']}",
        f"  paper:        {record['paper'] or '-'}",
        f"  parameters:   {record['params']:,} ({counted})",
        f"  input:        {shape}",
        f"  config:       {json.dumps(record['config'])}",
        f"  licences:     {', '.join(record['licenses']) or '-'}",
    ]
    if not record["weights"]:
        lines.append("  weights:      none published; zoo.create() gives random weights")
    for tag, entry in record["weights"].items():
        default = " (default)" if tag == record["default_weights"] else ""
        source = ", ".join(f"{key}: {value}" for key, value in entry.get("source", {}).items())
        hashes = ", ".join(
            f"{key} {entry[key]}" for key in ("sha256", "md5", "sha256_prefix") if entry.get(key)
        ) or "none published (pinned on first verified download)"
        pinned = pins.get(f"{record['name']}.{tag}", {}).get("sha256")
        if pinned:
            hashes += f"; pinned sha256 {pinned}"
        metrics = ", ".join(
            f"{key} {value}" for key, value in entry.get("metrics", {}).items() if key != "source"
        ) or "-"
        lines += [
            f"  weights {record['name']}.{tag}{default}",
            f"      source:        {source}",
            f"      hash:          {hashes}",
            f"      format:        {entry.get('format', '-')}   preprocessing: {entry.get('preprocessing', '-')}",
            f"      metrics:       {metrics}",
            f"      licence:       {entry.get('license', '-')}",
        ]
        if entry.get("notes"):
            lines.append(f"      notes:         {entry['notes']}")
    return "\n".join(lines)


def cmd_info(args: argparse.Namespace) -> int:
    record = zoo.info(args.name)
    print(json.dumps(record, indent=2) if args.json else _describe(record))
    return 0


def add_parsers(commands: argparse._SubParsersAction) -> None:
    listing = commands.add_parser("list", help="list models (wildcards allowed: 'resnet*')")
    listing.add_argument("pattern", nargs="?", default=None,
                         help="a wildcard on model names; with a dot ('*.mnist') on name.tag, as --pretrained")
    listing.add_argument("--family", default=None, help="keep one family (e.g. resnet)")
    listing.add_argument("--pretrained", action="store_true",
                         help="one line per weights tag (name.tag): its source and whether it is the default")
    listing.add_argument("--json", action="store_true", help="print a JSON list (name.tag with --pretrained)")
    listing.set_defaults(run=cmd_list)

    describe = commands.add_parser("info", help="describe a model and its weights tags")
    describe.add_argument("name")
    describe.add_argument("--json", action="store_true", help="print JSON for machines")
    describe.set_defaults(run=cmd_info)
