"""The ``zoo`` command. Listing and describing models never imports TensorFlow."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

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
    height, width, channels = record["input_shape"]
    lines = [
        f"{record['name']}  ({record['family']}, {record['task']})",
        f"  {record['description']}",
        f"  paper:        {record['paper'] or '-'}",
        f"  parameters:   {record['params']:,} (default configuration, 1000 classes)",
        f"  input:        {height}x{width}x{channels} by default; at least {record['min_input_size']}x{record['min_input_size']}",
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
        ) or "not yet published (pinned on first verified download)"
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoo", description="A Keras 3 model zoo.")
    commands = parser.add_subparsers(dest="command", required=True)

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except zoo.UnknownModelError as error:
        print(f"zoo: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
