"""Throughput measurement: ``zoo bench NAME`` and the helpers the ``bench/`` scripts share.

Every figure is measured, in this process: step times (wall and process CPU) after a warm-up, the
model's FLOPs (counted by TensorFlow's profiler on the forward graph), and the
machine's matmul peak (a timed large matmul in the same precision), so achieved
GFLOP/s can be read against what this CPU can do.

>>> from zoo import bench
>>> report = bench.run("lego_cnn", batch_size=2, image_size=32, steps=2, rounds=1)
>>> report["unit"], report["batch_size"], report["images_per_s"] > 0
('images', 2, True)
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import platform
import resource
import statistics
import time
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf
# TensorFlow's FLOP counter: private modules, but TensorFlow loads them on import anyway.
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
from tensorflow.python.profiler import model_analyzer, option_builder

import zoo
from zoo import distribute, registry
from zoo.checks import whole_number
from zoo.tasks.benchmark import Workload

# Training costs about three forward passes (forward, and backward for inputs and weights):
# the usual convention for training FLOPs when the profiler counts only the forward graph.
TRAIN_FLOPS_PER_FORWARD = 3


# --- timing ---------------------------------------------------------------------------------------

# A/A (the reference against a twin of itself, timed exactly like the comparison) must land within
# 1 ± AA_TOLERANCE before a goal is judged: a gap smaller than the noise is no verdict.
AA_TOLERANCE = 0.05
CLOCKS = ("wall", "cpu")


@dataclasses.dataclass(frozen=True)
class Step:
    """Seconds per step of one timed round, by two clocks: wall time (what a user waits) and this
    process's CPU time over all its threads (the work done; on a shared 2-core VM the wall clock of a
    step sometimes snaps to 512 ms while one core idles, the CPU clock does not)."""

    wall: float
    cpu: float


class _Clock:
    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def per_step(self, steps: int) -> Step:
        return Step((time.perf_counter() - self.wall) / steps, (time.process_time() - self.cpu) / steps)


def alternate(runs: dict[str, Callable[[], Step]], rounds: int, warm_up_rounds: int = 0) -> dict[str, list[Step]]:
    """Call each run once per round, in turn (A B A B ...), so slow drift of the machine (turbo,
    other processes) lands on every contender alike. Each run returns its own ``Step``; the first
    ``warm_up_rounds`` rounds are run and dropped (caches, allocators and thread pools settle)."""
    times: dict[str, list[Step]] = {name: [] for name in runs}
    for index in range(warm_up_rounds + rounds):
        for name, run in runs.items():
            step = run()
            if index >= warm_up_rounds:
                times[name].append(step)
    return times


def paired_ratio(ours: list[Step], reference: list[Step], clock: str = "cpu") -> float:
    """Ours' rate over the reference's: the median over rounds of (reference time / ours' time) in
    the same round, so a round slowed for everyone cancels out."""
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {CLOCKS}; got {clock!r}.")
    return statistics.median(getattr(r, clock) / getattr(o, clock) for o, r in zip(ours, reference))


def rate(steps: list[Step], per_step: float, clock: str = "wall") -> float:
    """Median rate (``per_step`` units per second of ``clock``) over the rounds."""
    return per_step / statistics.median(getattr(step, clock) for step in steps)


def calibrated(aa: float | None) -> bool:
    return aa is not None and abs(aa - 1.0) <= AA_TOLERANCE


def summary(steps: list[Step]) -> dict[str, float]:
    """Median step time by both clocks and the wall time's spread (fastest and slowest round, as a
    fraction of the median)."""
    wall = [step.wall for step in steps]
    median = statistics.median(wall)
    return {"step_ms": 1000 * median, "cpu_step_ms": 1000 * statistics.median(step.cpu for step in steps),
            "spread": (max(wall) - min(wall)) / median, "rounds": len(steps)}


def fit_timer(fit: Callable, data: tf.data.Dataset, steps: int, warm_up: bool = True) -> Callable[[], Step]:
    """Time per training step of ``fit`` (a model's ``fit``) over ``steps`` batches of ``data``;
    its first call, which traces and compiles, is made here as the warm-up (``warm_up=False`` when
    the train function is already traced for these shapes)."""
    if warm_up:
        fit(data, epochs=1, steps_per_epoch=max(1, min(steps, 2)), shuffle=False, verbose=0)

    def run() -> Step:
        clock = _Clock()
        fit(data, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
        return clock.per_step(steps)

    return run


def call_timer(function: Callable, inputs: Any, steps: int, scope: Callable[[], Any] | None = None
               ) -> Callable[[], Step]:
    """Time per call of a compiled function (warmed up here); the last result is read back so
    the time includes finishing the work. ``scope`` (e.g. a model's ``precision_scope``) wraps the calls."""
    scope = scope or contextlib.nullcontext
    with scope():
        _read(function(inputs))

    def run() -> Step:
        with scope():
            clock = _Clock()
            for _ in range(steps):
                result = function(inputs)
            _read(result)
            return clock.per_step(steps)

    return run


def _read(result: Any) -> None:
    for tensor in tf.nest.flatten(result):
        np.asarray(tensor)


# --- what the machine and the model can do -------------------------------------------------------


@functools.lru_cache(maxsize=None)
def matmul_peak(dtype: str = "float32", size: int = 2048, repeats: int = 4) -> float:
    """GFLOP/s of a ``size``-square matmul in ``dtype`` on this machine, best of three timings
    (measured once per process and size: every row of a run is read against the same peak)."""
    a = tf.random.normal([size, size], dtype="float32")
    a = tf.cast(a, dtype)

    @tf.function
    def chain(x):
        for _ in range(repeats):
            x = tf.matmul(x, a) * tf.cast(1.0 / size, dtype)  # rescaled so values stay finite
        return x

    _read(chain(a))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        _read(chain(a))
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 * repeats / best / 1e9


PEAK_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def mfu(flops_per_step: float, step: Step, precision: str = "fp32", peak_size: int = 2048) -> dict[str, float]:
    """Model FLOP utilisation of one row: achieved FLOP/s (``flops_per_step`` over the wall-clock step)
    divided by the matmul peak of the row's precision and by the float32 peak, both measured in this process."""
    achieved = flops_per_step / step.wall / 1e9
    own = matmul_peak(PEAK_DTYPES[precision], peak_size)
    fp32 = matmul_peak("float32", peak_size)
    return {"gflop_per_s": achieved, "mfu": achieved / own, "mfu_fp32": achieved / fp32,
            "peak_gflop_per_s": own, "fp32_peak_gflop_per_s": fp32}


def forward_flops(function: Callable, *input_specs: tf.TensorSpec) -> float:
    """Floating-point operations of one call (multiply-adds count 2), from TensorFlow's profiler on
    the frozen graph."""
    concrete = tf.function(function).get_concrete_function(*input_specs)
    graph = convert_variables_to_constants_v2(concrete).graph
    options = (option_builder.ProfileOptionBuilder(option_builder.ProfileOptionBuilder.float_operation())
               .with_empty_output().build())
    logger = tf.get_logger()  # the profiler's TF1 graph helpers log a deprecation notice on every run
    level = logger.level
    logger.setLevel("ERROR")
    try:
        return float(model_analyzer.profile(graph=graph, options=options).total_float_ops)
    finally:
        logger.setLevel(level)


def peak_memory_mb() -> float:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, Any]:
    """What the figures were measured on: cores, CPU model and the flags that matter for matmuls, versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next((line.partition(":")[2].strip() for line in cpuinfo if line.startswith("model name")), cpu)
    except OSError:  # not Linux: the platform string is all we have
        pass
    wanted = ("avx2", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile", "fma")
    flags = [flag for flag in distribute.cpu_flags() if flag in wanted]
    return {"cores": os.cpu_count(), "cpu": cpu, "cpu_flags": flags,
            "python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__}


# --- workloads: each task says what one step is (``bench_workload``) -----------------------------


def translation_workload(model, batch: int, rng, length: int = 24) -> Workload:
    """A translator's workload at ``length`` tokens per text (the bench/ scripts vary it)."""
    return model.bench_workload(batch, rng, length=length)


def check_arguments(name: str, **counts: Any) -> None:
    """Counts must be positive integers: 0 steps made a timed round spin for ever."""
    registry.get_spec(name)  # an unknown name: UnknownModelError with suggestions
    for argument, value in counts.items():
        if value is None and argument == "image_size":
            continue
        whole_number(value, argument, where="bench", wanted="a positive integer", wrong_type=ValueError)


def build(name: str, *, image_size: int | None = None, precision: str = "fp32", strategy: Any = None,
          **config: Any) -> keras.Model:
    """The model to measure: random weights (weights do not change speed), optionally resized."""
    spec = registry.get_spec(name)
    if image_size is not None:
        if "image_shape" in spec.config:  # generative tasks: their build config's image size
            config["image_shape"] = (image_size, image_size, spec.config["image_shape"][-1])
        elif len(spec.input_shape) == 3:  # classifiers: the network's input_shape (text models have no image size)
            config["input_shape"] = (image_size, image_size, spec.input_shape[-1])
    mixed = {"fp32": None, "bf16": "bf16", "fp16": "fp16"}[precision]
    return zoo.load(name, weights=None, strategy=strategy, mixed_precision=mixed, **config)


def run(name: str, *, batch_size: int = 32, image_size: int | None = None, mode: str = "train",
        precision: str = "fp32", jit: bool = False, strategy: Any = None, steps: int = 10, rounds: int = 3,
        seed: int = 0, **config: Any) -> dict[str, Any]:
    """Measure one model; returns the figures ``zoo bench`` prints (``--json`` prints this dict)."""
    check_arguments(name, batch_size=batch_size, image_size=image_size, steps=steps, rounds=rounds)
    if mode not in ("train", "infer"):
        raise ValueError(f"mode must be 'train' or 'infer'; got {mode!r}.")
    if precision not in ("fp32", "bf16", "fp16"):
        raise ValueError(f"precision must be fp32, bf16 or fp16; got {precision!r}.")
    if not isinstance(jit, bool) or isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"jit must be True or False and seed an integer; got jit={jit!r}, seed={seed!r}.")
    chosen = distribute.strategy(strategy) if strategy is not None else tf.distribute.get_strategy()
    model = build(name, image_size=image_size, precision=precision, strategy=chosen, **config)
    rng = np.random.default_rng(seed)
    with chosen.scope():
        work = model.bench_workload(batch_size, rng)
        model.jit_compile = jit
    if mode == "train":
        timer = fit_timer(work.fit, work.train_data, steps)
    else:
        function = tf.function(work.forward, jit_compile=jit)
        timer = call_timer(function, work.forward_inputs, steps, scope=model.precision_scope)
    step_seconds = alternate({"model": timer}, rounds)["model"]
    figures = summary(step_seconds)
    samples_per_second = batch_size / (figures["step_ms"] / 1000)
    flops = forward_flops(work.forward, *work.forward_specs)
    gflops = flops / 1e9 * (TRAIN_FLOPS_PER_FORWARD if mode == "train" else 1)
    median_step = Step(figures["step_ms"] / 1000, figures["cpu_step_ms"] / 1000)
    utilisation = mfu(gflops * 1e9 * batch_size, median_step, precision)
    peak = utilisation["peak_gflop_per_s"]
    return {
        "name": name, "mode": mode, "precision": precision, "jit": jit, "strategy": type(chosen).__name__,
        "replicas": chosen.num_replicas_in_sync, "batch_size": batch_size, "image_size": image_size,
        "unit": work.unit, f"{work.unit}_per_s": samples_per_second * work.units_per_sample,
        "samples_per_s": samples_per_second, **figures, "params": model.count_params(),
        "gflops_per_sample": gflops, "gflop_per_s": gflops * samples_per_second, "matmul_peak_gflop_per_s": peak,
        "peak_fraction": gflops * samples_per_second / peak, "mfu": utilisation["mfu"],
        "mfu_fp32": utilisation["mfu_fp32"], "fp32_peak_gflop_per_s": utilisation["fp32_peak_gflop_per_s"],
        "compute_precision": model.compute_precision, "peak_memory_mb": peak_memory_mb(),
    }


