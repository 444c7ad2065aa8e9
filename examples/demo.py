"""The `make demo` job (until the bundled pretrained weights land, issue #4).

Builds a classifier by name, shows what zoo knows about it, and predicts on a
few images with random weights: the API tour, offline, in seconds.
"""

from __future__ import annotations

import numpy as np

import zoo


def main() -> None:
    info = zoo.info("resnet18")
    print(f"resnet18: {info['params']:,} parameters, default weights tag {info['default_weights']!r}")

    model = zoo.create("resnet18", num_classes=10, input_shape=(32, 32, 3), stem="cifar")
    images = np.random.default_rng(0).uniform(0, 1, size=(4, 32, 32, 3))
    top = model.predict_top_k(images, k=3)
    for index, (ids, scores) in enumerate(zip(top.ids, top.scores)):
        ranked = ", ".join(f"class {i} ({s:.3f})" for i, s in zip(ids, scores))
        print(f"image {index}: {ranked}")
    print(f"features: {model.features(images).shape}  (pooled backbone, for linear probes)")
    print("(random weights: the classes mean nothing until the model is trained)")


if __name__ == "__main__":
    main()
