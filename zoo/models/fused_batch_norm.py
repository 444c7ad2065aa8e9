"""BatchNormalization that runs as one fused TensorFlow op on 4-D NHWC inputs.

Keras 3 computes batch norm from separate ops (mean, squared difference, multiply,
add, and their gradients, with casts to float32 around them under a mixed policy).
In ResNet-50 training on a 2-core CPU those ops took about a sixth of the step, and
they stay float32 when oneDNN rewrites the graph to bf16. ``FusedBatchNormV3`` is one
kernel forward and one backward, and runs in bf16 under the rewrite. Same variables,
same names, same maths (training normalises with the biased batch variance and the
moving variance is updated with it, as Keras does); anything the fused op cannot do
(other axes, masks, renorm, synchronised statistics, other backends, a symbolic
``training`` flag) falls back to Keras' code.

With the moving statistics (inference, frozen layers) in float32 and no bf16 rewrite,
it also runs Keras' code: one multiply and one add, which cost less than the fused op
(oneDNN does not fold it into the convolution). ``bench/profile_step.py --mode infer``
on an AVX2 CPU with oneDNN on: 59 ms of fused batch norm per ResNet-50 step vs 34 ms
of ``Mul`` + ``AddV2``. The float32 inference graph is then keras.applications'.

>>> import numpy as np
>>> layer = FusedBatchNormalization(epsilon=1e-3)
>>> layer(np.ones((2, 4, 4, 3), "float32"), training=True).shape
(2, 4, 4, 3)
"""

from __future__ import annotations

import keras

from zoo import precision


@keras.saving.register_keras_serializable(package="zoo")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    def _fusable(self, inputs, training, mask) -> bool:
        if keras.backend.backend() != "tensorflow":
            return False
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        if not (training and self.trainable) and dtype == "float32" and not _bf16_rewrite_on():
            return False  # float32 with the moving statistics: Keras' Mul + Add are cheaper (module docstring)
        return (mask is None and len(inputs.shape) == 4 and self.axis in (-1, 3) and not self.renorm
                and not self.synchronized and training in (None, True, False)
                and dtype in ("float32", "bfloat16", "float16"))

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf  # lazy: only the TensorFlow backend reaches here

        width = inputs.shape[-1]
        scale = tf.cast(self.gamma, "float32") if self.scale else tf.ones([width], "float32")
        offset = tf.cast(self.beta, "float32") if self.center else tf.zeros([width], "float32")
        if training and self.trainable:
            outputs, mean, unbiased, _, _, _ = tf.raw_ops.FusedBatchNormV3(
                x=inputs, scale=scale, offset=offset, mean=tf.constant([], "float32"),
                variance=tf.constant([], "float32"), epsilon=self.epsilon, exponential_avg_factor=1.0,
                data_format="NHWC", is_training=True)
            # The op returns the Bessel-corrected variance; Keras tracks the biased one.
            count = tf.cast(tf.size(inputs) // tf.shape(inputs)[-1], "float32")
            variance = tf.where(count > 1.0, unbiased * (count - 1.0) / tf.maximum(count, 1.0), 0.0)
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        else:
            outputs, *_ = tf.raw_ops.FusedBatchNormV3(
                x=inputs, scale=scale, offset=offset, mean=tf.cast(self.moving_mean, "float32"),
                variance=tf.cast(self.moving_variance, "float32"), epsilon=self.epsilon,
                exponential_avg_factor=1.0, data_format="NHWC", is_training=False)
        return tf.cast(outputs, self.compute_dtype)


def _bf16_rewrite_on() -> bool:
    """Whether the step being traced will run under oneDNN's bf16 rewrite (zoo.precision.onednn_bf16
    sets the option around a model's compiled steps, so it is in force while they trace)."""
    import tensorflow as tf

    return bool(tf.config.optimizer.get_experimental_options().get(precision.ONEDNN_BF16_OPTION, False))
