"""Neural style transfer (Gatys, Ecker & Bethge 2015): scikit-learn's China photo painted as its flower photo.

    python examples/style_transfer.py [--size 256] [--steps 300] [--out style_transfer.png]
    python examples/style_transfer.py --random-backbone --size 64 --steps 20   # offline: mechanics only

By default it uses VGG19 with its ImageNet weights (keras.applications', downloaded on first use: a connected
machine) and the paper's layers. ``--random-backbone`` uses a small random-weight ResNet-18 instead, which
needs no download: the losses fall and the run writes its figure, but random features carry no style, so the
picture is no painting. The figure shows the content, the style and the result side by side.
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import zoo
from zoo import plots


def sample_photos(size: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two sample photos (china.jpg: content, flower.jpg: style), 427x640, scaled to ``size`` rows."""
    # lazy: scikit-learn is the demo extra, needed only for the photos
    from sklearn.datasets import load_sample_images
    from PIL import Image  # lazy: see above (Pillow comes with matplotlib)

    china, flower = load_sample_images().images
    width = round(size * china.shape[1] / china.shape[0])
    return (np.asarray(Image.fromarray(china).resize((width, size), Image.BILINEAR), "float32"),
            np.asarray(Image.fromarray(flower).resize((width, size), Image.BILINEAR), "float32"))


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="rows of the content image (aspect kept)")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--style-weight", type=float, default=1e-2)
    parser.add_argument("--random-backbone", action="store_true", help="a random-weight ResNet-18: runs offline")
    parser.add_argument("--out", default="style_transfer.png")
    parser.add_argument("--frames", default=None, help="a folder for intermediate PNGs (every steps/5 steps)")
    args = parser.parse_args(argv)
    content, style = sample_photos(args.size)
    backbone = "vgg19"
    if args.random_backbone:  # no ImageNet weights: a narrow ResNet-18 keeps the offline run fast
        backbone = zoo.create("resnet18", input_shape=content.shape, base_width=8, stem="cifar")
    image = zoo.style_transfer(content, style, backbone=backbone, steps=args.steps, style_weight=args.style_weight,
                               save_every=max(1, args.steps // 5) if args.frames else None, out_dir=args.frames,
                               verbose=1)
    figure, axes = plots.subplots(ncols=3, figsize=(12, 3.6))
    for axis, picture, title in zip(axes, (content, style, image), ("content", "style", "result")):
        axis.imshow(np.asarray(picture, "uint8"))
        axis.set_title(title)
        axis.axis("off")
    png = plots.save(figure, args.out)
    print(f"wrote {png}: {args.steps} steps on {'a random ResNet-18' if args.random_backbone else 'VGG19'}")
    return {"image": image, "content": content, "png": str(png)}


if __name__ == "__main__":
    main()
