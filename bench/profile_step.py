"""Where a ResNet-50 step's time goes, op by op: TensorFlow's profiler over a few steps per contender.

    python bench/profile_step.py [--mode train|infer] [--contenders NAME,NAME] [--top N] [--smoke]

For each contender (as in bench/resnet50.py: keras.applications, zoo fp32, zoo bf16, and both
compiled with XLA), it traces and warms the step, profiles ``--steps`` more, and prints the
costliest ops in milliseconds per step, summed over the threads that ran them (so a table can
add up to more than the wall-clock step on 2 cores). TensorFlow ops are grouped by op type
(``_FusedConv2D``, ``Mul``, ...); XLA's by HLO kind (``convolution``, ``fusion``, ...).
It explains rows of bench/RESULTS.md (the inference and XLA rows); it judges no goal, so it is
not part of `make bench`.
"""

from __future__ import annotations

import collections
import glob
import tempfile
from typing import Callable

from common import Report, arguments
from resnet50 import compiled  # the same optimizer and loss as the timed comparison

import keras
import numpy as np
import tensorflow as tf
from tensorflow.tsl.profiler.protobuf import xplane_pb2  # the profiler's own trace format

import zoo
from zoo import bench, precision


def builders(shape: tuple[int, int, int]) -> dict[str, Callable[[], keras.Model]]:
    kapp = lambda: keras.applications.ResNet50(weights=None, input_shape=shape)  # noqa: E731
    return {
        "keras.applications": lambda: compiled(kapp(), False),
        "keras.applications XLA": lambda: compiled(kapp(), True),
        "zoo fp32": lambda: compiled(zoo.create("resnet50", input_shape=shape), False),
        "zoo XLA": lambda: compiled(zoo.create("resnet50", input_shape=shape), True),
        "zoo bf16": lambda: compiled(zoo.load("resnet50", weights=None, input_shape=shape,
                                              mixed_precision="bf16"), False),
    }


def op_times(logdir: str) -> collections.Counter:
    """Picoseconds per op kind over the profiled window: leaf events only (a TensorFlow op, whose
    metadata names its type, or an XLA HLO op, which carries an ``hlo_op`` stat), so the executor
    and thunk wrappers around them are not counted twice."""
    space = xplane_pb2.XSpace()
    with open(sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))[-1], "rb") as file:
        space.ParseFromString(file.read())
    totals: collections.Counter = collections.Counter()
    for plane in space.planes:
        stat_names = {key: meta.name for key, meta in plane.stat_metadata.items()}
        for line in plane.lines:
            if line.name == "python":
                continue
            for event in line.events:
                meta = plane.event_metadata[event.metadata_id]
                if meta.name.startswith("end: "):
                    continue
                if any(stat_names.get(stat.metadata_id) == "hlo_op" for stat in event.stats):
                    totals["XLA " + meta.name.split(".")[0]] += event.duration_ps
                elif meta.display_name and meta.name.endswith(":" + meta.display_name):
                    totals[meta.display_name] += event.duration_ps
    return totals


def profile(model: keras.Model, mode: str, x: tf.Tensor, y: tf.Tensor,
            steps: int) -> tuple[bench.Step, collections.Counter]:
    """Time per step (wall and process CPU, profiler off) over ``steps`` steps, then the op table of
    as many more with the profiler on; the timers' own warm-up call traces and compiles first."""
    if mode == "train":
        timed = bench.fit_timer(model.fit, tf.data.Dataset.from_tensors((x, y)).repeat(), steps)
    else:
        forward = tf.function(lambda t: model(t, training=False), jit_compile=bool(getattr(model, "jit_compile", False)))
        timed = bench.call_timer(forward, x, steps, scope=getattr(model, "precision_scope", None))
    step = timed()
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        try:
            timed()
        finally:
            tf.profiler.experimental.stop()
        return step, op_times(logdir)


def main() -> None:
    args = arguments(__doc__.splitlines()[0],
                     **{"--mode": {"choices": ("train", "infer"), "default": "train"},
                        "--contenders": {"default": None, "help": "comma-separated; default: all but emulated bf16"},
                        "--top": {"type": int, "default": 12},
                        "--steps": {"type": int, "default": 3}})
    size, batch = (32, 2) if args.smoke else (128, 8)
    steps = 1 if args.smoke else args.steps
    if steps < 1 or args.top < 1:
        raise SystemExit("profile_step: --steps and --top must be at least 1")
    available = builders((size, size, 3))
    names = args.contenders.split(",") if args.contenders else [
        name for name in available if name != "zoo bf16" or precision.native_bf16_cpu()]
    unknown = [name for name in names if name not in available]
    if unknown:
        raise SystemExit(f"profile_step: unknown contender(s) {unknown}; choose from {sorted(available)}")
    report = Report("bench/profile_step.py", args, command=f"python bench/profile_step.py --mode {args.mode}")
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch, size, size, 3)).astype("float32"))
    y = tf.constant(np.arange(batch) % 1000)
    for name in names:
        step, ops = profile(available[name](), args.mode, x, y, steps)
        total = sum(ops.values()) / 1e9 / steps
        print(f"\n{args.mode}, {name}: {1000 * step.wall:.0f} ms per step wall, {1000 * step.cpu:.0f} ms CPU "
              f"(profiler off); profiled ops {total:.0f} ms per step summed over threads")
        for op, picoseconds in ops.most_common(args.top):
            print(f"  {picoseconds / 1e9 / steps:9.1f} ms  {op}")
        report.row(f"{args.mode}, {name}: ms per step, wall", 1000 * step.wall, unit="ms", higher_is_better=False,
                   cpu_ms=1000 * step.cpu, ops_ms={op: ps / 1e9 / steps for op, ps in ops.most_common(args.top)})
    report.note(f"batch {batch}, {size}x{size}; {steps} timed steps (profiler off), then as many profiled, after one warm-up call.")
    report.finish()


if __name__ == "__main__":
    main()
