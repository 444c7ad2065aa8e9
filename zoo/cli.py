"""The ``zoo`` command. Listing and describing models never imports TensorFlow.

A user error (an unknown name or tag, a missing file, a bad value) prints one ``zoo: <message>``
line to stderr and exits 2, with no traceback; an unexpected error keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import sys
from typing import Any, Sequence

import zoo

ZOO_PACKAGE = pathlib.Path(zoo.__file__).resolve().parent
# zoo's own error classes, whatever raised them; their messages are written for users.
USER_ERRORS = (zoo.UnknownModelError, zoo.WeightsNotAvailableError, zoo.ManifestError, zoo.WeightsIntegrityError,
               zoo.WeightsMismatchError, zoo.PresetError, zoo.PushError, zoo.ExportError, FileExistsError,
               FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ start-up chatter (CUDA probing on a machine without a GPU: ``failed call to
    cuInit``, ``Could not find cuda drivers``; oneDNN notices) off stderr, unless the user chose a log level.

    ``TF_CPP_MIN_LOG_LEVEL=3`` silences what TensorFlow logs after it has set up its logging; the lines
    logged before that ignore the level, so stderr is pointed at /dev/null while TensorFlow is imported.
    Errors still arrive as Python exceptions. GPUs stay visible: nothing here changes device selection.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr file descriptor (embedded use): nothing to quiet
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def whole_number(minimum: int):
    """An argparse type for counts (steps, samples, trials, batch sizes): whole numbers >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}; got {text!r}")
        return value

    return parse