def describe(report: dict[str, Any]) -> str:
    unit = report["unit"]
    lines = [
        f"{report['name']} {report['mode']} {report['precision']}{' +XLA' if report['jit'] else ''}  "
        f"batch {report['batch_size']}  {report['strategy']} x{report['replicas']}",
        f"  throughput   {report[f'{unit}_per_s']:,.1f} {unit}/s",
        f"  step time    {report['step_ms']:.1f} ms median ({report['cpu_step_ms']:.1f} ms process CPU), spread {100 * report['spread']:.1f}% over "
        f"{report['rounds']} rounds",
        f"  parameters   {report['params']:,}",
        f"  GFLOPs       {report['gflops_per_sample']:.3f} per sample ({report['mode']}), "
        f"{report['gflop_per_s']:.1f} GFLOP/s achieved",
        f"  matmul peak  {report['matmul_peak_gflop_per_s']:.1f} GFLOP/s measured ({report['precision']}) -> "
        f"MFU {100 * report['mfu']:.1f}%; {100 * report['mfu_fp32']:.1f}% of the fp32 peak "
        f"({report['fp32_peak_gflop_per_s']:.1f} GFLOP/s)",
        f"  peak memory  {report['peak_memory_mb']:,.0f} MB (process peak RSS)",
    ]
    return "\n".join(lines)
