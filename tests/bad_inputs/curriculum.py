"""Bad ``finetune(curriculum=...)`` calls on ``resnet18.mnist``: the spec, the pacing, the scores.

Every call is refused before anything trains (a callable's scores are checked after the data is
read, before the first step), so the shared classifier is never changed.
"""

from __future__ import annotations

import numpy as np

from tests.bad_inputs import Case
from tests.bad_inputs.finetune import IMAGES, LABELS, fresh_classifier

import zoo

MODEL = ("classifier",)


def finetune(ctx, curriculum, **options):
    return ctx.classifier.finetune((IMAGES, LABELS), epochs=2, curriculum=curriculum, verbose=0, **options)


def scores(*values):
    return lambda images, labels: np.array(values)


CASES = [
    # --- the spec: refused before the data is read ---------------------------------------------------------
    Case("finetune-curriculum-start-zero", lambda ctx: finetune(ctx, {"start": 0}),
         ValueError, ("start", "(0, 1]", "got 0"), 2, MODEL),
    Case("finetune-curriculum-start-above-one", lambda ctx: finetune(ctx, {"start": 1.5}),
         ValueError, ("start", "(0, 1]", "1.5"), 2, MODEL),
    Case("finetune-curriculum-unknown-pacing", lambda ctx: finetune(ctx, {"pacing": "exponential"}),
         ValueError, ("pacing", "'linear'", "'exponential'"), 2, MODEL),
    Case("finetune-curriculum-unknown-score", lambda ctx: finetune(ctx, {"score": "entropy"}),
         ValueError, ("score", "'loss'", "'entropy'", "callable"), 2, MODEL),
    Case("finetune-curriculum-unknown-key", lambda ctx: finetune(ctx, {"pace": "linear"}),
         ValueError, ("unknown key", "'pace'", "'pacing'"), 2, MODEL),
    Case("finetune-curriculum-not-a-spec", lambda ctx: finetune(ctx, "linear"),
         TypeError, ("curriculum", "dict", "zoo.Curriculum", "str"), 2, MODEL),
    Case("finetune-curriculum-epochs-zero", lambda ctx: finetune(ctx, {"epochs": 0}),
         ValueError, ("epochs", ">= 1", "0"), 2, MODEL),
    Case("finetune-curriculum-reference-without-loss",
         lambda ctx: finetune(ctx, {"score": "random", "reference": ctx.classifier}),
         ValueError, ("reference", "score='loss'", "'random'"), 2, MODEL),
    Case("finetune-curriculum-made-bad", lambda ctx: zoo.Curriculum(stages=0),
         ValueError, ("stages", ">= 1", "0"), 2),
    # --- a pacing callable: called for every epoch of the run before training --------------------------------
    Case("finetune-curriculum-pacing-gives-zero", lambda ctx: finetune(ctx, {"pacing": lambda epoch: 0.0}),
         ValueError, ("pacing(0)", "(0, 1]", "0.0"), 3, MODEL),
    Case("finetune-curriculum-pacing-gives-nan",
         lambda ctx: finetune(ctx, {"pacing": lambda epoch: [0.5, float("nan")][epoch]}),
         ValueError, ("pacing(1)", "(0, 1]", "nan"), 3, MODEL),
    # --- scores: checked once the data is read, before the first step ----------------------------------------
    Case("finetune-curriculum-score-wrong-shape",
         lambda ctx: finetune(ctx, {"score": lambda images, labels: np.zeros((len(images), 2))}),
         ValueError, ("score callable", "one difficulty per training example", "(6,)", "(6, 2)"), 5, MODEL),
    Case("finetune-curriculum-score-nan", lambda ctx: finetune(ctx, {"score": scores(0, 1, np.nan, 3, 4, 5)}),
         ValueError, ("score callable", "nan", "example 2", "finite"), 5, MODEL),
    Case("finetune-curriculum-score-strings", lambda ctx: finetune(ctx, {"score": scores(*"easyhd")}),
         TypeError, ("score callable", "number", "<U1"), 5, MODEL),
    Case("finetune-curriculum-score-array-too-short", lambda ctx: finetune(ctx, {"score": np.arange(5.0)}),
         ValueError, ("score array", "(6,)", "(5,)"), 5, MODEL),
    Case("finetune-curriculum-reference-with-fewer-classes",
         lambda ctx: finetune(ctx, zoo.Curriculum(reference=fresh_classifier())),
         ValueError, ("class 5", "3 classes", "reference="), 8, MODEL),
]
