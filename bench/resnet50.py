"""Our ResNet50 (v1) against keras.applications.ResNet50, training and inference, in one process.

    python bench/resnet50.py [--smoke] [--json PATH]

Contenders, timed in alternating rounds on the same synthetic batch: the reference
(keras.applications fp32), its twin (built the same way: the A/A calibration), ours in
fp32, ours with ``mixed_precision="bf16"`` (on a CPU with AVX512_BF16/AMX: oneDNN's bf16
graph rewrite; elsewhere Keras' mixed_bfloat16 policy, emulated) and ours compiled with
XLA. Training is ``fit`` with SGD and sparse cross-entropy; inference a compiled forward
call. Goals are judged by process CPU time per step (see zoo.bench.Step) only when the
A/A lands within ±5 %; wall-clock ratios are printed beside them. bf16 accuracy is
checked on the ``make demo`` fine-tune (resnet18.mnist on sklearn's digits), fp32 vs
bf16, same seed.
"""

from __future__ import annotations

import os
import sys

from common import ROOT, Report, arguments

import keras
import numpy as np
import tensorflow as tf

import zoo
from zoo import bench, precision

REFERENCE, TWIN = "keras.applications", "keras.applications (twin, A/A)"


def compiled(model: keras.Model, jit: bool) -> keras.Model:
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=None, jit_compile=jit)
    return model


def contenders(size: int, smoke: bool = False) -> dict[str, keras.Model]:
    shape = (size, size, 3)
    reference = compiled(keras.applications.ResNet50(weights=None, input_shape=shape), False)
    return {
        REFERENCE: reference,
        # The smoke run's twin is the reference itself: tracing another ResNet50 training step costs
        # up to a minute on an AVX2-only CPU, and the A/A arithmetic runs the same either way.
        TWIN: reference if smoke else compiled(keras.applications.ResNet50(weights=None, input_shape=shape), False),
        # Ours as users get them: the ImageClassifier that zoo.load returns.
        "zoo fp32": compiled(zoo.create("resnet50", input_shape=shape), False),
        "zoo bf16": compiled(zoo.load("resnet50", weights=None, input_shape=shape, mixed_precision="bf16"), False),
        "zoo XLA": compiled(zoo.create("resnet50", input_shape=shape), True),
    }


def demo_accuracy(mode: str | None, epochs: int, test_images: int | None = None) -> float:
    """The make-demo fine-tune (10 labelled digits per class) under a precision, tested on the first
    ``test_images`` of the demo's test digits (all 1,697 when None)."""
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    from demo import accuracy, digits_split

    (x_train, y_train), (x_test, y_test) = digits_split(10)
    x_test, y_test = x_test[:test_images], y_test[:test_images]
    keras.utils.set_random_seed(0)
    model = zoo.load("resnet18.mnist", mixed_precision=mode)
    model.finetune((x_train, y_train), epochs=epochs, batch_size=20, verbose=0)
    return accuracy(model, x_test, y_test)


