"""Choosing a ``tf.distribute`` strategy: TPU, several workers, several GPUs, or one device.

>>> import zoo.distribute
>>> strategy = zoo.distribute.strategy("auto")      # TPU -> multi-worker -> GPUs -> default
>>> model = zoo.load("resnet18.mnist", strategy=strategy)

``kind``: ``"auto"``, ``"tpu"``, ``"multiworker"``, ``"gpu"`` (all local GPUs),
``"cpu"`` (the default strategy, one device), ``"mirrored:N"`` (MirroredStrategy
over N local devices: GPUs if there are that many, else logical CPU devices
made by ``cpu_devices(N)``), or a ``tf.distribute.Strategy`` (returned as is).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import tensorflow as tf

log = logging.getLogger("zoo.distribute")
_announced: set[str] = set()

KINDS = ("auto", "tpu", "multiworker", "gpu", "cpu", "mirrored:N")


def _say_once(message: str) -> None:
    if message not in _announced:
        _announced.add(message)
        log.warning("zoo.distribute: %s", message)


def cpu_devices(n: int) -> list[str]:
    """Split the CPU into ``n`` logical devices (before TensorFlow initialises its devices).

    For tests, and for trying the multi-device path on a laptop. Returns the
    device names. Calling it again with the same ``n`` is harmless; another ``n``
    after initialisation raises, since TensorFlow cannot re-split.
    """
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:
        existing = tf.config.list_logical_devices("CPU")
        if len(existing) != n:
            raise RuntimeError(
                f"TensorFlow already initialised {len(existing)} CPU device(s); call "
                f"zoo.distribute.cpu_devices({n}) before building any model or tensor."
            ) from None
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def _tf_config_workers() -> int:
    try:
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    except json.JSONDecodeError:
        return 0
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def _find_tpu():
    """A connected TPU cluster resolver, or None when the advertised TPU cannot be initialised."""
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=os.environ.get("TPU_NAME", "local"))
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return resolver
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        _say_once(f"a TPU was advertised but could not be initialised ({error}); not using it")
        return None


def _mirrored(n: int) -> tf.distribute.Strategy:
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) >= n:
        devices = [gpu.name for gpu in gpus[:n]]
    else:
        devices = cpu_devices(n) if len(tf.config.list_logical_devices("CPU")) != n else [
            d.name for d in tf.config.list_logical_devices("CPU")
        ]
    # On CPUs there is no NCCL; reduce by copying to one device.
    options = {} if len(gpus) >= n else {"cross_device_ops": tf.distribute.ReductionToOneDevice()}
    return tf.distribute.MirroredStrategy(devices[:n], **options)


def choose(kind: str = "auto") -> tuple[str, str]:
    """What ``strategy(kind)`` will build, and why: ``("tpu"|"multiworker"|"gpu"|"mirrored:N"|"default", reason)``.

    Constructs nothing (a multi-worker strategy blocks until its peers connect).
    """
    if not isinstance(kind, str) or not (kind in KINDS or kind.startswith("mirrored:")):
        raise ValueError(f"strategy kind must be one of {', '.join(KINDS)} or a tf.distribute.Strategy; got {kind!r}.")
    if kind.startswith("mirrored:"):
        count = kind.split(":", 1)[1]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"'mirrored:N' needs a positive N; got {kind!r}.")
        return kind, f"asked for MirroredStrategy over {count} devices"
    if kind in ("auto", "tpu") and (os.environ.get("TPU_NAME") or os.path.exists("/dev/accel0")):
        return "tpu", "a TPU is advertised (TPU_NAME or /dev/accel0)"
    if kind == "tpu":
        raise RuntimeError("strategy('tpu'): no TPU found (set TPU_NAME, or run on a Cloud TPU VM).")
    workers = _tf_config_workers()
    if kind == "multiworker" or (kind == "auto" and workers > 1):
        if workers < 1:
            raise RuntimeError("strategy('multiworker') needs TF_CONFIG naming the cluster's workers.")
        return "multiworker", f"TF_CONFIG names {workers} workers"
    gpus = tf.config.list_logical_devices("GPU")
    if kind == "gpu" or (kind == "auto" and len(gpus) > 1):
        if not gpus:
            raise RuntimeError("strategy('gpu'): no GPU is visible to TensorFlow.")
        return "gpu", f"{len(gpus)} GPUs"
    reason = "asked for one device" if kind == "cpu" else f"no TPU, no multi-worker TF_CONFIG, {len(gpus)} GPU(s)"
    return "default", reason


def strategy(kind: Any = "auto") -> tf.distribute.Strategy:
    """The ``tf.distribute.Strategy`` for ``kind`` (see the module doc); says once what it chose and why."""
    if isinstance(kind, tf.distribute.Strategy):
        return kind
    decision, reason = choose("auto" if kind is None else kind)
    if decision == "tpu":
        resolver = _find_tpu()
        if resolver is not None:
            _say_once(f"TPUStrategy: {reason}")
            return tf.distribute.TPUStrategy(resolver)
        if kind == "tpu":
            raise RuntimeError("strategy('tpu'): the advertised TPU could not be initialised.")
        decision, reason = "default", "the advertised TPU could not be initialised"
    if decision.startswith("mirrored:"):
        chosen = _mirrored(int(decision.split(":", 1)[1]))
        _say_once(f"MirroredStrategy over {chosen.num_replicas_in_sync} devices: {reason}")
        return chosen
    if decision == "multiworker":
        _say_once(f"MultiWorkerMirroredStrategy: {reason}")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if decision == "gpu":
        _say_once(f"MirroredStrategy: {reason}")
        return tf.distribute.MirroredStrategy([gpu.name for gpu in tf.config.list_logical_devices("GPU")])
    _say_once(f"default strategy (one device): {reason}")
    return tf.distribute.get_strategy()


def is_multi_worker(chosen: tf.distribute.Strategy) -> bool:
    return isinstance(chosen, tf.distribute.MultiWorkerMirroredStrategy)


def is_tpu(chosen: tf.distribute.Strategy) -> bool:
    return isinstance(chosen, tf.distribute.TPUStrategy)


BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # CPUs whose matmuls run bf16 natively


def cpu_flags() -> list[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo); empty where they cannot be read."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "flags":
                    return value.split()
    except OSError:
        pass
    return []


def is_chief(chosen: tf.distribute.Strategy) -> bool:
    """Whether this process writes files (checkpoints, saved models) for the cluster."""
    resolver = getattr(chosen, "cluster_resolver", None)
    if not is_multi_worker(chosen) or resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0 and
                                               "chief" not in resolver.cluster_spec().as_dict())
