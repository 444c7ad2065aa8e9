"""``zoo save``, ``zoo push``, ``zoo export`` and ``zoo convert``: presets, the Hugging Face Hub, serving
artifacts, and presets made from a checkpoint of your own."""

from __future__ import annotations

import argparse
import json
import pathlib

import zoo
from zoo.cli.common import path_text, positive_float, quiet_tensorflow
from zoo.push import push_preset


def cmd_save(args: argparse.Namespace) -> int:
    quiet_tensorflow()
    model = zoo.load(args.name, weights=None if args.no_weights else "default")
    folder = model.save_preset(args.directory, tag=args.tag, license=args.license, overwrite=args.overwrite)
    print(f"saved {args.name} as a preset: {folder} (zoo.load({str(folder)!r}); zoo push {folder} OWNER/NAME)")
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    # No --token flag: a token on the command line ends up in shell history and `ps`.
    result = push_preset(args.directory, args.repo_id, private=args.private, revision=args.revision,
                         commit_message=args.message)
    print(f"pushed {result['model']}.{result['tag']} to {result['url']}")
    print(f"load it with: zoo.load({result['load']!r})")
    if args.manifest:
        pathlib.Path(args.manifest).write_text(json.dumps(result["manifest"], indent=2) + "\n")
        print(f"manifest entry: {args.manifest} (ZOO_MANIFEST={args.manifest} -> zoo.load('{result['model']}.{result['tag']}'))")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    # lazy: zoo.export imports NumPy, which `zoo list` / `zoo info` never need
    from zoo.export import describe

    if pathlib.Path(args.out).exists() and not args.overwrite:  # say so before loading TensorFlow and the model
        raise FileExistsError(f"{args.out} exists; pass --overwrite to replace it.")
    quiet_tensorflow()
    model = zoo.load(args.name, weights=None if args.no_weights else "default")
    path = model.export_for_serving(args.out, format=args.format, tolerance=args.tolerance, quantize=args.quantize,
                                    overwrite=args.overwrite)
    info = describe(path)
    print(f"exported {args.name} as {args.format}: {info['path']} ({info['bytes']:,} bytes; parity checked, "
          f"tolerance {args.tolerance:g})")
    return 0


def key_map_rule(text: str) -> tuple[str, str]:
    """``--key-map OLD=NEW``: one prefix rewrite (``features.=`` strips ``features.``)."""
    old, equals, new = text.partition("=")
    if not equals or not old:
        raise argparse.ArgumentTypeError(f"must be OLD=NEW (a tensor-name prefix and its replacement, NEW may be "
                                         f"empty: features.=); got {text!r}")
    return old, new


def cmd_convert(args: argparse.Namespace) -> int:
    from zoo import loader  # parsing reads the checkpoint's first bytes, not TensorFlow: bad input fails at once

    out = pathlib.Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.overwrite:
        raise FileExistsError(f"{args.out} exists and is not empty; pass --overwrite to replace it.")
    key_map = dict(args.key_map) if args.key_map else None
    loader.parse(args.model, args.checkpoint, key_map=key_map, strict=not args.no_strict)
    quiet_tensorflow()
    model = zoo.load(args.model, weights=args.checkpoint, key_map=key_map, strict=not args.no_strict)
    print(model.load_report)
    folder = model.save_preset(out, tag=args.tag, license=args.license, overwrite=args.overwrite)
    print(f"saved {args.checkpoint} as a {model.model_name} preset: {folder} (zoo.load({str(folder)!r}); "
          f"zoo push {folder} OWNER/NAME)")
    return 0


def add_parsers(commands: argparse._SubParsersAction) -> None:
    save = commands.add_parser("save", help="write a model as a preset folder (config, weights, manifest entry, card)")
    save.add_argument("name", help="model, model.tag, a .keras file or a preset")
    save.add_argument("directory", type=path_text)
    save.add_argument("--tag", default=None, help="the preset's weights tag (default: the folder name)")
    save.add_argument("--license", default=None, help="declare a licence (default: the base weights')")
    save.add_argument("--no-weights", action="store_true", help="random weights")
    save.add_argument("--overwrite", action="store_true", help="replace a non-empty folder")
    save.set_defaults(run=cmd_save)

    push = commands.add_parser("push", help="upload a preset folder to the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN)")
    push.add_argument("directory", type=path_text, help="a folder written by model.save_preset / zoo save")
    push.add_argument("repo_id", help="OWNER/NAME; created when missing")
    push.add_argument("--private", action="store_true")
    push.add_argument("--revision", default=None, help="a branch (created when missing)")
    push.add_argument("--message", default=None, help="commit message")
    push.add_argument("--manifest", type=path_text, default=None,
                      help="write a manifest with the pushed entry (hf_repo, pinned revision)")
    push.set_defaults(run=cmd_push)

    export = commands.add_parser("export", help="export for serving (SavedModel or TFLite), parity-checked")
    export.add_argument("name", help="model, model.tag, a .keras file, a preset folder or hf://OWNER/NAME")
    export.add_argument("--format", default="saved_model", choices=["saved_model", "tflite"])
    export.add_argument("--out", type=path_text, required=True, help="SavedModel folder or .tflite file")
    export.add_argument("--tolerance", type=positive_float, default=1e-4, help="largest output difference accepted")
    export.add_argument("--quantize", default=None, choices=["dynamic", "float16"], help="TFLite weight quantization")
    export.add_argument("--no-weights", action="store_true", help="random weights")
    export.add_argument("--overwrite", action="store_true", help="replace an existing artifact")
    export.set_defaults(run=cmd_export)

    convert = commands.add_parser("convert", help="a checkpoint of your own (.pth, .safetensors, .h5, URL) -> a preset "
                                                  "folder, ready for zoo push")
    convert.add_argument("checkpoint", help="a .pth/.pt/.bin, .safetensors, .h5 or .weights.h5 file, or an http(s) URL")
    convert.add_argument("--model", required=True, help="NAME or NAME.TAG: the architecture, and the tag whose layout "
                                                        "and preprocessing the checkpoint follows")
    convert.add_argument("--out", type=path_text, required=True, help="the preset folder to write")
    convert.add_argument("--key-map", type=key_map_rule, action="append", metavar="OLD=NEW",
                         help="rename tensors whose name starts with OLD (in order, first match wins); repeatable")
    convert.add_argument("--no-strict", action="store_true",
                         help="load what fits and report missing, unexpected and mismatched tensors")
    convert.add_argument("--tag", default=None, help="the preset's weights tag (default: the folder name)")
    convert.add_argument("--license", default=None, help="declare the checkpoint's licence (default: unspecified)")
    convert.add_argument("--overwrite", action="store_true", help="replace a non-empty folder")
    convert.set_defaults(run=cmd_convert)
