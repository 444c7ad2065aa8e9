"""What happens to a user's pixels before a classifier's network sees them.

A weights entry's ``transform`` (``zoo.manifest.entry.Transform``: resize, then a centre crop, as
the weights' upstream evaluates them) and its named preprocessing, fitted to the network's input
size. ``ImageTransform`` applies them with TensorFlow ops, to a batch of equally sized images
(eagerly) or to one image of any size inside ``tf.data``; ``str()`` says in words what it does;
``random_crops`` is the matching training transform (a random resized crop and flip of each raw
image, as torchvision's and timm's ImageNet recipes train). Without a transform, images are resized
whole to the network's input size (bilinear), as zoo always did.

Also the augmentation layers for models without a transform (``augmentation``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import keras
import tensorflow as tf

from zoo import preprocessing
from zoo.manifest.entry import Transform

METHODS = {"bilinear": tf.image.ResizeMethod.BILINEAR, "bicubic": tf.image.ResizeMethod.BICUBIC,
           "nearest": tf.image.ResizeMethod.NEAREST_NEIGHBOR}
# torchvision's RandomResizedCrop defaults (timm's too): 8-100% of the image area, aspect ratio 3/4 to 4/3.
TRAIN_AREA = (0.08, 1.0)
TRAIN_ASPECT = (3 / 4, 4 / 3)
AUGMENTATIONS = ("crop", "flip", "crop+flip")


@dataclasses.dataclass(frozen=True)
class ImageTransform:
    """Raw pixels (0-255, any size, 1 or 3 channels) -> network input, for one model.

    >>> from zoo.manifest.entry import Transform
    >>> print(ImageTransform((224, 224, 3), "unit", Transform(resize=256, crop=224)))
    resize the shorter side to 256 (bilinear, antialiased), centre crop 224x224, then 'unit' preprocessing: x / 255
    """

    image_shape: tuple  # (height, width, channels) the network takes; None height/width: any size
    preprocessing: str
    published: Transform | None = None  # the weights' transform as the manifest gives it

    @property
    def crop_size(self) -> tuple[int, int] | None:
        """(height, width) of the centre crop: the network's input size (the published crop when the
        network takes any size); None without a transform."""
        if self.published is None:
            return None
        height, width = self.image_shape[:2]
        return (self.published.crop,) * 2 if height is None or width is None else (height, width)

    def _resized(self, side: int) -> int:
        """The resized length around a crop of ``side`` pixels: the published resize / crop ratio kept,
        rounded down (timm's ``floor(input / crop_pct)``), so a network at another input size sees the same view."""
        return side * self.published.resize // self.published.crop

    @property
    def resize_size(self) -> int | tuple[int, int] | None:
        """The shorter side's new length (``resize_mode="shorter_side"``), the (height, width) the whole
        image is resized to (``"squash"``, and without a transform), or None (any size, no transform)."""
        if self.published is None:
            return None if self.image_shape[0] is None else tuple(self.image_shape[:2])
        height, width = self.crop_size
        if self.published.resize_mode == "squash":
            return self._resized(height), self._resized(width)
        return self._resized(max(height, width))

    def __str__(self) -> str:
        done = f"then {self.preprocessing!r} preprocessing: {preprocessing.DESCRIPTIONS[self.preprocessing]}"
        if self.published is None:
            size = self.resize_size
            return (f"resize the whole image to {size[0]}x{size[1]} (bilinear), {done}" if size
                    else f"no resize (the network takes any size), {done}")
        how = self.published.interpolation + (", antialiased" if self.published.antialias
                                              and self.published.interpolation != "nearest" else "")
        size = self.resize_size
        resize = (f"resize the whole image to {size[0]}x{size[1]}" if isinstance(size, tuple)
                  else f"resize the shorter side to {size}")
        height, width = self.crop_size
        crop = "" if isinstance(size, tuple) and size == (height, width) else f", centre crop {height}x{width}"
        return f"{resize} ({how}){crop}, {done}"

    def __call__(self, images, *, model: str = "model"):
        """Raw images (one, or a batch of equally sized ones) -> network input."""
        resize = self.resize_and_crop if self.published is not None else None
        return preprocessing.prepare_images(images, self.image_shape, self.preprocessing, model=model, resize=resize)

    def resize_and_crop(self, x):
        """Float images ``(h, w, c)`` or ``(n, h, w, c)`` -> resized as published, centre-cropped to ``crop_size``."""
        published, (crop_height, crop_width) = self.published, self.crop_size
        shape = tf.shape(x)
        height, width = shape[-3], shape[-2]
        size = self.resize_size
        if isinstance(size, tuple):
            new_height, new_width = size
        else:  # torchvision's rule: the shorter side becomes `size`, the longer size * long / short, truncated
            new_height = tf.where(width <= height, size * height // width, size)
            new_width = tf.where(width <= height, size, size * width // height)
        x = tf.image.resize(x, tf.stack([new_height, new_width]), method=METHODS[published.interpolation],
                            antialias=published.antialias)
        # torchvision's centre: round((resized - crop) / 2), Python's round; tf.round also rounds half to even.
        top = tf.cast(tf.round(tf.cast(new_height - crop_height, tf.float64) / 2), tf.int32)
        left = tf.cast(tf.round(tf.cast(new_width - crop_width, tf.float64) / 2), tf.int32)
        return tf.image.crop_to_bounding_box(x, top, left, crop_height, crop_width)

    def random_crop(self, image, seed, *, flip: bool):
        """One raw image -> a random resized crop at ``crop_size`` (flipped left-right half the time when
        ``flip``), preprocessed. ``seed``: a shape-[2] integer tensor (stateless random ops)."""
        def crop(x):
            begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
                tf.shape(x), tf.zeros([1, 0, 4]), seed=seed, min_object_covered=0.0, aspect_ratio_range=TRAIN_ASPECT,
                area_range=TRAIN_AREA, max_attempts=10, use_image_if_no_bounding_boxes=True)
            x = tf.image.resize(tf.slice(x, begin, size), self.crop_size, method=METHODS[self.published.interpolation],
                                antialias=self.published.antialias)
            return tf.image.stateless_random_flip_left_right(x, seed=seed[::-1]) if flip else x

        return preprocessing.prepare_images(image, self.image_shape, self.preprocessing, resize=crop)

    def random_crops(self, dataset: tf.data.Dataset, *, flip: bool, seed: int) -> tf.data.Dataset:
        """Raw (image, label) examples -> (random resized crop, label): new crops every epoch, the same
        sequence for the same ``seed``."""
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        return tf.data.Dataset.zip((dataset, seeds)).map(
            lambda example, pair: (self.random_crop(example[0], pair, flip=flip), example[1]),
            num_parallel_calls=tf.data.AUTOTUNE)


def augmentation_kind(kind: Any) -> str:
    """``augment`` as one of AUGMENTATIONS (True means "crop+flip"); anything else is refused."""
    if kind is True:
        kind = "crop+flip"
    if kind not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {AUGMENTATIONS} (or True/None); got {kind!r}.")
    return kind


def augmentation(kind: Any, seed: int):
    """Random crop (a shift by up to 1/8 of the size, reflected at the borders, which is
    pad-and-crop without the padding) and/or horizontal flip, as Keras layers, for batches of
    network inputs (models without a transform, and "flip" alone)."""
    kind = augmentation_kind(kind)
    steps = []
    if "crop" in kind:
        steps.append(keras.layers.RandomTranslation(0.125, 0.125, fill_mode="reflect", seed=seed))
    if "flip" in kind:
        steps.append(keras.layers.RandomFlip("horizontal", seed=seed))
    return keras.Sequential(steps)
