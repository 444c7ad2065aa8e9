"""Turn what users have into ``(image, label)`` examples a classifier can train on.

Accepted: a ``tf.data.Dataset`` of ``(image, label)`` (batched or not) or of
``{"image", "label"}`` dicts (as ``tfds.load`` gives them), numpy ``(x, y)``, a
``(dataset, tfds_info)`` pair, an image folder (one sub-folder per class), or a
TFDS name (``"mnist"``, ``"tf_flowers:train[:80%]"``). Labels may be class ids
or one-hot vectors; images are raw pixels (0-255) of any size and 1 or 3 channels.

Bad data is refused before training starts, saying where: class ids that are
negative, fractional or not numbers (arrays are checked up front; a dataset's
labels while the pass that counts its examples reads them), class ids beyond
``num_classes``, image files that do not decode. A TFDS name loads only what is
prepared in the TFDS data dir, unless the network is there to download it.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
from typing import Any, Sequence
from urllib.parse import urlparse

import keras
import numpy as np
import tensorflow as tf

from zoo import preprocessing
from zoo.transforms import AUGMENTATIONS, augmentation, augmentation_kind  # noqa: F401 (AUGMENTATIONS: re-exported)

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
    # Class ids vouched for by metadata (an image folder's sub-folders, a TFDS ClassLabel): not scanned.
    trusted_labels: bool = False
    # The largest class id and where it is ("labels[7]", "example 7"), once the labels are checked.
    largest: tuple[float, str] | None = None
    # True when num_classes was inferred from the largest class id (not given, nor from metadata).
    inferred: bool = False


def _from_folder(path: str, image_shape, native_size: bool = False) -> Examples:
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
    _check_image_files(list(dataset.file_paths))
    names = list(dataset.class_names)
    if native_size:  # the model's transform resizes and crops each image itself: read them as they are
        labels = [names.index(os.path.relpath(file, path).split(os.sep)[0]) for file in dataset.file_paths]
        dataset = tf.data.Dataset.from_tensor_slices((list(dataset.file_paths), labels)).map(lambda file, label: (
            tf.io.decode_image(tf.io.read_file(file), 1 if channels == 1 else 3, expand_animations=False), label))
    return Examples(dataset, num_classes=len(names), class_names=names, trusted_labels=True)


def _check_image_files(paths: list[str]) -> None:
    """Decode every file once (in parallel), so a corrupt one is named now, not met mid-training."""
    def decodes(index, path):
        image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
        return index, tf.shape(image)[0]

    indexed = tf.data.Dataset.from_tensor_slices((tf.range(len(paths), dtype=tf.int64), tf.constant(paths, tf.string)))
    readable = indexed.map(decodes, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors()
    good = {int(index) for index, _ in readable}
    bad = [path for index, path in enumerate(paths) if index not in good]
    if bad:
        raise ValueError(
            f"{len(bad)} of {len(paths)} image files cannot be decoded (corrupt, empty, truncated or not an image): "
            f"{', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}. Remove or replace them."
        )


# How long a TFDS download may take to find the network before zoo calls it offline.
PROBE_SECONDS = 3.0
# TFDS's own bucket, where most datasets (or their sources) are downloaded from.
PROBE_URL = "https://storage.googleapis.com"


def _network_reachable() -> str | None:
    """None when a TFDS download could reach its host (or the configured proxy); else why not, within seconds."""
    proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    target = urlparse(proxy if proxy else PROBE_URL)
    host, port = target.hostname, target.port or (443 if target.scheme == "https" else 80)
    outcome: list[str | None] = []

    def connect():  # in a thread: a silent DNS server is not bounded by the socket timeout
        try:
            socket.create_connection((host, port), timeout=PROBE_SECONDS).close()
            outcome.append(None)
        except OSError as error:
            outcome.append(f"cannot reach {host}:{port}: {error}")

    probe = threading.Thread(target=connect, daemon=True)
    probe.start()
    probe.join(PROBE_SECONDS + 0.5)
    return outcome[0] if outcome else f"no answer from {host}:{port} within {PROBE_SECONDS:g} s"


def _from_tfds(name: str) -> tuple[tf.data.Dataset, Any]:
    """A TFDS split from the TFDS data dir (``TFDS_DATA_DIR`` or ~/tensorflow_datasets); downloaded
    first only when it is not there and the network is."""
    try:
        # lazy: tensorflow_datasets takes seconds to import; only a TFDS name needs it
        import tensorflow_datasets as tfds
    except ImportError:
        raise ImportError(
            f"{name!r} is not a folder; to read it as a TFDS name, pip install tensorflow-datasets."
        ) from None

    dataset_name, _, split = name.partition(":")
    # Read now, as tfds itself reads it only once, at import.
    data_dir = os.environ.get("TFDS_DATA_DIR") or os.path.join(os.path.expanduser("~"), "tensorflow_datasets")
    try:
        builder = tfds.builder(dataset_name, data_dir=data_dir, try_gcs=False)
    except tfds.core.registered.DatasetNotFoundError:
        raise ValueError(
            f"{name!r} is neither an image folder nor a TFDS dataset name (tensorflow_datasets has no "
            f"{dataset_name!r}). Pass a folder of class sub-folders, (images, labels) arrays, a tf.data.Dataset, "
            "or a TFDS name such as 'mnist:train'."
        ) from None
    if not builder.is_prepared():
        unreachable = _network_reachable()
        if unreachable:
            raise FileNotFoundError(
                f"TFDS dataset {dataset_name!r} is not prepared in the TFDS data dir {data_dir} and cannot be "
                f"downloaded: offline ({unreachable}). Run tfds.load({dataset_name!r}) once on a connected machine, "
                f"then copy its {dataset_name}/ folder from that machine's TFDS data dir into {data_dir} (or point "
                "TFDS_DATA_DIR at a copy); or pass the data itself: a tf.data.Dataset, (images, labels) arrays "
                "or an image folder."
            )
        builder.download_and_prepare()
    return builder.as_dataset(split=split or "train"), builder.info


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


# A dataset's float images are checked on its first few only: cheap, and enough to catch
# a pipeline that scales pixels to [0, 1].
PEEK_IMAGES = 32


def _from_dataset(dataset: tf.data.Dataset, info: Any = None, check_pixels=None) -> Examples:
    num_classes, names = _info_classes(info)
    examples = Examples(_as_pairs(dataset), num_classes, names, trusted_labels=num_classes is not None)
    if check_pixels and examples.dataset.element_spec[0].dtype.is_floating:  # integers: nothing to check
        first = [np.ravel(image) for image, _ in examples.dataset.take(PEEK_IMAGES).as_numpy_iterator()]
        if first:
            check_pixels(np.concatenate(first))
    return examples


def to_examples(data: Any, image_shape: Sequence[int | None], check_pixels=None,
                what: str = "training data", native_size: bool = False) -> Examples:
    """Normalise any accepted input to unbatched raw examples (see the module doc).

    ``check_pixels(images) -> numpy images`` (e.g. ``zoo.preprocessing.checked_pixels`` for the
    model) refuses or warns about images before any graph runs: all of an array, a dataset's first few.
    """
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        if os.path.isdir(path):
            return _from_folder(path, image_shape, native_size)
        if os.path.sep in path or os.path.exists(path):
            raise ValueError(f"{path!r} is not a folder of class sub-folders.")
        return _from_dataset(*_from_tfds(path), check_pixels=check_pixels)
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], tf.data.Dataset):
        return _from_dataset(*data, check_pixels=check_pixels)
    if isinstance(data, tf.data.Dataset):
        return _from_dataset(data, check_pixels=check_pixels)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        images = check_pixels(data[0]) if check_pixels else np.asarray(data[0])
        labels = np.asarray(data[1])
        if images.ndim == 0 or labels.ndim == 0:
            raise ValueError(f"(images, labels) must be two arrays with one entry per image; got shapes "
                             f"{images.shape} and {labels.shape}.")
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels.")
        largest = None
        if labels.ndim == 1 or labels.ndim == 2 and labels.shape[1] == 1:  # class ids: check them all now
            largest = _checked_class_ids(labels.reshape(-1), what)
        return Examples(tf.data.Dataset.from_tensor_slices((images, labels)), count=len(images), largest=largest)
    raise TypeError(
        "data must be a tf.data.Dataset, (images, labels) arrays, a (dataset, tfds_info) pair, "
        f"an image folder or a TFDS name; got {type(data).__name__}."
    )


WHAT_LABELS_ARE = "labels must be class ids: whole numbers 0, 1, 2, ... (one per image), or one-hot rows"


def _refuse_label_type(kind: str, example: Any = None) -> None:
    shown = f" (e.g. {example!r})" if example is not None else ""
    raise TypeError(
        f"{WHAT_LABELS_ARE}; got {kind} labels{shown}. Map class names to ids first "
        "(ids = [names.index(label) for label in labels]), or use an image folder with one sub-folder per class."
    )


def _checked_class_ids(labels: np.ndarray, what: str) -> tuple[float, str]:
    """Refuse class ids that are not numbers, fractional or negative; the largest and where it is."""
    if labels.dtype.kind not in "biuf":
        kind = "string" if labels.dtype.kind in "US" else f"{labels.dtype} (not numbers)"
        _refuse_label_type(kind, labels[0].item() if len(labels) else None)
    values = labels.astype("float64")
    bad = ~np.isfinite(values) | (values < 0) | (values != np.floor(values))
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(f"labels[{index}] of the {what} is {labels[index].item()!r}: {WHAT_LABELS_ARE}.")
    if not len(values):
        return -1.0, "labels"
    index = int(np.argmax(values))
    return float(values[index]), f"labels[{index}]"


def _check_labels(examples: Examples) -> None:
    label_spec = examples.dataset.element_spec[1]
    if label_spec.dtype == tf.string or not (label_spec.dtype.is_integer or label_spec.dtype.is_floating
                                             or label_spec.dtype == tf.bool):
        _refuse_label_type("string" if label_spec.dtype == tf.string else label_spec.dtype.name)
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


def _scan(examples: Examples, what: str) -> None:
    """Count the examples and check their class ids (and find the largest), in one pass.

    The pass reads the whole dataset, so it runs only when it must: a known
    cardinality gives the count for free, and labels already checked (arrays),
    vouched for by metadata (folders, TFDS) or one-hot need no reading.
    """
    cardinality = int(examples.dataset.cardinality())
    if cardinality >= 0:
        examples.count = cardinality
    check_ids = not (examples.one_hot or examples.trusted_labels or examples.largest is not None)
    if cardinality == tf.data.INFINITE_CARDINALITY or (cardinality >= 0 and not check_ids):
        return
    one_hot = examples.one_hot
    labels = examples.dataset.map(
        lambda x, y: tf.cast(tf.argmax(y) if one_hot else y, tf.float64)
    )

    def step(state, label):
        count, largest, largest_at, bad_at, bad_value = state
        bad = tf.logical_and(bad_at < 0, tf.logical_or(
            tf.logical_not(tf.math.is_finite(label)), tf.logical_or(label < 0, label != tf.floor(label))))
        return (count + 1,
                tf.maximum(largest, label),
                tf.where(label > largest, count, largest_at),
                tf.where(bad, count, bad_at),
                tf.where(bad, label, bad_value))

    start = (tf.constant(0, tf.int64), tf.constant(-1, tf.float64), tf.constant(-1, tf.int64),
             tf.constant(-1, tf.int64), tf.constant(0, tf.float64))
    count, largest, largest_at, bad_at, bad_value = labels.reduce(start, step)
    if int(bad_at) >= 0:
        raise ValueError(
            f"the label of example {int(bad_at)} of the {what} is {float(bad_value):g}: {WHAT_LABELS_ARE}."
        )
    examples.count = int(count)
    if not one_hot:
        examples.largest = (float(largest), f"example {int(largest_at)}")
    # Tell tf.data (and so Keras' progress bars and epoch ends) the size it could not know.
    examples.dataset = examples.dataset.apply(tf.data.experimental.assert_cardinality(examples.count))


def prepare(data: Any, image_shape, *, num_classes: int | None = None, what: str = "training data",
            check_pixels=None, native_size: bool = False) -> Examples:
    """``to_examples`` + label checks + class count (given, one-hot width, TFDS info, folders, or the largest id)."""
    examples = to_examples(data, image_shape, check_pixels, what, native_size)
    if num_classes is not None:
        if examples.num_classes not in (None, num_classes) and examples.class_names is not None:
            raise ValueError(f"num_classes={num_classes}, but the {what} has {examples.num_classes} classes.")
        examples.num_classes = num_classes
    _check_labels(examples)
    _scan(examples, what)
    if examples.count == 0:
        raise ValueError(f"the {what} is empty: no (image, label) examples to train on.")
    if examples.num_classes is None:
        if examples.largest is None:
            raise ValueError(
                f"cannot infer the number of classes of the {what} (it is infinite or unsized); pass num_classes=N."
            )
        examples.num_classes, examples.inferred = int(examples.largest[0]) + 1, True
    elif examples.largest is not None and examples.largest[0] >= examples.num_classes:
        value, where = examples.largest
        raise ValueError(
            f"{where} of the {what} is class {value:g}, but there are {examples.num_classes} classes: labels must be "
            f"0 to {examples.num_classes - 1}. Pass num_classes={int(value) + 1} (or more) for a new head, "
            "or fix the labels."
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
    transform=None,
    reorder=None,
) -> tf.data.Dataset:
    """Preprocess once (cached in memory when it fits), then shuffle, batch, augment and prefetch.

    ``transform`` (a ``zoo.transforms.ImageTransform``: ``model.transform``) replaces the plain resize by
    the weights' resize and crop; then "crop" augmentation is a random resized crop of each raw image,
    new every epoch (so not cached), and the shuffle comes first. ``reorder(examples, cached)`` replaces the shuffle.
    """
    kind = augmentation_kind(augment) if training and augment else None
    random_crops = bool(kind and "crop" in kind and transform is not None and transform.published is not None)

    def prepare_example(image, label):
        # No tf.debugging.assert_* on labels here: in a tf.data map over a TFDS dataset they
        # corrupt memory under Model.fit (TF 2.21). prepare() checked the labels before.
        label = tf.argmax(label, output_type=tf.int32) if examples.one_hot else tf.cast(label, tf.int32)
        if random_crops:
            return image, label
        return (transform(image) if transform is not None
                else preprocessing.prepare_images(image, image_shape, preprocessing_name)), label

    dataset = examples.dataset.map(prepare_example, num_parallel_calls=tf.data.AUTOTUNE)
    height, width, channels = image_shape
    cached = examples.count and height and examples.count * height * width * channels * 4 <= CACHE_BUDGET_BYTES
    if cached and not random_crops:
        dataset = dataset.cache()
    if reorder is not None:
        dataset = reorder(dataset, bool(cached and not random_crops))
    elif training and shuffle:
        dataset = dataset.shuffle(min(examples.count or 10_000, 10_000), seed=seed, reshuffle_each_iteration=True)
    if random_crops:
        dataset = transform.random_crops(dataset, flip="flip" in kind, seed=seed)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if kind and not random_crops:
        layer = augmentation(kind, seed)
        dataset = dataset.map(lambda x, y: (layer(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)

