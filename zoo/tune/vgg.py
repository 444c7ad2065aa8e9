"""The VGG space: depth (the paper's configurations A, B, D, E), batch norm, width, fc size, dropout,
optimiser.

Every trial is ``zoo.create("vgg<depth>[_bn]", ...)`` with the sampled width and head, so the best
trial is an ordinary zoo ``ImageClassifier``; inputs must be at least 32x32.
"""

from __future__ import annotations

import keras_tuner

import zoo
from zoo.tune.common import ImageClassifierSpace, compile_with_searched_optimizer


class VGGHyperModel(ImageClassifierSpace):
    NAME = "vgg"

    def build(self, hp: keras_tuner.HyperParameters):
        depth = hp.Choice("depth", [11, 13, 16, 19])
        batch_norm = hp.Boolean("batch_norm", default=True)  # short trials train far better with it
        model = zoo.create(
            f"vgg{depth}{'_bn' if batch_norm else ''}", num_classes=self.num_classes, input_shape=self.input_shape,
            width=hp.Choice("width", [0.125, 0.25, 0.5, 1.0]),
            fc_units=hp.Choice("fc_units", [256, 1024, 4096]),
            dropout=hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.5),
        )
        return compile_with_searched_optimizer(model, hp)
