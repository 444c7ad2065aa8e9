"""Shared checks every image-classifier family runs on itself (one harness, many families)."""

from __future__ import annotations

import numpy as np
import keras

import zoo


def trainable_count(model: keras.Model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def random_images(shape, n: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, size=(n, *shape)).astype("float32")


def check_outputs(name: str, input_shape, num_classes: int = 5, **config) -> keras.Model:
    """Builds at ``input_shape``, outputs a probability vector per image."""
    model = zoo.create(name, num_classes=num_classes, input_shape=input_shape, **config)
    probabilities = model.predict(random_images(input_shape) / 255.0, verbose=0)
    assert probabilities.shape == (2, num_classes)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)
    return model


def check_save_load(model: keras.Model, tmp_path) -> None:
    """A .keras round trip rebuilds the same class and gives identical outputs."""
    x = random_images(model.image_shape, seed=1) / 255.0
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is type(model)
    assert restored.build_config == model.build_config
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def check_headless(name: str, input_shape, channels: int) -> None:
    """include_top=False gives a feature map, pooled to a vector when asked."""
    feature_map = zoo.create(name, input_shape=input_shape, include_top=False).network
    assert len(feature_map.output_shape) == 4 and feature_map.output_shape[-1] == channels
    for pooling in ("avg", "max"):
        pooled = zoo.create(name, input_shape=input_shape, include_top=False, pooling=pooling).network
        assert pooled.output_shape == (None, channels)


def check_min_input_size(name: str, channels: int = 3) -> None:
    """Builds and runs at its documented minimum size; one pixel less is a clear error."""
    size = zoo.info(name)["min_input_size"]
    model = zoo.create(name, num_classes=3, input_shape=(size, size, channels))
    assert model.predict(np.zeros((1, size, size, channels)), verbose=0).shape == (1, 3)
    if size > 1:
        try:
            zoo.create(name, input_shape=(size - 1, size - 1, channels))
        except ValueError as error:
            assert f"at least {size}x{size}" in str(error) and name in str(error)
        else:
            raise AssertionError(f"{name} built below its minimum input size")


def check_trains(model: keras.Model, epochs: int = 6) -> None:
    """A few optimiser steps on one tiny batch lower the training loss (trainable end to end)."""
    x = random_images(model.image_shape, n=4, seed=2) / 255.0
    y = np.arange(4) % model.num_classes
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    losses = model.fit(x, y, epochs=epochs, batch_size=4, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], losses


def assert_same_probabilities(ours: np.ndarray, reference: np.ndarray, atol: float = 1e-4) -> None:
    """Parity of two softmax outputs, compared as log-probabilities (logits up to a constant).

    Comparing probabilities directly would pass for any two near-uniform outputs
    over 1000 classes; log-probabilities expose every logit.
    """
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    assert ours.shape == reference.shape
    spread = np.ptp(np.log(reference), axis=-1).min()
    assert spread > 0.05, f"reference outputs are too uniform ({spread:.3g}) for a meaningful check"
    np.testing.assert_allclose(np.log(ours), np.log(reference), atol=atol)
