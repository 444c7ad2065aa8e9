"""Training steps/s: one device vs MirroredStrategy on 2 logical CPU devices, and 1 vs 2 local workers.

    python bench/distribute.py [--steps 12] [--batch 32] [--smoke] [--json PATH]

Same model (ResNet-18, CIFAR stem, base width 16, 32x32x1), same global batch,
synthetic data; each figure is the median of the timed epochs after a warm-up
epoch. On one 2-core machine no speed-up is expected: the point is that the
multi-device and multi-worker paths work and what they cost. Prints ratios
against the one-device / one-worker run measured by the same script.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from common import ROOT, Report, arguments

CHILD = """
import json, os, statistics, sys, time
import keras, numpy as np
import zoo, zoo.distribute
kind, steps, batch, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if kind == "mirrored:2":
    zoo.distribute.cpu_devices(2)
strategy = zoo.distribute.strategy(kind)
replicas = strategy.num_replicas_in_sync
per_replica = batch // replicas
rng = np.random.default_rng(0)
n = steps * batch  # every worker holds the data; tf.distribute shards it between them
x, y = rng.integers(0, 256, (n, 28, 28)).astype("uint8"), np.arange(n) % 10

class Timer(keras.callbacks.Callback):
    def __init__(self): super().__init__(); self.times = []
    def on_epoch_begin(self, epoch, logs=None): self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None): self.times.append(time.perf_counter() - self.start)

model = zoo.load("resnet18", weights=None, strategy=strategy, input_shape=(32, 32, 1), stem="cifar", base_width=16,
                 num_classes=10)
timer = Timer()
model.finetune((x, y), recipe="full", epochs=epochs, batch_size=per_replica, strategy=strategy,
               shuffle=False, callbacks=[timer], verbose=0)
print(json.dumps({"steps_per_second": steps / statistics.median(timer.times[1:]), "replicas": replicas}))
"""


def run(kind: str, steps: int, batch: int, epochs: int, tf_config: dict | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    if tf_config:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return subprocess.Popen([sys.executable, "-c", CHILD, kind, str(steps), str(batch), str(epochs)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result(procs: list[subprocess.Popen]) -> float:
    """Steps per second reported by the first of a group of child processes (all must succeed)."""
    figures = []
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        if proc.returncode:
            raise RuntimeError(err[-3000:])
        figures.append(json.loads(out.strip().splitlines()[-1])["steps_per_second"])
    return figures[0]


def ports(n: int) -> list[int]:
    found = []
    for _ in range(n):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            found.append(s.getsockname()[1])
    return found


def workers(count: int, steps: int, batch: int, epochs: int) -> list[subprocess.Popen]:
    addresses = [f"127.0.0.1:{p}" for p in ports(count)]
    return [run("multiworker", steps, batch, epochs,
                {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": i}}) for i in range(count)]


def machine_use(batch: int, peak_size: int):
    """steps/s -> MFU of one global step (the children's model, counted here: the same architecture)."""
    import tensorflow as tf

    import zoo
    from zoo import bench

    model = zoo.create("resnet18", input_shape=(32, 32, 1), stem="cifar", base_width=16, num_classes=10)
    forward = bench.forward_flops(lambda t: model(t, training=False), tf.TensorSpec((batch, 32, 32, 1), tf.float32))
    return lambda steps_per_second: bench.mfu(forward * bench.TRAIN_FLOPS_PER_FORWARD,
                                              bench.Step(1 / steps_per_second, float("nan")), "fp32", peak_size)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], **{
        "--steps": dict(type=int, default=12, help="steps per epoch"),
        "--batch": dict(type=int, default=32, help="global batch")})
    steps, batch, epochs = (2, 4, 2) if args.smoke else (args.steps, args.batch, 3)
    report = Report("bench/distribute.py", args)
    launches = {"one_device": lambda: [run("cpu", steps, batch, epochs)],
                "mirrored": lambda: [run("mirrored:2", steps, batch, epochs)],
                "one_worker": lambda: workers(1, steps, batch, epochs),
                "two_workers": lambda: workers(2, steps, batch, epochs)}
    if args.smoke:  # figures mean nothing: start every run at once to keep the check short
        started = {name: launch() for name, launch in launches.items()}
        figures = {name: result(procs) for name, procs in started.items()}
    else:  # one at a time, so runs do not compete for the cores
        figures = {name: result(launch()) for name, launch in launches.items()}
    one_device, mirrored, one_worker, two_workers = (figures[name] for name in launches)
    utilisation = machine_use(batch, 512 if args.smoke else 2048)
    report.row("train, MirroredStrategy, 2 logical CPU devices (vs 1 device)", mirrored, one_device, "steps/s",
               mfu=utilisation(mirrored))
    report.row("train, 2 workers on 127.0.0.1 (vs 1 worker, MultiWorkerMirroredStrategy)", two_workers, one_worker,
               "steps/s", mfu=utilisation(two_workers))
    report.row("train, 1 worker, MultiWorkerMirroredStrategy (vs 1 device, no strategy)", one_worker, one_device,
               "steps/s", mfu=utilisation(one_worker))
    report.row("train, 1 device, no strategy", one_device, None, "steps/s", mfu=utilisation(one_device))
    report.note(f"ResNet-18 (CIFAR stem, base width 16) on 32x32x1, global batch {batch}, {steps} steps per epoch, "
                f"median of the {epochs - 1} epochs after the first; each figure from its own process(es).")
    report.note("One 2-core machine: replicas and workers share the same two cores, so no speed-up is expected; "
                "the ratios are what the distribution machinery costs. No goal here, so no A/A.")
    report.finish()


if __name__ == "__main__":
    main()
