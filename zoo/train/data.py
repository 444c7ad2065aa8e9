"""Turn what users have into ``(image, label)`` examples a classifier can train on.

Accepted: a ``tf.data.Dataset`` of ``(image, label)`` (batched or not) or of
``{"image", "label"}`` dicts (as ``tfds.load`` gives them), numpy ``(x, y)``, a
``(dataset, tfds_info)`` pair, an image folder (one sub-folder per class), or a
TFDS name (``"mnist"``, ``"tf_flowers:train[:80%]"``). Labels may be class ids
or one-hot vectors; images are raw pixels (0-255) of any size and 1 or 3 channels.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Sequence

import numpy as np
import tensorflow as tf

from zoo import preprocessing

# Cache the preprocessed examples in memory when they take less than this.
CACHE_BUDGET_BYTES = 1 << 30


@dataclasses.dataclass
class Examples:
    """Unbatched raw ``(image, label)`` examples plus what is known about their classes."""

    dataset: tf.data.Dataset
    num_classes: int | None = None
    class_names: list[str] | None = None
    count: int | None = None
    one_hot: bool = False


def _from_folder(path: str, image_shape) -> Examples:
    import keras

    height, width, channels = image_shape
    dataset = keras.utils.image_dataset_from_directory(
        path,
        labels="inferred",
        label_mode="int",
        color_mode="grayscale" if channels == 1 else "rgb",
        image_size=(height or 256, width or 256),
        batch_size=None,
        shuffle=False,
    )
    names = list(dataset.class_names)
    return Examples(dataset, num_classes=len(names), class_names=names)


def _from_tfds(name: str) -> tuple[tf.data.Dataset, Any]:
    import tensorflow_datasets as tfds

    dataset_name, _, split = name.partition(":")
    return tfds.load(dataset_name, split=split or "train", with_info=True)


def _info_classes(info: Any) -> tuple[int | None, list[str] | None]:
    try:
        label = info.features["label"]
        return int(label.num_classes), list(label.names)
    except (AttributeError, KeyError, TypeError):
        return None, None


def _as_pairs(dataset: tf.data.Dataset) -> tf.data.Dataset:
    spec = dataset.element_spec
    if isinstance(spec, dict):
        if not {"image", "label"} <= set(spec):
            raise ValueError(
                f"dict elements need 'image' and 'label' keys (as tfds.load gives them); got keys {sorted(spec)}."
            )
        dataset = dataset.map(lambda e: (e["image"], e["label"]), num_parallel_calls=tf.data.AUTOTUNE)
    elif not (isinstance(spec, tuple) and len(spec) >= 2):
        raise ValueError(f"dataset elements must be (image, label) pairs or dicts; got {spec}.")
    elif len(spec) > 2:
        dataset = dataset.map(lambda *e: (e[0], e[1]))
    image_spec, label_spec = dataset.element_spec
    if image_spec.shape.rank == 4:  # batched: train on single examples, zoo batches again
        dataset = dataset.unbatch()
    elif image_spec.shape.rank not in (2, 3):
        raise ValueError(f"images must be (height, width[, channels]) or batched; got element shape {image_spec.shape}.")
    return dataset


def to_examples(data: Any, image_shape: Sequence[int | None]) -> Examples:
    """Normalise any accepted input to unbatched raw examples (see the module doc)."""
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        if os.path.isdir(path):
            return _from_folder(path, image_shape)
        if os.path.sep in path or os.path.exists(path):
            raise ValueError(f"{path!r} is not a folder of class sub-folders.")
        dataset, info = _from_tfds(path)
        num_classes, names = _info_classes(info)
        return Examples(_as_pairs(dataset), num_classes, names)
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], tf.data.Dataset):
        num_classes, names = _info_classes(data[1])
        return Examples(_as_pairs(data[0]), num_classes, names)
    if isinstance(data, tf.data.Dataset):
        return Examples(_as_pairs(data))
    if isinstance(data, (tuple, list)) and len(data) == 2:
        images, labels = np.asarray(data[0]), np.asarray(data[1])
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels.")
        dataset = tf.data.Dataset.from_tensor_slices((images, labels))
        return Examples(dataset, count=len(images))
    raise TypeError(
        "data must be a tf.data.Dataset, (images, labels) arrays, a (dataset, tfds_info) pair, "
        f"an image folder or a TFDS name; got {type(data).__name__}."
    )


def _check_labels(examples: Examples) -> None:
    label_spec = examples.dataset.element_spec[1]
    rank = label_spec.shape.rank
    if rank == 0:
        examples.one_hot = False
    elif rank == 1 and label_spec.shape[0] is not None and label_spec.shape[0] > 1:
        examples.one_hot = True
        width = int(label_spec.shape[0])
        if examples.num_classes not in (None, width):
            raise ValueError(f"one-hot labels have {width} columns but there are {examples.num_classes} classes.")
        examples.num_classes = width
    elif rank == 1 and label_spec.shape[0] == 1:
        examples.dataset = examples.dataset.map(lambda x, y: (x, tf.reshape(y, [])))
    else:
        raise ValueError(
            "labels must be integer class ids (one number per image) or one-hot vectors "
            f"(one row of num_classes per image); got a label of shape {label_spec.shape} per image."
        )


def _scan(examples: Examples) -> None:
    """Count the examples and, when the class count is still unknown, find the largest class id.

    The scan reads the whole dataset, so it runs only when it must: a known
    cardinality gives the count for free.
    """
    cardinality = int(examples.dataset.cardinality())
    if cardinality >= 0:
        examples.count = cardinality
    if cardinality == tf.data.INFINITE_CARDINALITY or (examples.num_classes is not None and cardinality >= 0):
        return
    one_hot = examples.one_hot
    labels = examples.dataset.map(
        lambda x, y: tf.argmax(y, output_type=tf.int64) if one_hot else tf.cast(y, tf.int64)
    )
    count, largest = labels.reduce(
        (tf.constant(0, tf.int64), tf.constant(-1, tf.int64)),
        lambda state, label: (state[0] + 1, tf.maximum(state[1], label)),
    )
    examples.count = int(count)
    # Tell tf.data (and so Keras' progress bars and epoch ends) the size it could not know.
    examples.dataset = examples.dataset.apply(tf.data.experimental.assert_cardinality(examples.count))
    if examples.count and examples.num_classes is None:
        examples.num_classes = int(largest) + 1


def prepare(data: Any, image_shape, *, num_classes: int | None = None, what: str = "training data") -> Examples:
    """``to_examples`` + label checks + class count (given, one-hot width, TFDS info, folders, or a scan)."""
    examples = to_examples(data, image_shape)
    if num_classes is not None:
        if examples.num_classes not in (None, num_classes) and examples.class_names is not None:
            raise ValueError(f"num_classes={num_classes}, but the {what} has {examples.num_classes} classes.")
        examples.num_classes = num_classes
    _check_labels(examples)
    _scan(examples)
    if examples.count == 0:
        raise ValueError(f"the {what} is empty: no (image, label) examples to train on.")
    if examples.num_classes is None:
        raise ValueError(
            f"cannot infer the number of classes of the {what} (it is infinite or unsized); pass num_classes=N."
        )
    return examples


def pipeline(
    examples: Examples,
    image_shape,
    preprocessing_name: str | None,
    *,
    batch_size: int,
    training: bool,
    augment: Any = None,
    shuffle: bool = True,
    seed: int = 0,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Preprocess once (cached in memory when it fits), then shuffle, batch, augment and prefetch."""
    def prepare_example(image, label):
        # No tf.debugging.assert_* on labels here: in a tf.data map over a TFDS dataset they
        # corrupt memory under Model.fit (TF 2.21). Out-of-range labels still fail: the
        # cross-entropy kernel rejects them ("outside the valid range").
        label = tf.argmax(label, output_type=tf.int32) if examples.one_hot else tf.cast(label, tf.int32)
        return preprocessing.prepare_images(image, image_shape, preprocessing_name), label

    dataset = examples.dataset.map(prepare_example, num_parallel_calls=tf.data.AUTOTUNE)
    height, width, channels = image_shape
    if examples.count and height and examples.count * height * width * channels * 4 <= CACHE_BUDGET_BYTES:
        dataset = dataset.cache()
    if training and shuffle:
        dataset = dataset.shuffle(min(examples.count or 10_000, 10_000), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if training and augment:
        layer = augmentation(augment, seed)
        dataset = dataset.map(lambda x, y: (layer(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


AUGMENTATIONS = ("crop", "flip", "crop+flip")


def augmentation(kind: Any, seed: int):
    """Random crop (a shift by up to 1/8 of the size, reflected at the borders, which is
    pad-and-crop without the padding) and/or horizontal flip, as Keras layers."""
    import keras

    if kind is True:
        kind = "crop+flip"
    if kind not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {AUGMENTATIONS} (or True/None); got {kind!r}.")
    steps = []
    if "crop" in kind:
        steps.append(keras.layers.RandomTranslation(0.125, 0.125, fill_mode="reflect", seed=seed))
    if "flip" in kind:
        steps.append(keras.layers.RandomFlip("horizontal", seed=seed))
    return keras.Sequential(steps)
