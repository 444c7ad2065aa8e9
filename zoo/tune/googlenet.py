"""The GoogLeNet space: width multiplier, dropout, and whether to train with the two auxiliary
classifiers and how much their losses weigh (0.3 in the paper), plus the optimiser.
"""

from __future__ import annotations

from zoo.tune.common import PublishedClassifierSpace


class GoogLeNetHyperModel(PublishedClassifierSpace):
    NAME = "googlenet"

    def options(self, hp):
        return {"width": hp.Choice("width", [0.125, 0.25, 0.5, 1.0]),
                "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.2),
                "aux_logits": hp.Boolean("aux_logits", default=True)}

    def configure(self, model, hp):
        # Searched even when the heads are off, so the oracle sees one fixed space.
        model.aux_loss_weight = hp.Float("aux_loss_weight", 0.1, 0.5, step=0.1, default=0.3)
