"""Quality measures for generative models: a Fréchet distance on the bundled MNIST classifier's features.

"FID-MNIST" is the Fréchet Inception Distance recipe with zoo's own
``resnet18.mnist`` in place of Inception: the distance between Gaussians fitted
to the pooled features of two image sets. Lower is closer; compare it with the
same measure between two real sets (a floor) and real vs noise (a ceiling).

The caller loads the classifier (``zoo.load(FEATURE_MODEL)``) and hands it over:
tasks sit below the loader.
"""

from __future__ import annotations

import numpy as np

FEATURE_MODEL = "resnet18.mnist"  # what MnistFeatures expects to be given


def frechet_distance(first: np.ndarray, second: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (rows are samples)."""
    mean_a, mean_b = first.mean(axis=0), second.mean(axis=0)
    cov_a, cov_b = np.cov(first, rowvar=False), np.cov(second, rowvar=False)
    # Tr(sqrt(A B)) from the eigenvalues of A B (real and >= 0 for PSD A, B, up to round-off).
    eigenvalues = np.linalg.eigvals(cov_a @ cov_b)
    trace_sqrt = np.sqrt(np.clip(eigenvalues.real, 0.0, None)).sum()
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt)


class MnistFeatures:
    """Pooled features and predicted digits of images in [0, 1], from the bundled MNIST classifier
    (``classifier``: ``zoo.load(FEATURE_MODEL)``)."""

    def __init__(self, classifier):
        self.classifier = classifier

    def features(self, images01: np.ndarray) -> np.ndarray:
        return self.classifier.features(np.asarray(images01) * 255.0, batch_size=256)

    def predict(self, images01: np.ndarray) -> np.ndarray:
        scores = self.classifier.predict(self.classifier.preprocess(np.asarray(images01) * 255.0), batch_size=256, verbose=0)
        return scores.argmax(axis=-1)

    def fid(self, images01: np.ndarray, reference01: np.ndarray) -> float:
        return frechet_distance(self.features(images01), self.features(reference01))
