"""The picture of domain adaptation: source and target digits, and where each model puts their features.

Top: source digits over their target-domain versions. Below, one panel per model: the first two
principal components of its shared features, source (blue) and target (orange) points. Before
adaptation the two clouds sit apart; after it, they overlap, which is what the domain classifier
was trained (and failed) to separate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from zoo import plots


def principal_components(features: np.ndarray, count: int = 2) -> np.ndarray:
    """``features`` projected on their first ``count`` principal axes (centred, by SVD)."""
    centred = features - features.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return centred @ axes[:count].T


def strip(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Two rows of uint8 RGB images (grayscale replicated) tiled into one image, 2 px apart."""
    rows = []
    for images in (top, bottom):
        images = np.asarray(images, "uint8")
        if images.ndim == 3:
            images = images[..., None]
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=255)
        rows.append(np.concatenate(list(padded), axis=1))
    return np.concatenate(rows, axis=0)


def domain_figure(models: Mapping[str, object], source: np.ndarray, target: np.ndarray, path: str | Path, *,
                  samples: int = 10, points: int = 500) -> Path:
    """Write the PNG for ``models`` ({title: DANN model}) on raw ``source`` and ``target`` images (0-255;
    ``source[i]`` and ``target[i]`` the same digit in both domains, as ``zoo.datasets.mnist_m`` makes them)."""
    if not models:
        raise ValueError("domain_figure: models must name at least one model, as {title: model}.")
    count = min(points, len(source), len(target))
    figure, axes = plots.subplots(nrows=2, ncols=len(models), figsize=(4.2 * len(models), 7.4),
                                  gridspec_kw={"height_ratios": [1, 2.2]}, squeeze=False)
    grid = axes[0, 0].get_gridspec()
    for axis in axes[0]:
        axis.remove()
    banner = figure.add_subplot(grid[0, :])  # one wide panel over the model panels
    banner.imshow(strip(source[:samples], target[:samples]))
    banner.set_title("source digits (top) and their MNIST-M versions (bottom)")
    banner.axis("off")
    for axis, (title, model) in zip(axes[1], models.items()):
        # One predict call per model (both domains at once): each call of a new shape would retrace it.
        inputs = np.concatenate([np.asarray(model.preprocess(images[:count])) for images in (source, target)])
        features = model.shared_features().predict(inputs, batch_size=256, verbose=0)
        projected = principal_components(features.reshape(2 * count, -1))
        axis.scatter(*projected[:count].T, s=4, alpha=0.5, label="source", color="tab:blue")
        axis.scatter(*projected[count:].T, s=4, alpha=0.5, label="target", color="tab:orange")
        axis.set_title(title, fontsize=10)
        axis.set_xticks([])
        axis.set_yticks([])
        axis.legend(loc="upper right", markerscale=3, fontsize=8)
    return plots.save(figure, path)
