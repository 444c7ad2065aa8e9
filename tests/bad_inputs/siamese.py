"""Bad calls on the Siamese network: building, embedding, pairs, thresholds, few-shot support sets, training."""

from __future__ import annotations

import numpy as np

from tests.bad_inputs import Case

import zoo

DIGITS = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 1)).astype("float32")
UNIT = DIGITS / 255.0  # what many pipelines give; zoo takes 0-255
TINY = dict(image_shape=(16, 16, 1), embedding_dim=4, base_filters=4, hidden_units=8)
_MODEL = {}


def net():
    """One tiny Siamese network shared by the cases (built once)."""
    if "net" not in _MODEL:
        _MODEL["net"] = zoo.create("siamese", **TINY)
    return _MODEL["net"]


CASES = [
    Case("siamese-unknown-loss", lambda ctx: zoo.create("siamese", loss="hinge", **TINY),
         ValueError, ("loss must be one of", "'triplet'", "'contrastive'", "'hinge'"), 5),
    Case("siamese-unknown-mining", lambda ctx: zoo.create("siamese", mining="hardest", **TINY),
         ValueError, ("mining must be one of", "'semi_hard'", "'hardest'"), 5),
    Case("siamese-negative-margin", lambda ctx: zoo.create("siamese", margin=-0.2, **TINY),
         ValueError, ("margin must be a positive number", "-0.2"), 5),
    Case("siamese-backbone-not-a-classifier", lambda ctx: zoo.create("siamese", backbone="dcgan", **TINY),
         ValueError, ("backbone must be the name of a zoo classifier", "resnet18", "'dcgan'"), 5),
    Case("siamese-backbone-with-tag", lambda ctx: zoo.create("siamese", backbone="resnet18.mnist", **TINY),
         ValueError, ("'resnet18.mnist'", "bare name"), 5),
    Case("siamese-backbone-config-sets-head",
         lambda ctx: zoo.create("siamese", backbone="resnet18", backbone_config={"pooling": "max"}, **TINY),
         ValueError, ("backbone_config may not set pooling", "headless"), 5),
    Case("siamese-embedding-dim-zero", lambda ctx: zoo.create("siamese", **dict(TINY, embedding_dim=0)),
         ValueError, ("embedding_dim", ">= 1", "0"), 5),
    Case("siamese-embed-wrong-size", lambda ctx: net().embed(np.zeros((2, 28, 28, 1))),
         ValueError, ("16x16", "(2, 28, 28, 1)"), 5),
    # The only warning case on net(): the warning is given once per model.
    Case("siamese-embed-images-in-unit-range", lambda ctx: net().embed(UNIT),
         None, ("[0, 1]", "0-255", "images * 255"), 5, warns=zoo.PixelRangeWarning),
    Case("siamese-embed-nan", lambda ctx: net().embed(np.full((1, 16, 16, 1), np.nan)),
         ValueError, ("NaN or infinite", "finite"), 5),
    Case("siamese-similarity-unequal-counts", lambda ctx: net().similarity(DIGITS, DIGITS[:2]),
         ValueError, ("a and b must hold the same number of images", "3 and 2"), 5),
    Case("siamese-verify-threshold-beyond-one", lambda ctx: net().verify(DIGITS, DIGITS, threshold=2),
         ValueError, ("threshold", "[-1, 1]", "2"), 5),
    Case("siamese-verify-threshold-string", lambda ctx: net().verify(DIGITS, DIGITS, threshold="0.5"),
         ValueError, ("threshold", "cosine similarity", "'0.5'"), 5),
    Case("siamese-classify-labels-wrong-length", lambda ctx: net().classify(DIGITS, DIGITS, [0, 1]),
         ValueError, ("classify", "one label per image", "(3,)", "(2,)"), 5),
    Case("siamese-classify-empty-support",
         lambda ctx: net().classify(DIGITS, np.zeros((0, 16, 16, 1)), np.zeros(0, "int64")),
         ValueError, ("support set is empty",), 5),
    Case("siamese-fit-without-labels", lambda ctx: net().fit(DIGITS, epochs=0, verbose=0),
         ValueError, ("needs labels", "fit(images, labels)"), 5),
    Case("siamese-fit-string-labels", lambda ctx: net().fit(DIGITS, np.array(["a", "b", "c"]), epochs=0, verbose=0),
         TypeError, ("class ids", "strings"), 5),
    Case("siamese-few-shot-too-many-ways",
         lambda ctx: net().few_shot_accuracy(DIGITS, [0, 1, 2], ways=5, queries=1),
         ValueError, ("5-way 1-shot", "3 classes"), 5),
    Case("siamese-few-shot-zero-shots", lambda ctx: net().few_shot_accuracy(DIGITS, [0, 1, 2], shots=0),
         ValueError, ("shots", ">= 1", "0"), 5),
]
