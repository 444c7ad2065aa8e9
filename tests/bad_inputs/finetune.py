"""Bad ``finetune`` calls on ``resnet18.mnist``: options, labels, images, folders, TFDS names.

Every call is refused before anything trains, so the shared classifier is never changed.
"""

from __future__ import annotations

import numpy as np

from tests.bad_inputs import Case

import zoo

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (6, 28, 28, 1)).astype("uint8")
LABELS = np.array([0, 1, 2, 3, 4, 5])


def finetune(ctx, data=None, **options):
    options.setdefault("verbose", 0)
    return ctx.classifier.finetune((IMAGES, LABELS) if data is None else data, **options)


def dataset(labels, images=IMAGES, *, unsized=False):
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((images, labels))
    return data.filter(lambda x, y: True) if unsized else data  # filter: a dataset of unknown size


def with_labels(*labels):
    return IMAGES[: len(labels)], np.array(labels)


def folder_with_a_corrupt_file(ctx):
    from PIL import Image

    root = ctx.tmp / "folder-with-a-corrupt-file"
    for label in ("three", "seven"):
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(2):
            Image.fromarray(IMAGES[index, :, :, 0]).save(root / label / f"{index}.png")
    (root / "seven" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return str(root)


def nan_pixels():
    images = IMAGES.astype("float32")
    images[1, 5, 5, 0] = np.nan
    return images, LABELS


def warns_then_refused(call):
    """A call that must warn and is then refused for its (deliberately) bad labels: nothing trains."""
    def run(ctx):
        try:
            call(ctx)
        except ValueError as error:
            assert "labels" in str(error) or "example" in str(error), error
            return
        raise AssertionError("the call was not refused")

    return run


def fresh_classifier():
    return zoo.create("resnet18", input_shape=(16, 16, 1), base_width=4, stem="cifar", num_classes=3)


MODEL = ("classifier",)

CASES = [
    # --- labels given as arrays: checked up front, named by index --------------------------------------
    Case("finetune-label-beyond-num-classes", lambda ctx: finetune(ctx, with_labels(0, 1, 10), num_classes=10),
         ValueError, ("labels[2]", "class 10", "10 classes", "0 to 9"), 3, MODEL),
    Case("finetune-label-negative", lambda ctx: finetune(ctx, with_labels(0, 1, -1, 2)),
         ValueError, ("labels[2]", "-1", "whole numbers 0, 1, 2"), 3, MODEL),
    Case("finetune-label-fractional", lambda ctx: finetune(ctx, with_labels(0, 2.5, 1)),
         ValueError, ("labels[1]", "2.5", "whole numbers"), 3, MODEL),
    Case("finetune-label-nan", lambda ctx: finetune(ctx, with_labels(0, 1, np.nan)),
         ValueError, ("labels[2]", "nan", "class ids"), 3, MODEL),
    Case("finetune-label-strings", lambda ctx: finetune(ctx, (IMAGES[:3], np.array(["cat", "dog", "cat"]))),
         TypeError, ("string labels", "'cat'", "class ids", "sub-folder per class"), 3, MODEL),
    Case("finetune-label-scalar", lambda ctx: finetune(ctx, (IMAGES, 3)),
         ValueError, ("one entry per image", "()"), 3, MODEL),
    # --- labels in a tf.data.Dataset: checked by the pass that counts the examples -------------------------
    Case("finetune-dataset-label-beyond-num-classes",
         lambda ctx: finetune(ctx, dataset(np.array([0, 1, 2, 12, 4, 5])), num_classes=10),
         ValueError, ("example 3", "class 12", "0 to 9"), 5, MODEL),
    Case("finetune-dataset-label-negative",
         lambda ctx: finetune(ctx, dataset(np.array([0, 1, 2, 3, -4, 5]), unsized=True)),
         ValueError, ("example 4", "-4", "whole numbers"), 5, MODEL),
    Case("finetune-dataset-label-fractional", lambda ctx: finetune(ctx, dataset(np.array([0, 1.5, 2, 3, 4, 5]))),
         ValueError, ("example 1", "1.5", "whole numbers"), 5, MODEL),
    Case("finetune-dataset-string-labels", lambda ctx: finetune(ctx, dataset(np.array(["a"] * 6))),
         TypeError, ("string labels", "class ids"), 5, MODEL),
    Case("finetune-validation-label-beyond-the-classes",
         lambda ctx: finetune(ctx, validation_data=with_labels(0, 11), epochs=1),
         ValueError, ("validation data", "labels[1]", "class 11", "0 to 9"), 5, MODEL),
    # --- options ------------------------------------------------------------------------------------
    Case("finetune-epochs-zero", lambda ctx: finetune(ctx, epochs=0),
         ValueError, ("epochs", ">= 1", "got 0"), 2, MODEL),
    Case("finetune-epochs-negative", lambda ctx: finetune(ctx, epochs=-2),
         ValueError, ("epochs", ">= 1", "-2"), 2, MODEL),
    Case("finetune-epochs-pair-trains-nothing", lambda ctx: finetune(ctx, epochs=(0, 0)),
         ValueError, ("epochs=(0, 0)", "trains nothing", "(1, 0)"), 2, MODEL),
    Case("finetune-epochs-not-a-number", lambda ctx: finetune(ctx, epochs="3"),
         TypeError, ("epochs", "'3'", "(head, full)"), 2, MODEL),
    Case("finetune-batch-size-zero", lambda ctx: finetune(ctx, batch_size=0),
         ValueError, ("batch_size", ">= 1", "got 0"), 2, MODEL),
    Case("finetune-batch-size-fractional", lambda ctx: finetune(ctx, batch_size=8.5),
         TypeError, ("batch_size", "whole number", "8.5"), 2, MODEL),
    Case("finetune-learning-rate-zero", lambda ctx: finetune(ctx, learning_rate=0),
         ValueError, ("learning_rate", "> 0", "got 0"), 2, MODEL),
    Case("finetune-learning-rate-negative", lambda ctx: finetune(ctx, learning_rate=-0.01),
         ValueError, ("learning_rate", "> 0", "-0.01"), 2, MODEL),
    Case("finetune-learning-rate-nan", lambda ctx: finetune(ctx, learning_rate=float("nan")),
         ValueError, ("learning_rate", "finite", "nan"), 2, MODEL),
    Case("finetune-learning-rate-not-a-number", lambda ctx: finetune(ctx, learning_rate="1e-3"),
         TypeError, ("learning_rate", "'1e-3'", "number"), 2, MODEL),
    Case("finetune-num-classes-one", lambda ctx: finetune(ctx, num_classes=1),
         ValueError, ("num_classes=1", "one class", "num_classes=2"), 2, MODEL),
    Case("finetune-num-classes-zero", lambda ctx: finetune(ctx, num_classes=0),
         ValueError, ("num_classes", ">= 2", "got 0"), 2, MODEL),
    Case("finetune-unfreeze-unknown", lambda ctx: finetune(ctx, unfreeze="most"),
         ValueError, ("unfreeze", "'all'", "'most'"), 2, MODEL),
    # --- images ------------------------------------------------------------------------------------
    Case("finetune-nan-pixels", lambda ctx: finetune(ctx, nan_pixels()),
         ValueError, ("NaN or infinite", "(1, 5, 5, 0)", "finite"), 3, MODEL),
    Case("finetune-images-not-numbers", lambda ctx: finetune(ctx, (np.array([["a"]] * 6), LABELS)),
         TypeError, ("images", "numbers", "0-255"), 3, MODEL),
    Case("finetune-corrupt-image-file", lambda ctx: finetune(ctx, folder_with_a_corrupt_file(ctx)),
         ValueError, ("broken.jpg", "cannot be decoded", "1 of 5"), 8, MODEL + ("tmp",)),
    Case("finetune-unknown-tfds-name", lambda ctx: finetune(ctx, "no_such_dataset_xyz:train"),
         ValueError, ("no_such_dataset_xyz", "neither an image folder nor a TFDS", "tf.data.Dataset"), 5, MODEL),
    Case("finetune-images-in-unit-range",
         warns_then_refused(lambda ctx: fresh_classifier().finetune((IMAGES / 255.0, np.array([0, 1, 2, 3, 4, 9])),
                                                                    num_classes=3, verbose=0)),
         None, ("[0, 1]", "0-255", "images * 255"), 8, warns=zoo.PixelRangeWarning),
    Case("finetune-dataset-images-in-unit-range",
         warns_then_refused(lambda ctx: fresh_classifier().finetune(
             dataset(np.array([0, 1, 2, 3, 4, 7]), images=(IMAGES / 255.0).astype("float32")), num_classes=3,
             verbose=0)),
         None, ("[0, 1]", "images * 255"), 8, warns=zoo.PixelRangeWarning),
]
