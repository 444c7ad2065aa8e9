"""Training steps/s: one device vs MirroredStrategy on 2 logical CPU devices, and 1 vs 2 local workers.

    python bench/distribute.py [--steps 40] [--batch 32]

Same model (ResNet-18, CIFAR stem, base width 16, 32x32x1), same global batch,
synthetic data; each figure is the median of the timed epochs after a warm-up
epoch. On one 2-core machine no speed-up is expected: the point is that the
multi-device and multi-worker paths work and what they cost. Prints ratios
against the one-device / one-worker run measured by the same script.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = """
import json, os, statistics, sys, time
import keras, numpy as np
import zoo, zoo.distribute
kind, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
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
model.finetune((x, y), recipe="full", epochs=4, batch_size=per_replica, strategy=strategy,
               shuffle=False, callbacks=[timer], verbose=0)
print(json.dumps({"steps_per_second": steps / statistics.median(timer.times[1:]), "replicas": replicas}))
"""


def run(kind: str, steps: int, batch: int, tf_config: dict | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    if tf_config:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return subprocess.Popen([sys.executable, "-c", CHILD, kind, str(steps), str(batch)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=900)
    if proc.returncode:
        raise RuntimeError(err[-3000:])
    return json.loads(out.strip().splitlines()[-1])


def ports(n: int) -> list[int]:
    found = []
    for _ in range(n):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            found.append(s.getsockname()[1])
    return found


def workers(count: int, steps: int, batch: int) -> dict:
    addresses = [f"127.0.0.1:{p}" for p in ports(count)]
    procs = [run("multiworker", steps, batch, {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": i}})
             for i in range(count)]
    return [result(p) for p in procs][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=32, help="global batch")
    args = parser.parse_args()
    figures = {
        "1 device": result(run("cpu", args.steps, args.batch)),
        "MirroredStrategy, 2 logical CPU devices": result(run("mirrored:2", args.steps, args.batch)),
        "1 worker (MultiWorkerMirroredStrategy)": workers(1, args.steps, args.batch),
        "2 workers on 127.0.0.1": workers(2, args.steps, args.batch),
    }
    base = {"device": figures["1 device"]["steps_per_second"],
            "worker": figures["1 worker (MultiWorkerMirroredStrategy)"]["steps_per_second"]}
    print(f"global batch {args.batch}, {args.steps} steps per epoch, median of 3 timed epochs")
    for name, figure in figures.items():
        reference = base["worker"] if "worker" in name else base["device"]
        print(f"  {name:<42} {figure['steps_per_second']:7.2f} steps/s   x{figure['steps_per_second'] / reference:.2f}")


if __name__ == "__main__":
    main()
