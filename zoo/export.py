"""Export a zoo model for serving (TF SavedModel or TFLite), with a parity check that refuses bad artifacts.

What is served is the task's to say (``serving_signature``): a classifier takes raw
pixels (0-255, float32, at the network's input size) with its preprocessing baked in
and returns class probabilities; generative models serve the network that makes images
(a GAN's or pix2pix's generator, an autoencoder's decoder). Translators decode in
Python (beam search over a vocabulary) and are shared as presets instead.

The artifact is written beside ``path``, reloaded the way a server would load it
(``tf.saved_model.load`` / ``tf.lite.Interpreter``) and run on a probe batch; only
when its outputs match the Keras model's within ``tolerance`` is it moved into place.
A refused export leaves ``path`` as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

from zoo.errors import ExportError, ExportParityError
from zoo.preset import replace_directory

FORMATS = ("saved_model", "tflite")
QUANTIZE = (None, "dynamic", "float16")
DEFAULT_TOLERANCE = 1e-4  # absolute, on outputs; float32 exports differ from Keras by ~1e-6
PROBE_BATCH = 4


def _write_saved_model(serve: Callable, specs: list, model, directory: Path) -> None:
    import keras  # Keras and TF only when exporting: the CLI imports this module for describe()

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", serve, input_signature=specs)
    archive.write_out(str(directory), verbose=False)


def _run_saved_model(directory: Path, probe: list[np.ndarray]) -> np.ndarray:
    import tensorflow as tf  # only when exporting (see _write_saved_model)

    loaded = tf.saved_model.load(str(directory))
    return np.asarray(loaded.serve(*[tf.constant(x) for x in probe]))


def _tflite_bytes(saved_model: Path, quantize: str | None) -> bytes:
    import tensorflow as tf  # only when exporting (see _write_saved_model)

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=["serve"])
    if quantize is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]  # weights stored in 8 bits ("dynamic range")
        if quantize == "float16":
            converter.target_spec.supported_types = [tf.float16]
    try:
        return converter.convert()
    except Exception as error:  # TF raises ConverterError (and others) with pages of MLIR
        lines = [line.strip() for line in str(error).splitlines()]
        said = [line for line in lines if "ops:" in line] or [line for line in lines if "not supported" in line]
        raise ExportError(f"TFLite cannot convert this model: {said[0] if said else type(error).__name__}. "
                          "Export it as format='saved_model' instead.") from None


def _run_tflite(path: Path, probe: list[np.ndarray]) -> np.ndarray:
    import tensorflow as tf  # only when exporting (see _write_saved_model)

    with warnings.catch_warnings():  # its deprecation notice (LiteRT) is not the user's business here
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner("serve")
    names = sorted(runner.get_input_details(), key=lambda n: runner.get_input_details()[n]["index"])
    outputs = runner(**dict(zip(names, probe)))
    return np.asarray(next(iter(outputs.values())))


def export_for_serving(model, path: str | Path, *, format: str = "saved_model", tolerance: float = DEFAULT_TOLERANCE,
                       quantize: str | None = None, overwrite: bool = False, seed: int = 0) -> Path:
    """Write ``model`` for serving at ``path`` (a SavedModel folder, or a ``.tflite`` file).

    ``quantize`` ("dynamic" or "float16", TFLite only) shrinks the file; its outputs then
    differ more, so the parity check needs a looser ``tolerance`` to accept it.

    >>> import zoo, tempfile
    >>> model = zoo.create("lego_cnn", num_classes=3, input_shape=(16, 16, 1), blocks=[{"filters": 8, "pool": True}])
    >>> path = model.export_for_serving(tempfile.mkdtemp() + "/served", format="saved_model")
    >>> sorted(p.name for p in path.iterdir())[:2]
    ['assets', 'fingerprint.pb']
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}; got {format!r}.")
    if quantize not in QUANTIZE or (quantize and format != "tflite"):
        raise ValueError(f"quantize must be one of {QUANTIZE[1:]} and only with format='tflite'; got {quantize!r}.")
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--overwrite) to replace it.")
    serve, specs, probe = model.serving_signature(np.random.default_rng(seed), PROBE_BATCH)
    expected = np.asarray(serve(*probe))
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp-"))
    try:
        saved = staging / "saved_model"
        _write_saved_model(serve, specs, model, saved)
        if format == "tflite":
            artifact = staging / "model.tflite"
            artifact.write_bytes(_tflite_bytes(saved, quantize))
            actual = _run_tflite(artifact, probe)
        else:
            artifact, actual = saved, _run_saved_model(saved, probe)
        _check_parity(expected, actual, tolerance, model.model_name, format, path)
        _move_into_place(artifact, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def _check_parity(expected: np.ndarray, actual: np.ndarray, tolerance: float, name: str, format: str, path: Path):
    if expected.shape != actual.shape:
        raise ExportParityError(f"{name} -> {format}: the exported artifact returns shape {actual.shape}, the Keras "
                                f"model {expected.shape}; {path} was not written.")
    worst = float(np.max(np.abs(expected - actual))) if expected.size else 0.0
    if not np.isfinite(worst) or worst > tolerance:
        raise ExportParityError(
            f"{name} -> {format}: the exported artifact differs from the Keras model by up to {worst:.3g} on a probe "
            f"batch of {PROBE_BATCH} (tolerance {tolerance:g}); {path} was not written. A quantized export needs a "
            "looser tolerance=; otherwise the model has behaviour the export cannot capture (e.g. randomness at "
            "inference, Python-side state).")


def _move_into_place(artifact: Path, path: Path) -> None:
    if artifact.is_dir():
        replace_directory(artifact, path)
    else:
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a folder; a TFLite export is one file (e.g. {path}.tflite).")
        os.replace(artifact, path)


def describe(path: Path) -> dict[str, Any]:
    """Size of an exported artifact, for the CLI's report."""
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
    return {"path": str(path), "bytes": size}
