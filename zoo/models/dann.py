"""The networks of domain-adversarial training (Ganin & Lempitsky, 2015, section 4.2, MNIST -> MNIST-M).

One classifier network, images -> shared features -> label head, so a trained model
classifies like any zoo classifier; and a separate domain classifier, shared features ->
gradient reversal -> hidden layer -> one logit (source 0, target 1), used only in training.

The default feature extractor is the paper's for digits: conv 5x5x32, max-pool, conv
5x5x48, max-pool (valid padding; 28x28 -> 4x4x48 = 768 features). Any zoo backbone can
take its place (``zoo.tasks.dann`` cuts it before its head and passes its layers here).
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

from zoo.models._common import image_input
from zoo.models.gradient_reversal import GradientReversal

# The label head's layers, in order: the first one's input is the shared feature vector.
LABEL_HEAD = ("label_hidden1", "label_hidden2", "predictions")
MIN_INPUT_SIZE = 16  # two valid 5x5 convs and two 2x2 pools leave 1x1


def label_head(features: keras.KerasTensor, num_classes: int, hidden_units: int) -> keras.KerasTensor:
    x = layers.Dense(hidden_units, activation="relu", name=LABEL_HEAD[0])(features)
    x = layers.Dense(hidden_units, activation="relu", name=LABEL_HEAD[1])(x)
    return layers.Dense(num_classes, activation="softmax", name=LABEL_HEAD[2], dtype="float32")(x)


def build_network(*, input_shape: Sequence[int] = (28, 28, 3), num_classes: int = 10, base_filters: int = 32,
                  hidden_units: int = 100, domain_units: int = 100, backbone: str | None = None,
                  backbone_config: dict | None = None, features: tuple | None = None) -> keras.Model:
    """The classifier network. ``features``: (input, feature tensor) of a backbone cut before its head
    (the task passes it when ``backbone`` names one); otherwise the paper's small CNN.
    ``domain_units`` sizes the domain classifier (``build_domain_classifier``), not this network."""
    if features is None:
        images = image_input("dann", input_shape, MIN_INPUT_SIZE, allow_dynamic=False)
        x = layers.Conv2D(base_filters, 5, activation="relu", name="features_conv1")(images)
        x = layers.MaxPooling2D(2, name="features_pool1")(x)
        x = layers.Conv2D(base_filters * 3 // 2, 5, activation="relu", name="features_conv2")(x)
        x = layers.MaxPooling2D(2, name="features_pool2")(x)
        vector = layers.Flatten(name="features_flatten")(x)
    else:
        images, vector = features
        if len(vector.shape) == 4:  # a feature map (e.g. NiN's class-map input): pool it to a vector
            vector = layers.GlobalAveragePooling2D(name="features_pool")(vector)
    return keras.Model(images, label_head(vector, int(num_classes), int(hidden_units)), name="dann")


def build_domain_classifier(feature_size: int, *, domain_units: int = 100, lambda_: float = 0.0) -> keras.Model:
    """Shared features -> gradient reversal -> ReLU layer -> one logit: is this a target-domain image?"""
    features = keras.Input((feature_size,), name="features")
    x = GradientReversal(lambda_, name="gradient_reversal")(features)
    x = layers.Dense(domain_units, activation="relu", name="domain_hidden")(x)
    return keras.Model(features, layers.Dense(1, name="domain_logit", dtype="float32")(x), name="domain_classifier")
