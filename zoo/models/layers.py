"""Custom layers shared by the builders, registered so ``.keras`` files reload them."""

from __future__ import annotations

from typing import Sequence

import keras
from keras import ops


def adaptive_windows(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive pooling windows: output ``i`` averages ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


@keras.saving.register_keras_serializable(package="zoo")
class AdaptiveAveragePooling2D(keras.layers.Layer):
    """Average pooling to a fixed output size, with PyTorch's window rule.

    Unlike ``keras.layers.AdaptiveAveragePooling2D`` (Keras 3.15), it also works
    in graph mode when the output is larger than the input (AlexNet at its
    63x63 minimum pools a 1x1 map to 6x6). Needs static height and width.
    """

    def __init__(self, output_size: int | Sequence[int], **kwargs):
        super().__init__(**kwargs)
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.output_size = tuple(int(s) for s in output_size)

    def _pool_axis(self, x, axis: int, out: int):
        size = x.shape[axis]
        if size is None:
            raise ValueError(f"{self.name}: adaptive pooling needs a static size on axis {axis}.")
        if size == out:
            return x
        pieces = []
        for start, end in adaptive_windows(size, out):
            index = [slice(None)] * 4
            index[axis] = slice(start, end)
            pieces.append(ops.mean(x[tuple(index)], axis=axis, keepdims=True))
        return ops.concatenate(pieces, axis=axis)

    def call(self, inputs):
        x = self._pool_axis(inputs, 1, self.output_size[0])
        return self._pool_axis(x, 2, self.output_size[1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.output_size, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "output_size": list(self.output_size)}
