"""``zoo finetune``, ``zoo tune``, ``zoo bench`` and ``zoo sample``: the commands that build and run a model."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

import zoo
from zoo import registry
from zoo.cli.common import path_text, positive_float, quiet_tensorflow, whole_number
from zoo.tune import searchable_family


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
        # lazy: tensorflow_datasets imports TensorFlow (seconds); only a TFDS name needs it
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
    registry.get_spec(args.name)  # an unknown name fails here, before TensorFlow is imported
    config = assignments(args.set, "--set", "size=tiny")
    if config is None:
        return 2
    quiet_tensorflow()
    # lazy: zoo.bench imports TensorFlow; keeps it out of `zoo list` / `zoo info`
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
    # lazy: NumPy only for `zoo tune`; `zoo list` / `zoo info` stay light
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


def add_parsers(commands: argparse._SubParsersAction) -> None:
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
