"""What VGG sees: the maps after each of its five max pools, for one image, as a PNG.

Loads ``vgg16`` (keras.applications' ImageNet weights, fetched and verified on first use) as a
backbone (``features_only=True``: ``block1_pool`` ... ``block5_pool``) and draws the most active
channels of each stage. Offline, ``--weights none`` uses random weights (the mechanics, not the
picture). Without ``--image`` a generated scene (a bright disc and stripes) stands in.

    python examples/vgg_feature_maps.py [--image photo.jpg] [--model vgg16] [--weights keras_in1k|none]
                                        [--size 224] [--channels 6] [--out vgg_feature_maps.png]
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import zoo
from zoo import plots


def generated_scene(size: int) -> np.ndarray:
    """0-255 RGB: a disc on diagonal stripes, something with edges and blobs at several scales."""
    y, x = np.mgrid[0:size, 0:size] / size
    stripes = 0.5 + 0.5 * np.sin(40 * (x + y))
    disc = ((x - 0.6) ** 2 + (y - 0.4) ** 2 < 0.05).astype("float32")
    image = np.stack([stripes * 0.6 + disc * 0.4, stripes * 0.3, disc], axis=-1)
    return (np.clip(image, 0, 1) * 255).astype("float32")


def read_image(path: str, size: int) -> np.ndarray:
    # lazy: only --image needs PIL
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB").resize((size, size)), dtype="float32")


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image")
    parser.add_argument("--model", default="vgg16")
    parser.add_argument("--weights", default="keras_in1k", help="a weights tag, or 'none' for random weights")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--channels", type=int, default=6, help="channels drawn per stage")
    parser.add_argument("--out", default="vgg_feature_maps.png")
    args = parser.parse_args(argv)

    weights = None if args.weights == "none" else args.weights
    backbone = zoo.load(args.model, weights=weights, input_shape=(args.size, args.size, 3), features_only=True)
    image = read_image(args.image, args.size) if args.image else generated_scene(args.size)
    maps = backbone.feature_maps(image[None])  # raw pixels: the backbone preprocesses as its weights need

    figure, axes = plots.subplots(nrows=len(maps), ncols=args.channels + 1,
                                  figsize=(1.6 * (args.channels + 1), 1.6 * len(maps)))
    for row, (feature_map, info) in zip(axes, zip(maps, backbone.feature_info)):
        row[0].imshow(image.astype("uint8"))
        row[0].set_title(f"{info['layer']}\n{feature_map.shape[1]}x{feature_map.shape[2]}x{info['channels']}",
                         fontsize=7)
        strongest = np.argsort(feature_map[0].mean(axis=(0, 1)))[::-1][:args.channels]
        for axis, channel in zip(row[1:], strongest):
            axis.imshow(feature_map[0, :, :, channel], cmap="viridis")
            axis.set_title(f"channel {channel}", fontsize=7)
        for axis in row:
            axis.axis("off")
    png = plots.save(figure, args.out)
    for feature_map, info in zip(maps, backbone.feature_info):
        print(f"{info['layer']}: {tuple(feature_map.shape[1:])}, reduction {info['reduction']}")
    print(f"wrote {png}")
    return {"shapes": [tuple(m.shape) for m in maps], "png": str(png)}


if __name__ == "__main__":
    main()