def path_text(text: str) -> str:
    """An argparse type for files and folders: an empty path would mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must be a path; got an empty string")
    return text


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0; got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return value


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


def _weights_targets(names: Sequence[str], every_tag: bool) -> list[tuple[Any, str, dict[str, Any]]]:
    """``(spec, tag, entry)`` for each NAME or NAME.TAG (a bare name: its default tag, or all tags)."""
    from zoo import manifest, registry

    targets = []
    for name in names:
        spec, tag = registry.resolve_tag(name)
        if tag is None:
            raise zoo.WeightsNotAvailableError(f"{spec.name} has no pretrained weights in the manifest")
        explicit = registry.split_name(name)[1] is not None
        tags = [tag] if explicit or not every_tag else list(manifest.tags_for(spec.name))
        targets += [(spec, t, manifest.entry(spec.name, t)) for t in tags]
    return targets


def cmd_download(args: argparse.Namespace) -> int:
    from zoo import hub

    failures = 0
    targets = _weights_targets(args.names, args.all_tags)
    quiet_tensorflow()  # converting weights builds the model
    for spec, tag, entry in targets:
        try:
            hub.download(spec, tag, entry)
            print(f"{spec.name}.{tag}: cached")
        except (zoo.WeightsNotAvailableError, zoo.WeightsIntegrityError, zoo.WeightsMismatchError) as error:
            failures += 1
            print(f"{spec.name}.{tag}: {error}", file=sys.stderr)
    return 1 if failures else 0


def cmd_mirror(args: argparse.Namespace) -> int:
    from zoo import hub

    names = args.names or zoo.list_models(pretrained=True)
    failures = 0
    for spec, tag, entry in _weights_targets(names, every_tag=True):
        if "bundled" in entry["source"]:
            continue  # ships with zoo itself
        try:
            for path in hub.mirror(spec.name, tag, entry, pathlib.Path(args.directory)):
                print(f"{spec.name}.{tag}: {path}")
        except (zoo.WeightsNotAvailableError, zoo.WeightsIntegrityError) as error:
            failures += 1
            print(f"{spec.name}.{tag}: {error}", file=sys.stderr)
    return 1 if failures else 0


def cmd_cache(args: argparse.Namespace) -> int:
    from zoo.hub import cache

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
    from zoo.hub import audit, cache

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


def check_image_data(value: str | None, flag: str) -> None:
    """``--data``/``--validation``: an image folder or a TFDS name; refused before the model loads."""
    if value is None or os.path.isdir(value):
        return
    accepted = "an image folder (one sub-folder per class) or a TFDS name such as tf_flowers:train"
    if os.path.exists(value):
        raise ValueError(f"{flag} {value} is a file; give {accepted}.")
    if os.sep in value or value.startswith((".", "~")) or os.altsep and os.altsep in value:
        raise FileNotFoundError(f"{flag} {value}: no such folder; give {accepted}.")
    quiet_tensorflow()
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise FileNotFoundError(f"{flag} {value}: no such folder (and tensorflow_datasets, for TFDS names, "
                                f"is not installed); give {accepted}.") from None
    try:
        tfds.builder_cls(value.partition(":")[0])
    except tfds.core.registered.DatasetNotFoundError:
        raise FileNotFoundError(f"{flag} {value}: no such folder, and TFDS has no dataset "
                                f"{value.partition(':')[0]!r}; give {accepted}.") from None


def cmd_finetune(args: argparse.Namespace) -> int:
    check_image_data(args.data, "--data")
    check_image_data(args.validation, "--validation")
    quiet_tensorflow()
    options: dict[str, Any] = {}
    if args.image_size:
        options["input_shape"] = (args.image_size, args.image_size, args.channels)
    model = zoo.load(args.name, weights=None if args.no_weights else "default", **options)
    epochs = args.epochs if len(args.epochs) != 1 else args.epochs[0]
    history = model.finetune(
        args.data,
        validation_data=args.validation,
        epochs=epochs,
        recipe=args.recipe,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        augment=args.augment,
        checkpoint_dir=args.checkpoint_dir,
    )
    model.save(args.out)
    last = {key: round(values[-1], 4) for key, values in history.history.items() if values}
    print(f"{args.name}: {len(history.epoch)} epochs, final {last}; saved {args.out}")
    return 0


def assignments(pairs: Sequence[str], flag: str, example: str) -> dict[str, Any] | None:
    """``NAME=VALUE`` strings as a dict (numbers and booleans parsed, anything else a string);
    None after printing the problem if one is malformed."""
    parsed: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            print(f"zoo: {flag} takes NAME=VALUE (e.g. {example}); got {pair!r}", file=sys.stderr)
            return None
        try:
            parsed[name] = json.loads(value)
        except json.JSONDecodeError:
            parsed[name] = value
    return parsed


def cmd_bench(args: argparse.Namespace) -> int:
    from zoo import registry

    registry.get_spec(args.name)  # an unknown name fails here, before TensorFlow is imported
    config = assignments(args.set, "--set", "size=tiny")
    if config is None:
        return 2
    quiet_tensorflow()
    from zoo import bench

    report = bench.run(args.name, batch_size=args.batch_size, image_size=args.image_size,
                       mode="infer" if args.infer else "train", precision=args.precision, jit=args.jit,
                       strategy=args.strategy, steps=args.steps, rounds=args.rounds, **config)
    print(json.dumps(report) if args.json else bench.describe(report))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    count = args.n or (len(args.labels) if args.labels else 16)
    if args.labels and len(args.labels) != count:
        raise ValueError(f"--labels gives {len(args.labels)} labels for --n {count} samples; give one label per "
                         "sample (or leave out --n).")
    if args.labels and min(args.labels) < 0:
        raise ValueError(f"--labels are class ids >= 0; got {min(args.labels)}.")
    quiet_tensorflow()
    model = zoo.load(args.name, weights=None if args.no_weights else "default")
    if not hasattr(model, "sample_grid"):
        print(f"zoo: {args.name} does not generate images (it has no sample_grid)", file=sys.stderr)
        return 2
    if args.labels and not getattr(model, "num_classes", None):
        raise ValueError(f"{args.name} is not class-conditional; drop --labels (they are for cgan).")
    if args.labels and max(args.labels) >= model.num_classes:
        raise ValueError(f"--labels must be class ids in [0, {model.num_classes}) for {args.name}; "
                         f"got {max(args.labels)}.")
    options = {"labels": args.labels} if args.labels else {}
    path = model.sample_grid(count, args.out, seed=args.seed, **options)
    print(f"{count} samples of {args.name}: {path}")
    return 0


def _npz(path: str):
    """``--data`` of ``zoo tune``, opened; a missing or unreadable file is a user error."""
    import numpy as np

    if not os.path.isfile(path):
        raise FileNotFoundError(f"--data {path}: no such file; give an .npz with x_train[, y_train] "
                                "(and x_val[, y_val]), e.g. written by numpy.savez.")
    try:
        return np.load(path)  # allow_pickle stays False: pickled objects in the file are refused
    except (OSError, ValueError):
        raise ValueError(f"--data {path} is not an .npz of plain arrays (numpy.savez writes one).") from None


def cmd_tune(args: argparse.Namespace) -> int:
    fixed = assignments(args.fixed, "--fixed", "width=0.25")
    if fixed is None:
        return 2
    from zoo.tune import searchable_family

    searchable_family(args.family)  # an unknown family fails before the data is read or TensorFlow imported
    with _npz(args.data) as arrays:
        if "x_train" not in arrays.files:
            print(f"zoo: {args.data} needs an array x_train (and y_train for labelled or paired data; "
                  f"x_val, y_val to validate); it has {sorted(arrays.files)}", file=sys.stderr)
            return 2

        def split(x: str, y: str):  # images alone (vae, dcgan, aae) or (inputs, labels or targets)
            if x not in arrays.files:
                return None
            return (arrays[x], arrays[y]) if y in arrays.files else arrays[x]

        train, validation = split("x_train", "y_train"), split("x_val", "y_val")
    quiet_tensorflow()
    result = zoo.tune(args.family, train, validation, tuner=args.tuner, max_trials=args.max_trials,
                      directory=args.directory, project_name=args.project_name, epochs=args.epochs,
                      batch_size=args.batch_size, fixed=fixed, verbose=0)
    print(result.table(args.top))
    if args.report:
        print(f"report: {result.plot(args.report)}")
    if args.export:
        print(f"exported: ZOO_MANIFEST={result.export(args.export)}")
    return 0


def cmd_save(args: argparse.Namespace) -> int:
    quiet_tensorflow()
    model = zoo.load(args.name, weights=None if args.no_weights else "default")
    folder = model.save_preset(args.directory, tag=args.tag, license=args.license, overwrite=args.overwrite)
    print(f"saved {args.name} as a preset: {folder} (zoo.load({str(folder)!r}); zoo push {folder} OWNER/NAME)")
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from zoo.hub.push import push_preset

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

    tune = commands.add_parser("finetune", help="fine-tune a model on an image folder or a TFDS dataset")
    tune.add_argument("name", help="model or model.tag (its default weights are loaded)")
    tune.add_argument("--data", type=path_text, required=True,
                      help="image folder (one sub-folder per class) or TFDS name[:split]")
    tune.add_argument("--validation", type=path_text, default=None, help="held-out data, same forms as --data")
    tune.add_argument("--epochs", type=whole_number(0), nargs="+", default=[6],
                      help="total, or HEAD FULL for two_phase")
    tune.add_argument("--recipe", default="two_phase", choices=("two_phase", "head", "full"))
    tune.add_argument("--learning-rate", type=positive_float, default=None)
    tune.add_argument("--batch-size", type=whole_number(1), default=32)
    tune.add_argument("--augment", default=None, choices=("crop", "flip", "crop+flip"))
    tune.add_argument("--image-size", type=whole_number(1), default=None, help="resize inputs to SIZE x SIZE")
    tune.add_argument("--channels", type=whole_number(1), default=3)
    tune.add_argument("--checkpoint-dir", type=path_text, default=None,
                      help="resumable: rerun the same command after an interruption")
    tune.add_argument("--no-weights", action="store_true", help="start from random weights")
    tune.add_argument("--out", type=path_text, default="model.keras")
    tune.set_defaults(run=cmd_finetune)

    search = commands.add_parser("tune", help="search a family's architectures with KerasTuner (zoo.tune)")
    search.add_argument("family", help="a searchable family, e.g. resnet")
    search.add_argument("--data", type=path_text, required=True,
                        help=".npz with x_train[, y_train] (and x_val[, y_val])")
    search.add_argument("--fixed", nargs="*", default=[], metavar="NAME=VALUE",
                        help="pin hyperparameters of the space, e.g. width=0.25 aux_logits=true")
    search.add_argument("--tuner", default="random", choices=["random", "bayesian", "hyperband"])
    search.add_argument("--max-trials", type=whole_number(1), default=10)
    search.add_argument("--epochs", type=whole_number(1), default=3)
    search.add_argument("--batch-size", type=whole_number(1), default=32)
    search.add_argument("--directory", type=path_text, default="zoo_tune", help="search state; rerun to resume")
    search.add_argument("--project-name", default=None)
    search.add_argument("--top", type=whole_number(1), default=10, help="rows of the trial table to print")
    search.add_argument("--report", type=path_text, default=None,
                        help="write a PNG: objective per trial and best so far")
    search.add_argument("--export", type=path_text, default=None,
                        help="directory for the best model and its manifest entry")
    search.set_defaults(run=cmd_tune)

    measure = commands.add_parser("bench", help="throughput, step time, FLOPs and memory of a model (random weights)")
    measure.add_argument("name", help="any model name, e.g. resnet50")
    measure.add_argument("--batch-size", type=whole_number(1), default=32, help="global batch (split across replicas)")
    measure.add_argument("--image-size", type=whole_number(1), default=None,
                         help="square inputs of this size (image models)")
    mode = measure.add_mutually_exclusive_group()
    mode.add_argument("--train", action="store_true", help="time training steps (the default)")
    mode.add_argument("--infer", action="store_true", help="time forward passes")
    measure.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"], help="mixed precision policy")
    measure.add_argument("--jit", action="store_true", help="compile with XLA")
    measure.add_argument("--strategy", default=None, help="e.g. mirrored:2, tpu (see zoo.distribute)")
    measure.add_argument("--steps", type=whole_number(1), default=10, help="steps per timed round")
    measure.add_argument("--rounds", type=whole_number(1), default=3, help="timed rounds after the warm-up")
    measure.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                         help="build options, as zoo.load takes them (e.g. size=tiny, base_width=32)")
    measure.add_argument("--json", action="store_true", help="print one JSON object")
    measure.set_defaults(run=cmd_bench)

    sample = commands.add_parser("sample", help="write a PNG grid of a generative model's samples")
    sample.add_argument("name", help="e.g. dcgan.mnist, cgan.mnist, vae.mnist")
    sample.add_argument("--out", type=path_text, default="samples.png")
    sample.add_argument("--n", type=whole_number(1), default=None,
                        help="how many samples (default: one per --labels, or 16)")
    sample.add_argument("--seed", type=whole_number(0), default=0)
    sample.add_argument("--labels", type=int, nargs="+", default=None, help="class labels (cgan), one per sample")
    sample.add_argument("--no-weights", action="store_true", help="random weights")
    sample.set_defaults(run=cmd_sample)

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
    return parser


def _raised_by_zoo(error: BaseException) -> bool:
    """Whether zoo's own code raised ``error`` (a check of the user's input), not a library below it."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    return trace is not None and ZOO_PACKAGE in pathlib.Path(trace.tb_frame.f_code.co_filename).resolve().parents


def _stdout_gone() -> None:
    """The reader of stdout left (``zoo info resnet50 | head -2``): write the rest nowhere, quietly."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: stdout is not a real file (captured)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handlers, not at exit
        return code
    except BrokenPipeError:
        _stdout_gone()
        return 141  # what a shell reports for a command ended by SIGPIPE
    except KeyboardInterrupt:
        print("zoo: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as error:
        print(f"zoo: {error}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as error:
        if not _raised_by_zoo(error):
            raise  # not one of zoo's input checks: a bug to report, with its traceback
        print(f"zoo: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
