"""The "Lego" CNN space: how many blocks, and per block its width, kernel, pooling, NiN 1x1 convs and
whether it is an Inception block; then the head and the optimiser.

Where the pools go is the classic question (with 19 conv layers it is already
tens of thousands of architectures); here each block decides. Every trial is
``zoo.create("lego_cnn", blocks=[...], ...)``, an ordinary zoo classifier.
"""

from __future__ import annotations

import keras_tuner

import zoo
from zoo.tune.common import ImageClassifierSpace, compile_with_searched_optimizer


class LegoHyperModel(ImageClassifierSpace):
    NAME = "lego"
    MAX_BLOCKS = 5
    WIDTHS = (16, 32, 64, 128)

    def build(self, hp: keras_tuner.HyperParameters):
        count = hp.Int("blocks", 2, self.MAX_BLOCKS)
        blocks = []
        for i in range(self.MAX_BLOCKS):
            # Every block's choices exist in every trial (the oracle sees one fixed space); unused ones are ignored.
            block = {"filters": hp.Choice(f"block{i + 1}_filters", list(self.WIDTHS)),
                     "kernel": hp.Choice(f"block{i + 1}_kernel", [3, 5]),
                     "pool": hp.Boolean(f"block{i + 1}_pool", default=True),
                     "mlpconv": hp.Int(f"block{i + 1}_mlpconv", 0, 2),
                     "inception": hp.Boolean(f"block{i + 1}_inception", default=False)}
            if i < count:
                blocks.append(block)
        head = hp.Choice("head", ["gap", "dense"])
        model = zoo.create("lego_cnn", num_classes=self.num_classes, input_shape=self.input_shape, blocks=blocks,
                           head=head, dense_units=hp.Choice("dense_units", [64, 128, 256]),
                           dropout=hp.Float("dropout", 0.0, 0.5, step=0.1))
        return compile_with_searched_optimizer(model, hp)
