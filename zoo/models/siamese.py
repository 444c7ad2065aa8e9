"""The shared encoder of a Siamese network (Bromley et al., 1993): images -> unit-length embeddings.

Both branches of a Siamese network are this one model, so they share every weight. By default it
is a small CNN (two conv + max-pool blocks, a dense layer unless ``hidden_units=0``); given ``trunk`` (any zoo classifier
built headless with global pooling, see ``zoo.tasks.siamese``) it puts the embedding on that
instead. The last layer scales each embedding to unit L2 norm, so distances lie in [0, 2] and
cosine similarity is a dot product.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers


def embedding_head(features: keras.KerasTensor, embedding_dim: int) -> keras.KerasTensor:
    """Features -> ``embedding_dim`` numbers of unit length (float32 under a mixed policy)."""
    x = layers.Dense(embedding_dim, name="embedding", dtype="float32")(features)
    return layers.UnitNormalization(axis=-1, name="embedding_unit_norm", dtype="float32")(x)


def build_encoder(*, embedding_dim: int = 64, image_shape: Sequence[int] = (28, 28, 1), base_filters: int = 32,
                  hidden_units: int = 256, trunk: keras.Model | None = None, name: str = "encoder") -> keras.Model:
    """The encoder on pixels scaled to [0, 1]; ``trunk``: a pooled feature extractor to use instead of the CNN."""
    if trunk is not None:
        # One flat graph (the trunk's layers, then the head), so weights save and load by layer name.
        return keras.Model(trunk.input, embedding_head(trunk.output, embedding_dim), name=name)
    height, width, channels = (int(v) for v in image_shape)
    if min(height, width) < 4:
        raise ValueError(f"siamese: image_shape must be at least 4x4 (two 2x2 poolings); got {tuple(image_shape)}.")
    images = keras.Input((height, width, channels), name="images")
    x = images
    for index in range(2):
        x = layers.Conv2D(base_filters * 2**index, 3, padding="same", activation="relu",
                          name=f"encoder_conv{index + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"encoder_pool{index + 1}")(x)
    x = layers.Flatten(name="encoder_flatten")(x)
    if hidden_units:  # 0: the embedding reads the conv features directly
        x = layers.Dense(hidden_units, activation="relu", name="encoder_dense")(x)
    return keras.Model(images, embedding_head(x, embedding_dim), name=name)
