"""The Network-in-Network space: width multiplier of the four mlpconv blocks, dropout, optimiser.

For where NiN-style 1x1 layers go, search the Lego space (``zoo.tune("lego", ...)``);
this one keeps the published topology. Inputs must be at least 67x67.
"""

from __future__ import annotations

from zoo.tune.common import PublishedClassifierSpace


class NiNHyperModel(PublishedClassifierSpace):
    NAME = "nin"

    def options(self, hp):
        return {"width": hp.Choice("width", [0.125, 0.25, 0.5, 1.0]),
                "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.5)}
