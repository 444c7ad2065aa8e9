"""What every hypermodel shares: the searched optimiser and learning rate."""

from __future__ import annotations

import keras
import keras_tuner

OPTIMIZERS = {"adam": keras.optimizers.Adam, "sgd": lambda lr: keras.optimizers.SGD(lr, momentum=0.9),
              "adamw": keras.optimizers.AdamW}


def compile_with_searched_optimizer(model: keras.Model, hp: keras_tuner.HyperParameters, **compile_kwargs):
    optimizer = hp.Choice("optimizer", list(OPTIMIZERS))
    learning_rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)
    model.compile(optimizer=OPTIMIZERS[optimizer](learning_rate), **compile_kwargs)
    return model
