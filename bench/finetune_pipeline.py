"""``finetune()`` end to end vs a bare compiled train step on in-memory tensors of the same shapes.

    python bench/finetune_pipeline.py [--smoke] [--json PATH]

Ours: ``model.finetune((images, labels), recipe="full")`` on raw 0-255 uint8
images in memory, so its input pipeline (conversion, preprocessing, shuffling,
batching), Keras' fit loop, metrics and callbacks are all inside the timing.
Reference: the same architecture trained by a ``tf.function`` step (GradientTape,
Adam, sparse cross-entropy) on one preprocessed batch that is already a tensor:
what the hardware does with no pipeline at all. Epoch times after each run's
first (tracing) epoch; rounds alternate with a twin of the reference (the A/A). Goal: ≥ 0.95×
by process CPU time, judged when the A/A is within ±5 %.
"""

from __future__ import annotations

import statistics
import time

from common import Report, arguments

import keras
import numpy as np
import tensorflow as tf

import zoo
from zoo import bench


class EpochTimes(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps: list[bench.Step] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.steps.append(bench.Step(time.perf_counter() - self.start[0], time.process_time() - self.start[1]))


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    count, batch, epochs, rounds, warm_up, width = (16, 8, 2, 1, 0, 8) if args.smoke else (512, 32, 2, 5, 1, 32)
    report = Report("bench/finetune_pipeline.py", args)
    options = dict(num_classes=10, input_shape=(32, 32, 3), stem="cifar", base_width=width)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype("int64")
    steps = count // batch

    ours = zoo.create("resnet18", **options)

    def finetune_epoch() -> bench.Step:
        timer = EpochTimes()
        ours.finetune((images, labels), recipe="full", epochs=epochs, batch_size=batch, callbacks=[timer], verbose=0)
        after_tracing = timer.steps[1:]  # the first epoch traces
        return bench.Step(*(statistics.median(getattr(s, c) for s in after_tracing) / steps for c in bench.CLOCKS))

    x = tf.constant(np.asarray(ours.preprocess(images[:batch].astype("float32")), "float32"))
    y = tf.constant(labels[:batch])

    def bare_epoch_timer():
        """A bare compiled train step on one in-memory batch, timed over an epoch's steps."""
        bare_model = zoo.create("resnet18", **options).network
        optimizer = keras.optimizers.Adam(1e-3)
        optimizer.build(bare_model.trainable_variables)

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, bare_model(x, training=True)))
            gradients = tape.gradient(loss, bare_model.trainable_variables)
            optimizer.apply(gradients, bare_model.trainable_variables)
            return loss

        return bench.call_timer(lambda pair: step(*pair), (x, y), steps), bare_model

    bare, bare_model = bare_epoch_timer()
    twin, _ = bare_epoch_timer()  # the same reference built again: the A/A
    times = bench.alternate({"bare": bare, "finetune": finetune_epoch, "twin": twin}, rounds, warm_up)
    aa = bench.paired_ratio(times["twin"], times["bare"], "cpu")
    ratio_cpu = bench.paired_ratio(times["finetune"], times["bare"], "cpu")
    median = bench.Step(*(statistics.median(getattr(s, c) for s in times["finetune"]) for c in bench.CLOCKS))
    forward = bench.forward_flops(lambda t: bare_model(t, training=False), tf.TensorSpec(x.shape, tf.float32))
    report.row(f"finetune() end to end, ResNet-18 (CIFAR stem, width {width}) 32x32, batch {batch}, train step",
               bench.rate(times["finetune"], batch), bench.rate(times["bare"], batch), cpu_ratio=ratio_cpu,
               mfu=bench.mfu(forward * bench.TRAIN_FLOPS_PER_FORWARD, median, "fp32", 512 if args.smoke else 2048))
    report.goal("finetune() ≥ 0.95× a bare compiled train step", ratio_cpu, 0.95, aa=aa)
    report.note(f"{count} in-memory images, {steps} steps per epoch, median of {rounds} alternating rounds after "
                f"{warm_up} dropped (each finetune() call's first epoch, which traces, is not timed); A/A (the bare "
                f"step against a second one) {aa:.3f} by CPU time, "
                f"{bench.paired_ratio(times['twin'], times['bare'], 'wall'):.3f} by wall time.")
    report.finish()


if __name__ == "__main__":
    main()