def scope_of(model: keras.Model):
    return getattr(model, "precision_scope", None)


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    # 128 px, batch 8: a fifth of a 224 px batch-16 step, so five contenders fit in minutes on 2 cores.
    # Several steps per timing and a dropped warm-up round: one step per round left A/A at 0.87-1.04.
    size, batch, train_steps, infer_steps, rounds, warm_up = (
        (32, 2, 1, 1, 1, 0) if args.smoke else (128, 8, 5, 10, 5, 1))
    report = Report("bench/resnet50.py", args)
    # Every compiled call carries the optimizer options in force: pin the bf16 rewrite's to "off" for the
    # float32 contenders before anything is traced, so the bf16 contender's toggling re-optimises nothing.
    tf.config.optimizer.set_experimental_options({precision.ONEDNN_BF16_OPTION: False})
    models = contenders(size, args.smoke)
    params = {name: model.count_params() for name, model in models.items()}
    assert len(set(params.values())) == 1, f"the contenders differ: {params}"
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch, size, size, 3)).astype("float32"))
    y = tf.constant(np.arange(batch) % 1000)
    data = tf.data.Dataset.from_tensors((x, y)).repeat()

    peak_size = 512 if args.smoke else 2048
    native = precision.native_bf16_cpu()
    bf16_kind = models["zoo bf16"].compute_precision
    # Tracing a ResNet50 training step takes ~18 s (~40 s with XLA): the smoke run, which only
    # checks that the script works, trains the reference, its twin and ours in fp32. Where bf16 is
    # emulated (a training step ~14x slower), its training is timed once, outside the alternation.
    emulated_bf16 = not native and not args.smoke
    trained = {name: model for name, model in models.items()
               if (name in (REFERENCE, TWIN, "zoo fp32") or not args.smoke)
               and not (emulated_bf16 and name == "zoo bf16")}
    inferred = {name: model for name, model in models.items() if not args.smoke or name != "zoo XLA"}
    train = bench.alternate({name: bench.fit_timer(model.fit, data, train_steps) for name, model in trained.items()},
                            rounds, warm_up)
    if emulated_bf16:
        train["zoo bf16"] = [bench.fit_timer(models["zoo bf16"].fit, data, train_steps)()]
    infer = bench.alternate({name: bench.call_timer(tf.function(lambda t, m=model: m(t, training=False),
                                                                jit_compile=name == "zoo XLA"), x, infer_steps,
                                                    scope=scope_of(model))
                             for name, model in inferred.items()}, rounds, warm_up)
    forward = bench.forward_flops(lambda t: models[REFERENCE](t, training=False),
                                  tf.TensorSpec((batch, size, size, 3), tf.float32))
    flops = {"train": forward * bench.TRAIN_FLOPS_PER_FORWARD, "infer": forward}

    aa = {}
    for mode, timed in (("train", train), ("infer", infer)):
        reference = timed[REFERENCE]
        aa[mode] = {clock: bench.paired_ratio(timed[TWIN], reference, clock) for clock in bench.CLOCKS}
        for name in (REFERENCE, TWIN, "zoo fp32", "zoo bf16", "zoo XLA"):
            if name not in timed:
                continue
            steps = timed[name]
            paired = name in timed and len(steps) == len(reference)
            median = bench.Step(*(float(np.median([getattr(s, c) for s in steps])) for c in bench.CLOCKS))
            label = f"{mode}, {name}" + (" fp32 (reference)" if name == REFERENCE else "")
            if name == "zoo bf16":
                label += f" ({bf16_kind})"
            report.row(label, bench.rate(steps, batch), bench.rate(reference, batch),
                       cpu_ratio=bench.paired_ratio(steps, reference, "cpu") if paired else None,
                       mfu=bench.mfu(flops[mode], median, "bf16" if name == "zoo bf16" else "fp32", peak_size),
                       wall_ratio_paired=bench.paired_ratio(steps, reference, "wall") if paired else None)

    def ratio(mode: str, name: str, clock: str = "cpu") -> float | None:
        timed = train if mode == "train" else infer
        if name not in timed or len(timed[name]) != len(timed[REFERENCE]):
            return None
        return bench.paired_ratio(timed[name], timed[REFERENCE], clock)

    for mode in ("train", "infer"):
        report.note(f"{mode} A/A (twin vs reference): {aa[mode]['cpu']:.3f} by CPU time, "
                    f"{aa[mode]['wall']:.3f} by wall time.")
    report.goal("train fp32 ≥ 1.00× keras.applications", ratio("train", "zoo fp32"), 1.0, aa=aa["train"]["cpu"])
    report.goal("infer fp32 ≥ 1.00× keras.applications", ratio("infer", "zoo fp32"), 1.0, aa=aa["infer"]["cpu"])
    bf16_train = ratio("train", "zoo bf16")
    if bf16_train is None and "zoo bf16" in train:  # emulated: timed once, read against the reference's median
        bf16_train = bench.rate(train["zoo bf16"], batch, "cpu") / bench.rate(train[REFERENCE], batch, "cpu")
    report.goal("train bf16 ≥ 1.3× keras.applications fp32 (CPU with AVX512_BF16/AMX)", bf16_train, 1.3,
                aa=aa["train"]["cpu"] if native else None,
                why="" if native else f"this CPU has no AVX512_BF16/AMX (flags: "
                f"{', '.join(bench.machine()['cpu_flags']) or 'none'}): TensorFlow emulates bf16 here; the goal "
                "stays open until a run on such a CPU")
    for mode in ("train", "infer"):
        xla = ratio(mode, "zoo XLA")
        if xla is not None:
            over_ours = xla / ratio(mode, "zoo fp32")
            report.note(f"{mode}: XLA makes ours {over_ours:.2f}× as fast as without it by CPU time "
                        f"(finetune(jit_compile='auto') leaves XLA off on CPU).")

    epochs, test_images = (1, 64) if args.smoke else (2, None)  # emulated bf16 predicts slowly
    fp32_accuracy, bf16_accuracy = demo_accuracy(None, epochs, test_images), demo_accuracy("bf16", epochs, test_images)
    report.row("make-demo fine-tune test accuracy, bf16 vs fp32", bf16_accuracy, fp32_accuracy, "accuracy")
    report.note(f"bf16 ({bf16_kind}) accuracy on the demo: {bf16_accuracy:.4f} vs fp32 {fp32_accuracy:.4f} "
                f"({epochs} epochs, same seed).")
    report.note(f"batch {batch}, {size}x{size}; {train_steps} training / {infer_steps} inference steps per timing, "
                f"median of {rounds} alternating rounds after {warm_up} dropped"
                + ("; bf16 training timed once (emulated here)" if emulated_bf16 else "") + "; "
                f"{params['zoo fp32']:,} parameters each; forward {forward / batch / 1e9:.2f} GFLOPs per image; "
                f"matmul peak bf16 {bench.matmul_peak('bfloat16', peak_size):.0f} vs fp32 "
                f"{bench.matmul_peak('float32', peak_size):.0f} GFLOP/s, measured in this run.")
    report.finish()


if __name__ == "__main__":
    main()
