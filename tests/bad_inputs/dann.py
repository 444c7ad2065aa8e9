"""Bad calls on domain adaptation: zoo.datasets.mnist_m, building a dann model, fit_domains."""

from __future__ import annotations

import functools

import numpy as np

from tests.bad_inputs import Case

import zoo

DIGITS = np.random.default_rng(0).integers(0, 256, (4, 16, 16)).astype("uint8")
LABELS = np.arange(4) % 3
TINY = dict(input_shape=(16, 16, 3), num_classes=3, base_filters=4, hidden_units=8, domain_units=8)


@functools.lru_cache(maxsize=1)
def tiny():
    return zoo.create("dann", **TINY)


def fit(source=(DIGITS, LABELS), target=DIGITS, **options):
    return tiny().fit_domains(source, target, verbose=0, **options)


CASES = [
    # --- zoo.datasets.mnist_m -------------------------------------------------------------------------------
    Case("mnist-m-digits-strings", lambda ctx: zoo.datasets.mnist_m(np.array([["a"]])),
         TypeError, ("digits must be grayscale pixel values", "<U1"), 2),
    Case("mnist-m-digits-rank", lambda ctx: zoo.datasets.mnist_m(np.zeros((2, 28, 28, 3))),
         ValueError, ("(n, height, width)", "(2, 28, 28, 3)"), 2),
    Case("mnist-m-digits-range", lambda ctx: zoo.datasets.mnist_m(np.full((1, 8, 8), 300.0)),
         ValueError, ("0-255", "300"), 2),
    Case("mnist-m-digits-too-big", lambda ctx: zoo.datasets.mnist_m(np.zeros((1, 500, 500))),
         ValueError, ("427x640", "500x500"), 2),
    Case("mnist-m-labels-count", lambda ctx: zoo.datasets.mnist_m(DIGITS, [1, 2]),
         ValueError, ("4 whole class ids", "shape (2,)"), 2),
    Case("mnist-m-labels-without-digits", lambda ctx: zoo.datasets.mnist_m(labels=[1]),
         ValueError, ("labels were given without digits",), 2),
    Case("mnist-m-seed-negative", lambda ctx: zoo.datasets.mnist_m(DIGITS, seed=-1),
         TypeError, ("seed must be a whole number >= 0", "-1"), 2),
    # --- building ---------------------------------------------------------------------------------------------
    Case("dann-backbone-unknown", lambda ctx: zoo.create("dann", backbone="resnet19"),
         zoo.UnknownModelError, ("resnet19",), 5),
    Case("dann-backbone-not-a-classifier", lambda ctx: zoo.create("dann", backbone="vae"),
         ValueError, ("backbone must be an image classifier", "vae is autoencoder"), 5),
    Case("dann-backbone-not-a-name", lambda ctx: zoo.create("dann", backbone=3),
         TypeError, ("backbone must be a zoo image classifier's name", "3"), 5),
    Case("dann-input-too-small", lambda ctx: zoo.create("dann", input_shape=(8, 8, 3)),
         ValueError, ("at least 16x16", "8x8"), 5),
    # --- fit_domains ------------------------------------------------------------------------------------------
    Case("dann-fit-source-not-a-pair", lambda ctx: fit(source=DIGITS),
         ValueError, ("source must be (images, labels)",), 5),
    Case("dann-fit-labels-beyond-classes", lambda ctx: fit(source=(DIGITS, [0, 1, 2, 3])),
         ValueError, ("[0, 3)", "labels[3] is 3"), 5),
    Case("dann-fit-labels-count", lambda ctx: fit(source=(DIGITS, [0, 1])),
         ValueError, ("labels must have shape (4,)",), 5),
    Case("dann-fit-target-missing", lambda ctx: fit(target=None),
         TypeError, ("raw pixels", "got None"), 5),
    Case("dann-fit-target-empty", lambda ctx: fit(target=np.zeros((0, 16, 16, 3))),
         ValueError, ("target images is empty", "both domains"), 5),
    Case("dann-fit-target-one-image", lambda ctx: fit(target=np.zeros((16, 16, 3))),
         ValueError, ("target images must be a batch", "(16, 16, 3)"), 5),
    Case("dann-fit-target-nan", lambda ctx: fit(target=np.full((2, 16, 16), np.nan)),
         ValueError, ("NaN or infinite",), 5),
    Case("dann-fit-epochs-zero", lambda ctx: fit(epochs=0),
         ValueError, ("epochs", ">= 1", "got 0"), 5),
    Case("dann-fit-lambda-negative", lambda ctx: fit(lambda_=-1.0),
         ValueError, ("lambda_ must be None", ">= 0", "-1.0"), 5),
    Case("dann-fit-learning-rate-text", lambda ctx: fit(learning_rate="fast"),
         ValueError, ("learning_rate must be a number", "'fast'"), 5),
    Case("dann-fit-momentum-one", lambda ctx: fit(momentum=1.0),
         ValueError, ("momentum must be a number in [0, 1)", "1.0"), 5),
    Case("dann-fit-validation-not-a-pair", lambda ctx: fit(validation_data=DIGITS),
         ValueError, ("validation_data must be (images, labels)",), 5),
]
