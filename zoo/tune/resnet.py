"""The ResNet search space: blocks per stage, width, basic vs bottleneck blocks, stem, dropout, optimiser.

Every trial is built by ``zoo.create("resnet18", ...)`` with the sampled overrides,
so the best trial is an ordinary zoo ``ImageClassifier``.
"""

from __future__ import annotations

import keras_tuner

import zoo
from zoo.tune.common import ImageClassifierSpace, compile_with_searched_optimizer


class ResNetHyperModel(ImageClassifierSpace):
    """``num_classes`` and ``input_shape`` are fixed by the data; everything else is searched."""

    NAME = "resnet"
    MAX_BLOCKS = 3  # per stage
    WIDTHS = (8, 16, 32, 64)

    def build(self, hp: keras_tuner.HyperParameters):
        small = min(self.input_shape[:2]) < 64  # a 7x7/2 stem and max pool would leave nothing of small images
        model = zoo.create(
            "resnet18", num_classes=self.num_classes, input_shape=self.input_shape,
            blocks_per_stage=[hp.Int(f"stage{i + 1}_blocks", 1, self.MAX_BLOCKS) for i in range(4)],
            block=hp.Choice("block", ["basic", "bottleneck"]),
            base_width=hp.Choice("base_width", list(self.WIDTHS)),
            stem=hp.Choice("stem", ["cifar", "imagenet"], default="cifar" if small else "imagenet"),
            dropout=hp.Float("dropout", 0.0, 0.5, step=0.1),
            bn_momentum=0.9,  # short trials: see zoo/models/lego_cnn.py
        )
        return compile_with_searched_optimizer(model, hp)
