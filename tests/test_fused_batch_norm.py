"""zoo's FusedBatchNormalization computes what keras.layers.BatchNormalization computes."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo import precision
from zoo.models.fused_batch_norm import FusedBatchNormalization


def twins(**options):
    """A Keras BN and a fused BN with the same (non-trivial) variables."""
    rng = np.random.default_rng(0)
    keras_bn, fused = keras.layers.BatchNormalization(**options), FusedBatchNormalization(**options)
    for layer in (keras_bn, fused):
        layer.build((None, 5, 6, 3))
    values = [rng.uniform(0.5, 1.5, 3), rng.normal(size=3), rng.normal(size=3), rng.uniform(0.5, 2.0, 3)]
    for layer in (keras_bn, fused):
        layer.set_weights([v.astype("float32") for v in values])
    return keras_bn, fused


@pytest.mark.parametrize("batch", [4, 1])
def test_training_step_matches_keras(batch):
    keras_bn, fused = twins(momentum=0.9, epsilon=1.001e-5)
    x = tf.constant(np.random.default_rng(1).normal(3.0, 2.0, (batch, 5, 6, 3)).astype("float32"))
    results = []
    for layer in (keras_bn, fused):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.range(y.shape[-1], dtype=y.dtype) + y**2)
        grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
        results.append((y, grads, [v.numpy() for v in (layer.moving_mean, layer.moving_variance)]))
    (y_k, g_k, m_k), (y_f, g_f, m_f) = results
    np.testing.assert_allclose(y_f, y_k, atol=1e-5)
    for a, b in zip(g_f, g_k):
        np.testing.assert_allclose(a, b, atol=1e-3, rtol=1e-4)
    for a, b in zip(m_f, m_k):  # the moving variance tracks the biased batch variance, as Keras does
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=1e-6)


def test_inference_and_frozen_layers_use_the_moving_statistics():
    keras_bn, fused = twins(epsilon=1e-3)
    x = np.random.default_rng(2).normal(size=(2, 5, 6, 3)).astype("float32")
    np.testing.assert_allclose(fused(x, training=False), keras_bn(x, training=False), atol=1e-5)
    fused.trainable = keras_bn.trainable = False  # fine-tuning with frozen BN: training=True still uses moving stats
    before = fused.moving_mean.numpy()
    np.testing.assert_allclose(fused(x, training=True), keras_bn(x, training=True), atol=1e-5)
    np.testing.assert_array_equal(fused.moving_mean.numpy(), before)


def test_bf16_inputs_and_unfusable_cases_fall_back_or_match():
    keras_bn, fused = twins()
    x = np.random.default_rng(3).normal(size=(2, 5, 6, 3)).astype("float32")
    low = tf.cast(x, "bfloat16")
    np.testing.assert_allclose(tf.cast(fused(low, training=False), "float32"), keras_bn(x, training=False), atol=0.05)
    flat = keras.layers.BatchNormalization(), FusedBatchNormalization()  # 2-D input: Keras' own code path
    z = np.random.default_rng(4).normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(flat[1](z, training=True), flat[0](z, training=True), atol=1e-6)


def test_round_trips_through_a_keras_file(tmp_path):
    inputs = keras.Input((5, 6, 3))
    model = keras.Model(inputs, FusedBatchNormalization(name="bn")(inputs))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(again.get_layer("bn"), FusedBatchNormalization)


def fused_op_traced(layer, dtype="float32", **call) -> bool:
    step = tf.function(lambda t: layer(tf.cast(t, dtype), **call))
    graph = step.get_concrete_function(tf.TensorSpec((2, 5, 6, 3), tf.float32)).graph
    return any(op.type == "FusedBatchNormV3" for op in graph.get_operations())


def test_the_fused_op_runs_where_it_pays_and_keras_ops_at_float32_inference():
    _, fused = twins()
    assert fused_op_traced(fused, training=True)
    assert not fused_op_traced(fused, training=False)  # Keras' Mul + Add, as keras.applications
    with precision.onednn_bf16():  # the bf16 rewrite turns the fused op into bf16
        assert fused_op_traced(fused, training=False)
    keras_bf16 = FusedBatchNormalization(dtype="mixed_bfloat16")  # Keras' bf16 policy: bf16 inputs, fused
    assert fused_op_traced(keras_bf16, "bfloat16", training=False)
    fused.trainable = False  # frozen (fine-tuning): moving statistics, so Keras' ops at float32
    assert not fused_op_traced(fused, training=True)
