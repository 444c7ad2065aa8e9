"""The gradient reversal layer of domain-adversarial training (Ganin & Lempitsky, 2015).

Forward it is the identity; backward it multiplies the gradient by ``-lambda``, so the
layers below it are trained to *increase* the loss of whatever sits above it (the domain
classifier), i.e. to make features the domain classifier cannot tell apart.

``lambda_`` is a non-trainable variable: a callback (``zoo.tasks.dann.LambdaSchedule``)
or the user can ``assign`` it between steps without retracing the training function,
and a ``.keras`` file keeps its current value.

>>> import numpy as np
>>> from zoo.models.gradient_reversal import GradientReversal
>>> GradientReversal(0.5)(np.ones((1, 2), "float32")).numpy().tolist()
[[1.0, 1.0]]
"""

from __future__ import annotations

import keras
import tensorflow as tf


def ganin_lambda(progress):
    """The paper's reversal weight for training progress ``p`` in [0, 1]: ``2 / (1 + exp(-10 p)) - 1``
    (0 at the start, so the domain classifier's early noise does not reach the features, -> 1 at the end)."""
    return 2.0 / (1.0 + keras.ops.exp(-10.0 * keras.ops.convert_to_tensor(progress, "float32"))) - 1.0


@keras.saving.register_keras_serializable(package="zoo")
class GradientReversal(keras.layers.Layer):
    """Identity forward; gradient times ``-lambda_`` backward."""

    def __init__(self, lambda_: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_lambda = float(lambda_)
        self.lambda_ = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.initial_lambda),
                                       trainable=False, name="lambda", dtype="float32")

    def call(self, inputs):
        # Read outside the custom gradient: a variable read inside it would make TensorFlow ask for its gradient.
        scale = tf.cast(tf.convert_to_tensor(self.lambda_), inputs.dtype)

        @tf.custom_gradient
        def reverse(x):
            def backward(upstream):
                return -scale * upstream

            return tf.identity(x), backward

        return reverse(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        # The current value, so a model saved mid-schedule reloads with the lambda it had.
        return {**super().get_config(), "lambda_": float(keras.ops.convert_to_numpy(self.lambda_))}
