"""The AlexNet space: conv width multiplier, hidden dense size, dropout, optimiser.

The five-conv topology stays the published one; inputs must be at least 63x63.
"""

from __future__ import annotations

from zoo.tune.common import PublishedClassifierSpace


class AlexNetHyperModel(PublishedClassifierSpace):
    NAME = "alexnet"

    def options(self, hp):
        return {"width": hp.Choice("width", [0.125, 0.25, 0.5, 1.0]),
                "fc_units": hp.Choice("fc_units", [256, 1024, 4096]),
                "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.5)}
