"""Bad calls on the task objects: classifier predictions, generative sampling and encoding, translation.

Images in [0, 1] warn (``zoo.PixelRangeWarning``) once per model, so each warning case uses
a model no other warning case uses (a shared bundled one, or a tiny fresh one).
"""

from __future__ import annotations

import numpy as np

from tests.bad_inputs import Case

import zoo

RNG = np.random.default_rng(0)
DIGITS = RNG.integers(0, 256, (2, 28, 28, 1)).astype("float32")
UNIT = RNG.uniform(0.0, 1.0, (2, 28, 28, 1)).astype("float32")  # what many pipelines (and sample()) give
UNIT_32 = RNG.uniform(0.0, 1.0, (2, 32, 32, 1)).astype("float32")
UNIT_16 = RNG.uniform(0.0, 1.0, (4, 16, 16, 1)).astype("float32")
TINY = dict(image_shape=(16, 16, 1), latent_dim=2, base_filters=8, hidden_units=32)


def with_pixel(value):
    images = DIGITS.copy()
    images[1, 3, 4, 0] = value
    return images


def tiny(name: str, **config):
    model = zoo.create(name, **config)
    model.compile()
    return model


def unit_range_dataset():
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(UNIT_16).batch(4)


RANGE_WORDS = ("[0, 1]", "0-255", "images * 255")
# fit checks its images before Keras' loop starts, so the fit cases need no epoch (epochs=0).

