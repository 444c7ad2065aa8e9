"""mixed_precision=: which mechanism each device gets, and oneDNN's bf16 rewrite doing real work."""

import warnings

import numpy as np
import pytest

import zoo
from zoo import distribute, precision

NATIVE = precision.native_bf16_cpu()


@pytest.mark.parametrize("flags, mode, expected, warns", [
    (["avx2", "avx512_bf16"], "bf16", precision.ONEDNN_BF16, False),
    (["avx2", "amx_bf16"], "auto", precision.ONEDNN_BF16, False),
    (["avx2", "fma"], "auto", precision.FLOAT32, False),
    (["avx2", "fma"], "bf16", precision.KERAS_BF16, True),  # emulated bf16: allowed, but said
    (["avx2", "fma"], "onednn_bf16", precision.ONEDNN_BF16, True),
    (["avx2", "amx_bf16"], "mixed_bfloat16", precision.KERAS_BF16, False),
    (["avx2", "amx_bf16"], "fp16", precision.KERAS_FP16, False),
    (["avx2", "amx_bf16"], None, precision.FLOAT32, False),
])
def test_each_cpu_gets_the_precision_that_pays(monkeypatch, flags, mode, expected, warns):
    monkeypatch.setattr(distribute, "cpu_flags", lambda: flags)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert precision.choose(mode, distribute.strategy("cpu")) == expected
    assert len([w for w in caught if "AVX512_BF16" in str(w.message)]) == (1 if warns else 0)


def test_unknown_modes_are_refused_before_anything_is_built():
    with pytest.raises(ValueError, match="mixed_precision must be one of .*onednn_bf16.*'bf17'"):
        zoo.load("resnet18", weights=None, mixed_precision="bf17", input_shape=(16, 16, 1), num_classes=3)


def tiny(mode):
    return zoo.load("resnet18", weights=None, mixed_precision=mode, input_shape=(16, 16, 1), base_width=4,
                    stem="cifar", num_classes=3)


def test_onednn_bf16_model_computes_in_bf16_and_leaves_float32_models_alone():
    import tensorflow as tf

    exact, rewritten = tiny(None), tiny("onednn_bf16")
    rewritten.set_weights(exact.get_weights())
    assert rewritten.compute_precision == "onednn_bf16" and exact.compute_precision == "float32"
    assert rewritten.network.get_layer("conv1_conv").compute_dtype == "float32"  # the graph changes, not the layers
    x = exact.preprocess(np.random.default_rng(0).integers(0, 256, (8, 16, 16, 1)))
    before = exact.predict(x, verbose=0)
    low = rewritten.predict(x, verbose=0)
    again = exact.predict(x, verbose=0)
    np.testing.assert_array_equal(before, again)  # the float32 model's steps stayed float32
    assert low.dtype == np.float32
    np.testing.assert_allclose(low, before, atol=0.05)  # bf16 rounding, not another function
    if NATIVE:  # TensorFlow applies the rewrite only where oneDNN has bf16 kernels
        assert np.abs(low - before).max() > 1e-5
    assert tf.config.optimizer.get_experimental_options().get(precision.ONEDNN_BF16_OPTION, False) is False
    rng = np.random.default_rng(1)
    history = rewritten.finetune((rng.integers(0, 256, (16, 16, 16)), np.arange(16) % 3), epochs=(1, 1), verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
