"""Few-shot classification on embeddings: nearest class mean (prototype), N-way K-shot episodes, a 2-D plot.

Pure NumPy on embeddings already computed, so an evaluation embeds its images once and then runs
any number of episodes. An episode (Koch et al. 2015, Vinyals et al. 2016) draws ``ways`` classes,
``shots`` support images and ``queries`` query images of each (disjoint), and classifies each
query by the nearest prototype, the mean embedding of a class's support images (Snell et al. 2017);
with one shot that is the nearest support image, Koch et al.'s one-shot rule.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo import plots


def prototype_predict(queries: np.ndarray, support: np.ndarray, support_labels: np.ndarray) -> np.ndarray:
    """The label of each query's nearest class mean (Euclidean) among the support set's classes."""
    classes = np.unique(support_labels)
    prototypes = np.stack([support[support_labels == label].mean(axis=0) for label in classes])
    distances = ((queries[:, None, :] - prototypes[None, :, :]) ** 2).sum(axis=-1)
    return classes[distances.argmin(axis=1)]


def episodes(labels: np.ndarray, *, ways: int, shots: int, queries: int, count: int, seed: int):
    """``count`` episodes as (support indices, query indices) into ``labels``, drawn by ``seed``
    (the same seed and labels give the same episodes)."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    smallest = min(int((labels == label).sum()) for label in classes)
    if ways > len(classes) or shots + queries > smallest:
        raise ValueError(f"few-shot episodes: {ways}-way {shots}-shot with {queries} queries per class needs "
                         f"{ways} classes of at least {shots + queries} images; these labels have {len(classes)} "
                         f"classes, the smallest with {smallest} images.")
    rng = np.random.default_rng(seed)
    drawn = []
    for _ in range(count):
        support, query = [], []
        for label in rng.choice(classes, ways, replace=False):
            members = rng.permutation(np.flatnonzero(labels == label))
            support.extend(members[:shots])
            query.extend(members[shots:shots + queries])
        drawn.append((np.array(support), np.array(query)))
    return drawn


def episode_accuracy(embeddings: np.ndarray, labels: np.ndarray, *, ways: int = 5, shots: int = 1, queries: int = 5,
                     count: int = 200, seed: int = 0) -> float:
    """Fraction of the queries of ``count`` seeded episodes classified right by ``prototype_predict``."""
    labels = np.asarray(labels)
    right = total = 0
    for support, query in episodes(labels, ways=ways, shots=shots, queries=queries, count=count, seed=seed):
        predicted = prototype_predict(embeddings[query], embeddings[support], labels[support])
        right += int((predicted == labels[query]).sum())
        total += len(query)
    return right / total


def pca_2d(embeddings: np.ndarray) -> np.ndarray:
    """The embeddings' coordinates on their two principal axes."""
    centred = embeddings - embeddings.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return centred @ axes[:2].T


def plot_embeddings(embeddings: np.ndarray, labels: np.ndarray, path: str | Path, *, groups: np.ndarray | None = None,
                    title: str = "Embeddings (PCA)") -> Path:
    """A PNG of the embeddings' first two principal components, one colour per label; ``groups`` (e.g.
    "seen"/"unseen" per point) get one marker each."""
    points, labels = pca_2d(np.asarray(embeddings, "float64")), np.asarray(labels)
    groups = np.full(len(labels), "", object) if groups is None else np.asarray(groups, object)
    figure, axis = plots.subplots(figsize=(7, 6))
    markers = dict(zip(dict.fromkeys(groups), "o^sDv*"))
    colours = {label: f"C{index % 10}" for index, label in enumerate(np.unique(labels))}
    for group, marker in markers.items():
        for label, colour in colours.items():
            chosen = (groups == group) & (labels == label)
            if chosen.any():
                axis.scatter(points[chosen, 0], points[chosen, 1], s=10, marker=marker, color=colour, alpha=0.6,
                             label=f"{label} ({group})" if group else str(label))
    axis.legend(fontsize=7, markerscale=1.5, ncol=2)
    axis.set(title=title, xlabel="principal component 1", ylabel="principal component 2")
    return plots.save(figure, path)
