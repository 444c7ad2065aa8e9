"""Bad calls on InfoGAN: building its latent, fixing codes in sample, traversing a code."""

from __future__ import annotations

import numpy as np

from tests.bad_inputs import Case

import zoo

TINY = dict(image_shape=(16, 16, 1), noise_dim=4, base_filters=4)
_MODEL = {}


def net():
    """One tiny InfoGAN shared by the cases (built once)."""
    if "net" not in _MODEL:
        _MODEL["net"] = zoo.create("infogan", **TINY)
    return _MODEL["net"]


CASES = [
    Case("infogan-unknown-continuous-loss", lambda ctx: zoo.create("infogan", continuous_loss="l1", **TINY),
         ValueError, ("continuous_loss must be one of", "'gaussian'", "'mse'", "'l1'"), 5),
    Case("infogan-categorical-codes-an-int", lambda ctx: zoo.create("infogan", categorical_codes=10, **TINY),
         ValueError, ("categorical_codes must be a list of code sizes", "[10]", "10"), 5),
    Case("infogan-one-way-categorical-code", lambda ctx: zoo.create("infogan", categorical_codes=[10, 1], **TINY),
         ValueError, ("each a whole number >= 2", "[10, 1]"), 5),
    Case("infogan-noise-dim-zero", lambda ctx: zoo.create("infogan", **dict(TINY, noise_dim=0)),
         ValueError, ("noise_dim", ">= 1", "0"), 5),
    Case("infogan-codes-not-a-dict", lambda ctx: net().sample(2, codes=[0, 1]),
         ValueError, ("codes must be a dict", "'categorical'", "'continuous'"), 5),
    Case("infogan-codes-unknown-key", lambda ctx: net().sample(2, codes={"labels": [0, 1]}),
         ValueError, ("codes must be a dict", "'labels'"), 5),
    Case("infogan-categorical-out-of-range", lambda ctx: net().sample(2, codes={"categorical": [0, 10]}),
         ValueError, ("codes['categorical']", "[0, 10)", "10"), 5),
    Case("infogan-categorical-wrong-count", lambda ctx: net().sample(3, codes={"categorical": [0, 1]}),
         ValueError, ("one id per image", "(3,)", "(2,)"), 5),
    Case("infogan-categorical-strings", lambda ctx: net().sample(2, codes={"categorical": ["a", "b"]}),
         TypeError, ("class ids", "strings"), 5),
    Case("infogan-continuous-wrong-shape", lambda ctx: net().sample(2, codes={"continuous": [0.5, -0.5]}),
         ValueError, ("codes['continuous']", "(2, 2)", "(2,)"), 5),
    Case("infogan-continuous-nan", lambda ctx: net().sample(1, codes={"continuous": [[np.nan, 0.0]]}),
         ValueError, ("codes['continuous']", "finite"), 5),
    Case("infogan-traverse-code-index-too-big", lambda ctx: net().traverse(2, path=ctx.tmp / "t.png"),
         ValueError, ("code_index must be in [0, 2)", "2"), 5),
    Case("infogan-traverse-empty-values", lambda ctx: net().traverse(0, [], path=ctx.tmp / "t.png"),
         ValueError, ("values must be a non-empty list of finite numbers",), 5),
    Case("infogan-traverse-no-continuous-code",
         lambda ctx: zoo.create("infogan", continuous_codes=0, **TINY).traverse(0, path=ctx.tmp / "t.png"),
         ValueError, ("no continuous code", "continuous_codes=0"), 5),
    Case("infogan-code-accuracy-zero-samples", lambda ctx: net().code_accuracy(lambda images: images, per_code=0),
         ValueError, ("per_code", ">= 1", "0"), 5),
]