CASES = [
    # --- classifier: predict_top_k / features -----------------------------------------------------------
    Case("task-predict-k-zero", lambda ctx: ctx.classifier.predict_top_k(DIGITS, k=0),
         ValueError, ("k must be between 1 and 10", "got 0"), 2, ("classifier",)),
    Case("task-predict-k-beyond-classes", lambda ctx: ctx.classifier.predict_top_k(DIGITS, k=11),
         ValueError, ("k must be between 1 and 10", "got 11"), 2, ("classifier",)),
    Case("task-predict-k-fractional", lambda ctx: ctx.classifier.predict_top_k(DIGITS, k=2.5),
         TypeError, ("k must be a whole number", "2.5"), 2, ("classifier",)),
    Case("task-predict-batch-size-zero", lambda ctx: ctx.classifier.predict_top_k(DIGITS, batch_size=0),
         ValueError, ("batch_size", ">= 1", "got 0"), 2, ("classifier",)),
    Case("task-predict-rank-one", lambda ctx: ctx.classifier.predict_top_k(np.zeros(784), k=3),
         ValueError, ("one image", "batch", "(784,)"), 2, ("classifier",)),
    Case("task-predict-rank-five", lambda ctx: ctx.classifier.predict_top_k(np.zeros((1, 2, 28, 28, 1)), k=3),
         ValueError, ("one image", "batch", "(1, 2, 28, 28, 1)"), 2, ("classifier",)),
    Case("task-predict-four-channels", lambda ctx: ctx.classifier.predict_top_k(np.zeros((2, 28, 28, 4)), k=3),
         ValueError, ("1 (grayscale) or 3 (RGB) channels", "4 channels", "images[..., :3]"), 2, ("classifier",)),
    Case("task-predict-nan-pixels", lambda ctx: ctx.classifier.predict_top_k(with_pixel(np.nan)),
         ValueError, ("NaN or infinite", "(1, 3, 4, 0)", "finite"), 2, ("classifier",)),
    Case("task-features-inf-pixels", lambda ctx: ctx.classifier.features(with_pixel(np.inf)),
         ValueError, ("NaN or infinite", "inf", "(1, 3, 4, 0)"), 2, ("classifier",)),
    Case("task-predict-none", lambda ctx: ctx.classifier.predict_top_k(None),
         TypeError, ("images", "got None", "0-255"), 2, ("classifier",)),
    Case("task-features-strings", lambda ctx: ctx.classifier.features(np.array([["a", "b"]])),
         TypeError, ("images", "numbers", "dtype <U1"), 2, ("classifier",)),
    Case("task-predict-images-in-unit-range", lambda ctx: ctx.classifier.predict_top_k(UNIT, k=3),
         None, RANGE_WORDS + ("resnet18.mnist",), 8, ("classifier",), warns=zoo.PixelRangeWarning),
    Case("task-features-images-in-unit-range",
         lambda ctx: zoo.create("resnet18", input_shape=(16, 16, 1), base_width=4, stem="cifar",
                                num_classes=2).features(UNIT),
         None, RANGE_WORDS, 8, warns=zoo.PixelRangeWarning),
    # --- generative: sample / sample_grid ------------------------------------------------------------
    Case("task-gan-sample-negative", lambda ctx: ctx.gan.sample(-1),
         ValueError, ("dcgan.mnist.sample", "n (the number of images)", ">= 0", "-1"), 2, ("gan",)),
    Case("task-gan-sample-fractional", lambda ctx: ctx.gan.sample(2.5),
         TypeError, ("whole number", "2.5"), 2, ("gan",)),
    Case("task-gan-sample-string", lambda ctx: ctx.gan.sample("3"),
         TypeError, ("whole number", "'3'", "str"), 2, ("gan",)),
    Case("task-gan-sample-bool", lambda ctx: ctx.gan.sample(True),
         TypeError, ("whole number", "True", "bool"), 2, ("gan",)),
    Case("task-gan-sample-grid-zero", lambda ctx: ctx.gan.sample_grid(0, ctx.tmp / "grid.png"),
         ValueError, ("sample_grid", ">= 1", "got 0"), 2, ("gan", "tmp")),
    Case("task-gan-labels-without-classes", lambda ctx: ctx.gan.sample(2, labels=[0, 1]),
         ValueError, ("labels=", "cgan", "dcgan.mnist"), 2, ("gan",)),
    Case("task-vae-sample-negative", lambda ctx: ctx.vae.sample(-3),
         ValueError, ("vae.mnist.sample", ">= 0", "-3"), 2, ("vae",)),
    Case("task-vae-sample-grid-fractional", lambda ctx: ctx.vae.sample_grid(1.5, ctx.tmp / "grid.png"),
         TypeError, ("vae.mnist.sample_grid", "whole number", "1.5"), 2, ("vae", "tmp")),
    Case("task-aae-sample-string", lambda ctx: ctx.aae.sample("8"),
         TypeError, ("aae.mnist.sample", "whole number", "'8'"), 2, ("aae",)),
    Case("task-aae-labels-with-gaussian-prior", lambda ctx: ctx.aae.sample(2, labels=[0, 1]),
         ValueError, ("labels=", "prior='categorical'"), 2, ("aae",)),
    Case("task-cgan-labels-beyond-classes", lambda ctx: ctx.cgan.sample(3, labels=[0, 10, 2]),
         ValueError, ("class ids in [0, 10)", "labels[1] is 10"), 2, ("cgan",)),
    Case("task-cgan-labels-negative", lambda ctx: ctx.cgan.sample(2, labels=[-1, 2]),
         ValueError, ("labels[0] is -1", "whole class ids >= 0"), 2, ("cgan",)),
    Case("task-cgan-labels-wrong-length", lambda ctx: ctx.cgan.sample(4, labels=[0, 1]),
         ValueError, ("labels must have shape (4,)", "one class id per image", "(2,)"), 2, ("cgan",)),
    Case("task-cgan-labels-fractional", lambda ctx: ctx.cgan.sample(2, labels=[0.5, 1]),
         ValueError, ("labels[0] is 0.5", "whole class ids"), 2, ("cgan",)),
    Case("task-cgan-labels-strings", lambda ctx: ctx.cgan.sample(2, labels=["3", "7"]),
         TypeError, ("class ids", "strings", "'3'"), 2, ("cgan",)),
    # --- generative: images in ------------------------------------------------------------------------
    Case("task-vae-encode-rgb", lambda ctx: ctx.vae.encode(np.zeros((2, 28, 28, 3))),
         ValueError, ("vae.mnist", "1 channel", "(n, 28, 28, 1)", "(2, 28, 28, 3)"), 2, ("vae",)),
    Case("task-vae-encode-wrong-size", lambda ctx: ctx.vae.encode(np.zeros((2, 32, 32, 1))),
         ValueError, ("28x28", "(2, 32, 32, 1)"), 2, ("vae",)),
    Case("task-vae-encode-one-image", lambda ctx: ctx.vae.encode(np.zeros((28, 28))),
         ValueError, ("batch", "(28, 28)"), 2, ("vae",)),
    Case("task-vae-decode-wrong-width", lambda ctx: ctx.vae.decode(np.zeros((2, 3))),
         ValueError, ("codes", "(n, 16)", "(2, 3)"), 2, ("vae",)),
    Case("task-aae-reconstruct-nan", lambda ctx: ctx.aae.reconstruct(with_pixel(np.nan)),
         ValueError, ("aae.mnist", "NaN or infinite", "(1, 3, 4, 0)"), 2, ("aae",)),
    Case("task-pix2pix-translate-wrong-size", lambda ctx: ctx.pix2pix.translate(np.zeros((2, 28, 28, 1))),
         ValueError, ("pix2pix.edges2mnist", "32x32", "(2, 28, 28, 1)"), 2, ("pix2pix",)),
    Case("task-vae-encode-images-in-unit-range", lambda ctx: ctx.vae.encode(UNIT),
         None, RANGE_WORDS + ("vae.mnist",), 5, ("vae",), warns=zoo.PixelRangeWarning),
    Case("task-vae-reconstruct-images-in-unit-range", lambda ctx: tiny("vae", **TINY).reconstruct(UNIT_16),
         None, RANGE_WORDS, 5, warns=zoo.PixelRangeWarning),
    Case("task-aae-encode-images-in-unit-range", lambda ctx: ctx.aae.encode(UNIT),
         None, RANGE_WORDS + ("aae.mnist",), 5, ("aae",), warns=zoo.PixelRangeWarning),
    Case("task-aae-reconstruct-images-in-unit-range", lambda ctx: tiny("aae", **TINY).reconstruct(UNIT_16),
         None, RANGE_WORDS, 5, warns=zoo.PixelRangeWarning),
    Case("task-pix2pix-translate-images-in-unit-range", lambda ctx: ctx.pix2pix.translate(UNIT_32),
         None, RANGE_WORDS + ("pix2pix.edges2mnist",), 5, ("pix2pix",), warns=zoo.PixelRangeWarning),
    Case("task-gan-fit-dataset-in-unit-range",
         lambda ctx: tiny("dcgan", image_shape=(16, 16, 1), latent_dim=8, base_filters=8).fit(
             unit_range_dataset(), epochs=0, verbose=0),
         None, RANGE_WORDS, 10, warns=zoo.PixelRangeWarning),
    Case("task-vae-fit-images-in-unit-range",
         lambda ctx: tiny("vae", **TINY).fit(UNIT_16, batch_size=4, epochs=0, verbose=0),
         None, RANGE_WORDS, 10, warns=zoo.PixelRangeWarning),
    Case("task-aae-fit-images-in-unit-range",
         lambda ctx: tiny("aae", **TINY).fit(UNIT_16, batch_size=4, epochs=0, verbose=0),
         None, RANGE_WORDS, 10, warns=zoo.PixelRangeWarning),
    Case("task-pix2pix-fit-targets-in-unit-range",
         lambda ctx: tiny("pix2pix", image_shape=(32, 32, 1), base_filters=8).fit(
             UNIT_32 * 255, UNIT_32, batch_size=2, epochs=0, verbose=0),
         None, ("targets", "[0, 1]", "targets * 255"), 10, warns=zoo.PixelRangeWarning),
    # --- translation ----------------------------------------------------------------------------------
    Case("task-translate-none", lambda ctx: ctx.translator.translate(None),
         TypeError, ("texts", "a string or a list of strings", "None"), 2, ("translator",)),
    Case("task-translate-numbers", lambda ctx: ctx.translator.translate([1, 2]),
         TypeError, ("texts[0] is 1", "int", "strings"), 2, ("translator",)),
    Case("task-translate-one-number", lambda ctx: ctx.translator.translate(2021),
         TypeError, ("texts", "2021", "int"), 2, ("translator",)),
    Case("task-translate-unknown-characters", lambda ctx: ctx.translator.translate(["3 März 2021"]),
         ValueError, ("text 0", "'3 März 2021'", "'ä'", "'z'", "unknown='ignore'"), 2, ("translator",)),
    Case("task-translate-bytes-not-utf8", lambda ctx: ctx.translator.translate([b"\xff\xfe"]),
         ValueError, ("texts[0]", "UTF-8"), 2, ("translator",)),
    Case("task-translate-max-length-zero", lambda ctx: ctx.translator.translate(["may 1st"], max_length=0),
         ValueError, ("max_length", ">= 1", "got 0"), 2, ("translator",)),
    Case("task-translate-max-length-negative", lambda ctx: ctx.translator.translate(["may 1st"], max_length=-5),
         ValueError, ("max_length", ">= 1", "-5"), 2, ("translator",)),
    Case("task-translate-unknown-method", lambda ctx: ctx.translator.translate(["may 1st"], method="sampling"),
         ValueError, ("method must be one of", "'greedy'", "'beam'", "'sampling'"), 2, ("translator",)),
    Case("task-translate-beam-size-zero",
         lambda ctx: ctx.translator.translate(["may 1st"], method="beam", beam_size=0),
         ValueError, ("beam_size", ">= 1", "got 0"), 2, ("translator",)),
    Case("task-translate-batch-size-zero", lambda ctx: ctx.translator.translate(["may 1st"], batch_size=0),
         ValueError, ("batch_size", ">= 1", "got 0"), 2, ("translator",)),
    Case("task-translate-unknown-policy", lambda ctx: ctx.translator.translate(["may 1st"], unknown="skip"),
         ValueError, ("unknown must be one of", "'error'", "'ignore'", "'skip'"), 2, ("translator",)),
]
