"""How ResNet50 training cost grows with batch size and image size: a table of images/s.

    python bench/scaling.py [--smoke] [--json PATH]

Our resnet50 (fp32, ``fit`` with SGD) at batch 1, 8, 32, 64 and image sizes 64,
128, 224, on a synthetic batch. Each row's ratio is its images/s against batch 1
at the same image size, so the table reads as "what batching buys"; the note
gives how step time grows with pixels at the largest batch.
"""

from __future__ import annotations

from common import Report, arguments

import keras
import numpy as np
import tensorflow as tf

import zoo
from zoo import bench


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    name, sizes, batches = ("resnet18", (32,), (1, 2)) if args.smoke else ("resnet50", (64, 128, 224), (1, 8, 32, 64))
    report = Report("bench/scaling.py", args)
    rng = np.random.default_rng(0)
    step_ms: dict[tuple[int, int], float] = {}
    for size in sizes:
        model = zoo.create(name, input_shape=(size, size, 3))
        model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), metrics=None)
        rates = {}
        # FLOPs grow linearly with the batch: count one image's forward pass once per size.
        forward = bench.forward_flops(lambda t: model(t, training=False), tf.TensorSpec((1, size, size, 3), tf.float32))
        for batch in batches:
            x = rng.normal(size=(batch, size, size, 3)).astype("float32")
            # Batched from slices, the batch axis is unknown (None): fit traces its train function
            # once per image size, at the first batch size, which is the only one that needs a
            # warm-up (a ResNet-50 trace costs ~18 s here; a warm-up step at 224 px batch 64, 40 s).
            data = tf.data.Dataset.from_tensor_slices((x, np.arange(batch) % 1000)).repeat().batch(batch)
            steps = 1 if args.smoke else min(8, max(1, 32 // batch))  # about 32 images per timing
            step = bench.fit_timer(model.fit, data, steps, warm_up=batch == batches[0])()
            step_ms[size, batch] = 1000 * step.wall
            rates[batch] = batch / step.wall
            report.row(f"train, {name} {size}x{size}, batch {batch} (vs batch {batches[0]})", rates[batch],
                       rates[batches[0]], step_ms=step_ms[size, batch], cpu_step_ms=1000 * step.cpu,
                       mfu=bench.mfu(forward * batch * bench.TRAIN_FLOPS_PER_FORWARD, step, "fp32",
                                     512 if args.smoke else 2048))
        keras.backend.clear_session()
    largest = batches[-1]
    growth = ", ".join(f"{size}px {step_ms[size, largest]:.0f} ms" for size in sizes)
    report.note(f"step time at batch {largest}: {growth}; each figure is one timing of about 32 images "
                f"(at least one step); one warm-up (tracing) per image size, at batch {batches[0]}. A table, not a "
                "comparison: no goal, so no A/A.")
    report.finish()


if __name__ == "__main__":
    main()
