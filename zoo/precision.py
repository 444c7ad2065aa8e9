"""What ``mixed_precision=`` means on each kind of device.

Two mechanisms compute in 16 bits while variables stay float32:

- Keras' dtype policies (``"mixed_bfloat16"``, ``"mixed_float16"``): each layer casts
  its inputs and weights. Right for TPUs (bf16) and GPUs (fp16).
- oneDNN's graph rewrite (``"onednn_bf16"``): the model stays float32; when
  TensorFlow optimises a compiled train, test or predict step, oneDNN's
  auto-mixed-precision pass turns convolutions, matmuls and the ops between them
  into bf16 and keeps numerically sensitive ones (softmax, losses, variable updates)
  in float32. On CPUs with AVX512_BF16 or AMX it is what pays: Keras' policy casts
  around every batch norm and gained nothing in ResNet-50 training there
  (``bench/resnet50.py`` measures both).

``"bf16"`` and ``"auto"`` pick per device (see ``choose``); the explicit names force one.

>>> from zoo import precision
>>> precision.choose("off", None).name
'float32'
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from typing import Any, Iterator

from zoo import distribute

# TensorFlow's Grappler option for oneDNN's bf16 rewrite (tf.config.optimizer.set_experimental_options).
ONEDNN_BF16_OPTION = "auto_mixed_precision_onednn_bfloat16"
MODES = (None, "auto", "off", "float32", "bf16", "fp16", "mixed_bfloat16", "mixed_float16", "onednn_bf16")


@dataclasses.dataclass(frozen=True)
class Precision:
    name: str  # "float32", "mixed_bfloat16", "mixed_float16" or "onednn_bf16"
    keras_policy: str  # the dtype policy layers are built with
    graph_rewrite: bool  # compiled steps run under oneDNN's bf16 rewrite


FLOAT32 = Precision("float32", "float32", False)
KERAS_BF16 = Precision("mixed_bfloat16", "mixed_bfloat16", False)
KERAS_FP16 = Precision("mixed_float16", "mixed_float16", False)
ONEDNN_BF16 = Precision("onednn_bf16", "float32", True)


def native_bf16_cpu() -> bool:
    """Whether this CPU computes bf16 matmuls in hardware (AVX512_BF16 or AMX)."""
    flags = distribute.cpu_flags()
    return any(flag in flags for flag in distribute.BF16_CPU_FLAGS)


def _device(chosen: Any) -> str:
    import tensorflow as tf  # lazy: zoo.load's argument checks stay TensorFlow-free

    if chosen is not None and distribute.is_tpu(chosen):
        return "tpu"
    return "gpu" if tf.config.list_logical_devices("GPU") else "cpu"


def choose(mode: str | None, chosen: Any) -> Precision:
    """The precision for ``mode`` on ``chosen``'s devices (a strategy, or None for the default).

    ``"auto"``: bf16 policy on TPU, fp16 policy on GPU, oneDNN bf16 on a CPU with
    AVX512_BF16/AMX, float32 on other CPUs. ``"bf16"``: the bf16 that is fastest on
    the device (the policy on TPU/GPU, the rewrite on a bf16 CPU; on a CPU without
    bf16 instructions the policy, with a warning: TensorFlow emulates bf16 there)."""
    if mode not in MODES:
        raise ValueError(f"mixed_precision must be one of {', '.join(str(m) for m in MODES)}; got {mode!r}.")
    if mode in (None, "off", "float32"):
        return FLOAT32
    explicit = {"mixed_bfloat16": KERAS_BF16, "mixed_float16": KERAS_FP16, "fp16": KERAS_FP16,
                "onednn_bf16": ONEDNN_BF16}
    if mode in explicit:
        if mode == "onednn_bf16" and not native_bf16_cpu():
            _warn_emulated()
        return explicit[mode]
    device = _device(chosen)
    if device == "tpu":
        return KERAS_BF16
    if mode == "auto":
        if device == "gpu":
            return KERAS_FP16
        return ONEDNN_BF16 if native_bf16_cpu() else FLOAT32
    if device == "gpu":  # mode == "bf16"
        return KERAS_BF16
    if native_bf16_cpu():
        return ONEDNN_BF16
    _warn_emulated()
    return KERAS_BF16


def _warn_emulated() -> None:
    if distribute.cpu_flags():  # flags unreadable (not Linux): no claim either way
        warnings.warn(
            "mixed_precision='bf16' on a CPU without AVX512_BF16 or AMX: TensorFlow emulates bf16 here, so "
            "it runs far slower than float32 (ResNet50 training at 0.07x the float32 speed in bench/resnet50.py "
            "on such a CPU). Leave mixed_precision unset (or 'auto') on this machine.", RuntimeWarning, stacklevel=4)


@contextlib.contextmanager
def onednn_bf16() -> Iterator[None]:
    """Compiled functions called inside run under oneDNN's bf16 rewrite. The option travels with
    each call of this thread (TensorFlow keeps one optimised copy per setting), so other models'
    float32 steps in the same process are not touched."""
    import tensorflow as tf

    before = bool(tf.config.optimizer.get_experimental_options().get(ONEDNN_BF16_OPTION, False))
    tf.config.optimizer.set_experimental_options({ONEDNN_BF16_OPTION: True})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({ONEDNN_BF16_OPTION: before})
