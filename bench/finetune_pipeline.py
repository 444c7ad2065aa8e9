"""``finetune()`` end to end vs a bare compiled train step on in-memory tensors of the same shapes.

    python bench/finetune_pipeline.py [--smoke] [--json PATH]

Ours: ``model.finetune((images, labels), recipe="full")`` on raw 0-255 uint8
images in memory, so its input pipeline (conversion, preprocessing, shuffling,
batching), Keras' fit loop, metrics and callbacks are all inside the timing.
Reference: the same architecture trained by a ``tf.function`` step (GradientTape,
Adam, sparse cross-entropy) on one preprocessed batch that is already a tensor:
what the hardware does with no pipeline at all. Epoch times after each run's
first (tracing) epoch; rounds alternate. Goal: ≥ 0.95×.
"""

from __future__ import annotations

import statistics
import time

from common import Report, arguments

import keras
import numpy as np
import tensorflow as tf

import zoo


class EpochTimes(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    count, batch, epochs, rounds, width = (16, 8, 2, 1, 8) if args.smoke else (512, 32, 2, 3, 32)
    report = Report("bench/finetune_pipeline.py", args)
    options = dict(num_classes=10, input_shape=(32, 32, 3), stem="cifar", base_width=width)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype("int64")
    steps = count // batch

    ours = zoo.create("resnet18", **options)

    def finetune_epoch() -> float:
        timer = EpochTimes()
        ours.finetune((images, labels), recipe="full", epochs=epochs, batch_size=batch, callbacks=[timer], verbose=0)
        return statistics.median(timer.seconds[1:]) / steps  # after the tracing epoch

    bare_model = zoo.create("resnet18", **options).network
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(bare_model.trainable_variables)
    x = tf.constant(np.asarray(ours.preprocess(images[:batch].astype("float32")), "float32"))
    y = tf.constant(labels[:batch])

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, bare_model(x, training=True)))
        gradients = tape.gradient(loss, bare_model.trainable_variables)
        optimizer.apply(gradients, bare_model.trainable_variables)
        return loss

    step(x, y).numpy()  # trace once

    def bare_epoch() -> float:
        start = time.perf_counter()
        for _ in range(steps):
            loss = step(x, y)
        loss.numpy()
        return (time.perf_counter() - start) / steps

    times: dict[str, list[float]] = {"finetune": [], "bare": []}
    for _ in range(rounds):
        times["finetune"].append(finetune_epoch())
        times["bare"].append(bare_epoch())
    rate = {name: batch / statistics.median(values) for name, values in times.items()}
    ratio = report.row(f"finetune() end to end, ResNet-18 (CIFAR stem, width {width}) 32x32, batch {batch}",
                       rate["finetune"], rate["bare"])
    report.goal("finetune() ≥ 0.95× a bare compiled train step", ratio, 0.95)
    report.note(f"{count} in-memory images, {steps} steps per epoch, median of {rounds} alternating rounds "
                f"(each finetune() call's first epoch, which traces, is not timed).")
    report.finish()


if __name__ == "__main__":
    main()
