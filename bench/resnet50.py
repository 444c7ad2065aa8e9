"""Our ResNet50 (v1) against keras.applications.ResNet50, training and inference, in one process.

    python bench/resnet50.py [--smoke] [--json PATH]

Four contenders, timed in alternating rounds (reference, ours, ours bf16, ours XLA)
on the same synthetic batch: fp32 against the reference, then ours with the
mixed_bfloat16 policy and ours compiled with XLA. Training is ``fit`` with SGD
and sparse cross-entropy on both; inference is a compiled forward call. bf16
accuracy is checked on the ``make demo`` fine-tune (resnet18.mnist on sklearn's
digits), fp32 vs bf16, same seed.
"""

from __future__ import annotations

import os
import sys

from common import ROOT, Report, arguments

import keras
import numpy as np
import tensorflow as tf

import zoo
from zoo import bench


def compiled(model: keras.Model, jit: bool) -> keras.Model:
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=None, jit_compile=jit)
    return model


def contenders(size: int) -> dict[str, keras.Model]:
    shape = (size, size, 3)
    return {
        "keras.applications": compiled(keras.applications.ResNet50(weights=None, input_shape=shape), False),
        # Ours as users get them: the ImageClassifier that zoo.load returns.
        "zoo fp32": compiled(zoo.create("resnet50", input_shape=shape), False),
        "zoo bf16": compiled(zoo.load("resnet50", weights=None, input_shape=shape, mixed_precision="bf16"), False),
        "zoo XLA": compiled(zoo.create("resnet50", input_shape=shape), True),
    }


def demo_accuracy(precision: str | None, epochs: int) -> float:
    """The make-demo fine-tune (10 labelled digits per class) under a precision policy."""
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    from demo import accuracy, digits_split

    (x_train, y_train), (x_test, y_test) = digits_split(10)
    keras.utils.set_random_seed(0)
    model = zoo.load("resnet18.mnist", mixed_precision=precision)
    model.finetune((x_train, y_train), epochs=epochs, batch_size=20, verbose=0)
    return accuracy(model, x_test, y_test)


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    # 128 px, batch 8: a fifth of a 224 px batch-16 step, so the four contenders fit in minutes on 2 cores.
    size, batch, steps, rounds = (32, 2, 1, 1) if args.smoke else (128, 8, 1, 3)
    report = Report("bench/resnet50.py", args)
    models = contenders(size)
    params = {name: model.count_params() for name, model in models.items()}
    assert len(set(params.values())) == 1, f"the contenders differ: {params}"
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch, size, size, 3)).astype("float32"))
    y = tf.constant(np.arange(batch) % 1000)
    data = tf.data.Dataset.from_tensors((x, y)).repeat()

    # The matmul peaks first: they say whether this CPU computes bf16 natively.
    peaks = {dtype: bench.matmul_peak(dtype, size=512 if args.smoke else 2048) for dtype in ("bfloat16", "float32")}
    hardware = peaks["bfloat16"] / peaks["float32"]
    # Tracing a ResNet50 training step takes ~18 s (~40 s with XLA): the smoke run, which only
    # checks that the script works, trains the reference and ours in fp32, and runs inference
    # for all but XLA (whose rows are optional below). Where bf16 is emulated (a training step
    # ~14x slower), its training is timed once, outside the alternation: more rounds would cost
    # minutes and not change the verdict.
    emulated_bf16 = hardware < 1.3 and not args.smoke
    trained = {name: model for name, model in models.items()
               if (name in ("keras.applications", "zoo fp32") or not args.smoke)
               and not (emulated_bf16 and name == "zoo bf16")}
    inferred = {name: model for name, model in models.items() if not args.smoke or name != "zoo XLA"}
    train = bench.alternate({name: bench.fit_timer(model.fit, data, steps) for name, model in trained.items()}, rounds)
    if emulated_bf16:
        train["zoo bf16"] = [bench.fit_timer(models["zoo bf16"].fit, data, steps)()]
    infer = bench.alternate({name: bench.call_timer(tf.function(lambda t, m=model: m(t, training=False),
                                                                jit_compile=name == "zoo XLA"), x, steps)
                             for name, model in inferred.items()}, rounds)
    rates = {mode: {name: batch / np.median(times) for name, times in timed.items()}
             for mode, timed in (("train", train), ("infer", infer))}
    for mode in ("train", "infer"):
        reference = rates[mode]["keras.applications"]
        report.row(f"{mode}, keras.applications fp32 (reference)", reference, reference)
        for name in ("zoo fp32", "zoo bf16", "zoo XLA"):
            if name in rates[mode]:
                report.row(f"{mode}, {name}", rates[mode][name], reference)

    fp32_train = rates["train"]["zoo fp32"] / rates["train"]["keras.applications"]
    report.goal("train fp32 ≥ 1.00× keras.applications", fp32_train, 1.0)
    report.goal("infer fp32 ≥ 1.00× keras.applications",
                rates["infer"]["zoo fp32"] / rates["infer"]["keras.applications"], 1.0)
    report.goal("train bf16 ≥ 1.3× keras.applications fp32",
                rates["train"].get("zoo bf16", 0) / rates["train"]["keras.applications"], 1.3,
                why="" if hardware >= 1.3 else f"this CPU has no AVX512_BF16/AMX (flags: "
                f"{', '.join(bench.machine()['cpu_flags']) or 'none'}): TensorFlow emulates bf16, its matmul peak "
                f"is only {hardware:.2f}× fp32 here, and the step's other bf16 kernels are slower still")
    for mode in ("train", "infer"):
        if "zoo XLA" in rates[mode]:
            xla = report.row(f"{mode}, zoo XLA vs zoo fp32 without XLA", rates[mode]["zoo XLA"], rates[mode]["zoo fp32"])
            report.note(f"{mode}: XLA makes ours {xla:.2f}× as fast as without it on this machine "
                        f"(finetune(jit_compile='auto') leaves XLA off on CPU).")

    epochs = 1 if args.smoke else 2
    fp32_accuracy, bf16_accuracy = demo_accuracy(None, epochs), demo_accuracy("bf16", epochs)
    report.row("make-demo fine-tune test accuracy, bf16 vs fp32", bf16_accuracy, fp32_accuracy, "accuracy")
    report.note(f"bf16 accuracy on the demo: {bf16_accuracy:.4f} vs fp32 {fp32_accuracy:.4f} "
                f"({epochs} epochs, same seed).")
    report.note(f"batch {batch}, {size}x{size}, {steps} steps per round, median of {rounds} alternating rounds"
                + ("; bf16 training timed once (emulated here)" if emulated_bf16 else "") + "; "
                f"{params['zoo fp32']:,} parameters each; matmul peak bf16 "
                f"{peaks['bfloat16']:.0f} vs fp32 {peaks['float32']:.0f} GFLOP/s, measured in this run.")
    report.finish()


if __name__ == "__main__":
    main()
