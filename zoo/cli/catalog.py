"""``zoo list`` and ``zoo info``: the catalog, read without importing TensorFlow."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import zoo


def _format_params(count: int) -> str:
    return f"{count / 1e6:.1f}M" if count >= 1e6 else f"{count:,}"


def cmd_list(args: argparse.Namespace) -> int:
    pretrained = True if args.pretrained else None
    names = zoo.list_models(args.pattern, family=args.family, pretrained=pretrained)
    if args.json:
        print(json.dumps(names))
        return 0
    if not names:
        print("no model matches", file=sys.stderr)
        return 1
    width = max(len(name) for name in names)
    for name in names:
        record = zoo.info(name)
        weights = record["default_weights"] or "-"
        print(f"{name:<{width}}  {record['family']:<10} {_format_params(record['params']):>7}  weights: {weights}")
    return 0


def _describe(record: dict[str, Any]) -> str:
    from zoo.hub.cache import read_pins

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
    listing.add_argument("pattern", nargs="?", default=None)
    listing.add_argument("--family", default=None, help="keep one family (e.g. resnet)")
    listing.add_argument("--pretrained", action="store_true", help="only models with pretrained weights")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(run=cmd_list)

    describe = commands.add_parser("info", help="describe a model and its weights tags")
    describe.add_argument("name")
    describe.add_argument("--json", action="store_true", help="print JSON for machines")
    describe.set_defaults(run=cmd_info)
