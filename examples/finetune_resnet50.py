"""Fine-tune ImageNet ResNet-50 on TFDS tf_flowers: the path a user runs on a connected machine.

    python examples/finetune_resnet50.py [--dataset tf_flowers] [--epochs 6] [--image-size 224]

Downloads keras.applications' ResNet-50 weights (verified, cached) and the
dataset, fine-tunes with the default two-phase recipe and random-crop/flip
augmentation, reports held-out accuracy and saves `resnet50_flowers.keras`.
Interrupted? Run the same command again: it resumes from `--checkpoint-dir`.
The test suite runs `main()` with tiny shapes against a local weights mirror.
"""

from __future__ import annotations

import argparse
from typing import Any, Sequence

import zoo


def main(argv: Sequence[str] | None = None, *, train_data: Any = None, validation_data: Any = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--dataset", default="tf_flowers")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--checkpoint-dir", default="checkpoints/resnet50_flowers")
    parser.add_argument("--out", default="resnet50_flowers.keras")
    parser.add_argument("--num-classes", type=int, default=None,
                        help="the task's classes (TFDS data says so itself; bare arrays of labels do not)")
    args = parser.parse_args(argv)

    if train_data is None:
        import tensorflow_datasets as tfds

        # tf_flowers has a single split: hold out the last 20% for validation.
        train_split, info = tfds.load(args.dataset, split="train[:80%]", with_info=True)
        train_data = (train_split, info)
        validation_data = (tfds.load(args.dataset, split="train[80%:]"), info)

    model = zoo.load(args.model, input_shape=(args.image_size, args.image_size, 3))
    history = model.finetune(
        train_data,
        validation_data=validation_data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        augment="crop+flip",
        checkpoint_dir=args.checkpoint_dir,
        num_classes=args.num_classes,
    )
    model.save(args.out)
    result = {key: values[-1] for key, values in history.history.items()}
    print(f"{args.model} fine-tuned on {args.dataset}: {result}; saved {args.out}")
    return result


if __name__ == "__main__":
    main()
