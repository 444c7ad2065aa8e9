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


class KeepBestWeights(keras.callbacks.Callback):
    """Save the network's weights whenever ``monitor`` improves (lower is better).

    Only the network is saved, not the optimizer: the file loads into the model
    whatever optimizer it has by then (ModelCheckpoint's files carry the
    optimizer state of the phase that wrote them).
    """

    def __init__(self, path: str, monitor: str, best: float | None = None):
        super().__init__()
        self.path, self.monitor = path, monitor
        self.best = math.inf if best is None else best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and float(value) < self.best:
            self.best = float(value)
            self.model.network.save_weights(self.path)
