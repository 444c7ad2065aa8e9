"""Callbacks the recipes add to every fit."""

from __future__ import annotations

import math

import keras


class StopOnNaN(keras.callbacks.Callback):
    """Raise at the first non-finite loss, instead of training on garbage for the remaining epochs."""

    def __init__(self, learning_rate: float | None = None):
        super().__init__()
        self.learning_rate = learning_rate
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            hint = f" (learning rate {self.learning_rate:g})" if self.learning_rate else ""
            raise FloatingPointError(
                f"the training loss became {float(loss)} at epoch {self._epoch + 1}, batch {batch + 1}. "
                f"Lower the learning rate{hint}, check the images for NaN/inf values, and check that "
                f"labels are class ids below num_classes."
            )
