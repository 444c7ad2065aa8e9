"""Neural style transfer (Gatys, Ecker & Bethge 2015): optimise an image's pixels so a classifier's features
match a content image's and its feature correlations (Gram matrices) match a style image's.

The pixels are optimised in the backbone's input convention, raw 0-255, through the weights' preprocessing
(``zoo.preprocessing``), so every zoo classifier works as it is. ``zoo.style_transfer`` is the public call.
"""

from __future__ import annotations

import contextlib
import fnmatch
import numbers
from pathlib import Path
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf
from PIL import Image  # Pillow comes with matplotlib; TensorFlow's import already loads it

from zoo import preprocessing as preprocessing_lib
from zoo.tasks import backbone as backbones

# Default layers per family, as shell patterns (a ``{n}`` entry stands for n = 1, 2, ... while a layer matches;
# other patterns pick the last matching layer), the same rules as ``FeatureStages``.
# vgg: the paper's choice (conv4_2 for content; conv1_1 .. conv5_1 for style) in keras.applications' names.
# alexnet: each conv's activation, content the fourth. Stage-based families: every stage output for style,
# the stage before the last for content (at VGG's conv4_2 reduction, 16, for resnet).
STYLE_LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "vgg": (("block5_conv2",), ("block{n}_conv1",)),
    "alexnet": (("conv4_relu",), ("conv{n}_relu",)),
    "resnet": (("conv4_block*_out",), ("conv1_relu", "conv2_block*_out", "conv3_block*_out", "conv4_block*_out",
                                       "conv5_block*_out")),
    "googlenet": (("inception4c_concat",), ("conv1_relu", "conv3_relu", "inception3b_concat", "inception4e_concat")),
    "nin": (("block3_mlp2",), ("block1_mlp2", "block2_mlp2", "block3_mlp2")),
    "lego": (("block{n}_*",), ("block{n}_*",)),  # content: the stage before the last (see default_layers)
}
INITS = ("content", "noise")


def resolve_patterns(names: Sequence[str], patterns: Sequence[str]) -> list[str]:
    """Layer names the patterns pick, in order, without repeats (unmatched patterns pick nothing)."""
    found: list[str] = []

    def last(pattern: str) -> str | None:
        matches = [name for name in names if fnmatch.fnmatchcase(name, pattern)]
        return matches[-1] if matches else None

    for pattern in patterns:
        picked = []
        if "{n}" in pattern:
            n = 1
            while (match := last(pattern.format(n=n))) is not None:
                picked.append(match)
                n += 1
        elif (match := last(pattern)) is not None:
            picked.append(match)
        found += [name for name in picked if name not in found]
    return found


def default_layers(network: keras.Model, family: str, stages: Sequence[str]) -> tuple[list[str], list[str]]:
    """(content layers, style layers) for a family: its ``STYLE_LAYERS`` entry, else its feature stages."""
    names = [layer.name for layer in network.layers]
    content_patterns, style_patterns = STYLE_LAYERS.get(family, (None, tuple(stages)))
    style = resolve_patterns(names, style_patterns)
    if content_patterns is None or content_patterns == style_patterns:  # the stage before the last
        stage_names = style
        content = [stage_names[-2] if len(stage_names) > 1 else stage_names[-1]]
    else:
        content = resolve_patterns(names, content_patterns)
    return content, style


def map_layers(network: keras.Model) -> list[str]:
    """The layers whose output is a feature map (batch, height, width, channels): what may be asked for."""
    return [layer.name for layer in network.layers
            if not isinstance(layer, keras.layers.InputLayer) and len(layer.output.shape) == 4]


def checked_layers(given: Any, argument: str, available: Sequence[str], default: list[str]) -> list[str]:
    """``given`` (None, one name or a list of names) as a list of the network's map layers."""
    if given is None:
        return default
    names = [given] if isinstance(given, str) else given
    if not isinstance(names, (list, tuple)) or not all(isinstance(name, str) for name in names):
        raise TypeError(f"style_transfer: {argument} must be a layer name or a list of layer names; got {given!r}.")
    if not names:
        raise ValueError(f"style_transfer: {argument} is empty; name at least one layer, or None for the defaults "
                         f"({', '.join(default)}).")
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(f"style_transfer: {argument} names {unknown}, not feature-map layers of this backbone; "
                         f"available: {', '.join(available)}.")
    return list(dict.fromkeys(names))


# --- the losses --------------------------------------------------------------------------------------------


def gram_matrix(features) -> tf.Tensor:
    """Channel correlations of (batch, height, width, channels) maps, divided by the positions (height * width):
    ``G[b, c, d] = sum_ij F[b, i, j, c] F[b, i, j, d] / (height * width)``."""
    features = tf.convert_to_tensor(features, tf.float32)
    positions = tf.cast(tf.shape(features)[1] * tf.shape(features)[2], tf.float32)
    return tf.einsum("bijc,bijd->bcd", features, features) / positions


def content_loss(features: Sequence[tf.Tensor], targets: Sequence[tf.Tensor]) -> tf.Tensor:
    """Mean over layers of the mean squared difference of the maps."""
    return tf.add_n([tf.reduce_mean(tf.square(f - t)) for f, t in zip(features, targets)]) / len(features)


def style_loss(features: Sequence[tf.Tensor], target_grams: Sequence[tf.Tensor]) -> tf.Tensor:
    """Mean over layers of the mean squared difference of the Gram matrices (Gatys et al.'s E_l times 4,
    weighted equally, w_l = 1 / layers)."""
    return tf.add_n([tf.reduce_mean(tf.square(gram_matrix(f) - g)) for f, g in zip(features, target_grams)]) \
        / len(features)


def total_variation(image: tf.Tensor) -> tf.Tensor:
    """Mean absolute difference between neighbouring pixels (0-255 units), across rows and columns."""
    return (tf.reduce_mean(tf.abs(image[:, 1:] - image[:, :-1]))
            + tf.reduce_mean(tf.abs(image[:, :, 1:] - image[:, :, :-1])))


# --- the images and arguments ------------------------------------------------------------------------------


def read_image(image: Any, argument: str) -> np.ndarray:
    """A path or an array as float32 (height, width, 1 or 3) pixels 0-255, refused before any graph runs."""
    if isinstance(image, (str, Path)):
        path = Path(image)
        if not path.is_file():
            raise FileNotFoundError(f"style_transfer: {argument} file {str(path)!r} does not exist.")
        try:
            with Image.open(path) as opened:
                image = np.asarray(opened.convert("L" if opened.mode in ("L", "1", "I;16") else "RGB"))
        except OSError as error:
            raise ValueError(f"style_transfer: {argument} file {str(path)!r} is not an image Pillow can read "
                             f"({error}).") from None
    pixels = preprocessing_lib.checked_pixels(image, None, name="style_transfer", argument=argument)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.ndim != 3 or pixels.shape[-1] not in (1, 3):
        raise ValueError(f"style_transfer: {argument} must be one image, (height, width) grey or (height, width, 3) "
                         f"RGB raw pixels 0-255; got shape {np.shape(image)}. Drop an alpha channel with "
                         f"image[..., :3]; pass one image, not a batch.")
    if pixels.size == 0:
        raise ValueError(f"style_transfer: {argument} is empty (shape {pixels.shape}).")
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"style_transfer: {argument} has pixels outside 0-255 (from {pixels.min()} to "
                         f"{pixels.max()}); give raw pixels as image files hold them.")
    return pixels.astype("float32")


def checked_number(value: Any, argument: str, *, positive: bool = False) -> float:
    """A finite real number >= 0 (> 0 when ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) \
            or value < 0 or (positive and value == 0):
        wanted = "a finite number > 0" if positive else "a finite number >= 0"
        raise ValueError(f"style_transfer: {argument} must be {wanted}; got {value!r}.")
    return float(value)


def checked_options(steps: Any, learning_rate: Any, weights: dict[str, Any], init: Any, save_every: Any,
                    out_dir: Any, seed: Any) -> dict[str, Any]:
    """The run's numbers and options, checked; refused with a message saying what to give instead."""
    options = {"steps": preprocessing_lib.whole_number(steps, "steps", name="style_transfer", minimum=0),
               "learning_rate": checked_number(learning_rate, "learning_rate", positive=True),
               "seed": preprocessing_lib.whole_number(seed, "seed", name="style_transfer", minimum=0)}
    options.update({name: checked_number(value, name) for name, value in weights.items()})
    if not any(options[name] for name in weights):
        raise ValueError("style_transfer: content_weight, style_weight and tv_weight are all 0, so there is nothing "
                         "to optimise; give at least one a positive weight.")
    if init not in INITS:
        raise ValueError(f"style_transfer: init must be one of {INITS} (the start image); got {init!r}.")
    if save_every is not None:
        save_every = preprocessing_lib.whole_number(save_every, "save_every", name="style_transfer")
        if out_dir is None:
            raise ValueError("style_transfer: save_every needs out_dir, the folder the intermediate PNGs go to.")
    if out_dir is not None and not isinstance(out_dir, (str, Path)):
        raise TypeError(f"style_transfer: out_dir must be a folder path; got {out_dir!r}.")
    return dict(options, init=init, save_every=save_every, out_dir=None if out_dir is None else Path(out_dir))


def check_backbone_sizes(spec: Any, content: np.ndarray, style: np.ndarray) -> None:
    """Both images must be at least the architecture's smallest input."""
    for argument, image in (("content", content), ("style", style)):
        if min(image.shape[:2]) < spec.min_input_size:
            raise ValueError(f"style_transfer: {spec.name} needs images of at least {spec.min_input_size}x"
                             f"{spec.min_input_size} pixels; {argument} is {image.shape[0]}x{image.shape[1]}.")


def backbone_names() -> list[str]:
    return backbones.backbone_models()


# --- the networks and the optimisation ---------------------------------------------------------------------


def feature_network(classifier: Any, size: tuple[int, int], layers: Sequence[str]) -> keras.Model:
    """``classifier``'s convolutional part at ``size``, outputting ``layers``' maps; weights copied by layer name."""
    config = dict(classifier.build_config, include_top=False, pooling=None,
                  input_shape=(int(size[0]), int(size[1]), classifier.image_shape[-1]))
    network = classifier.spec.resolve_builder()(**config)
    source = classifier.network
    for layer in network.layers:
        if layer.weights:
            layer.set_weights(source.get_layer(layer.name).get_weights())
    return keras.Model(network.input, [network.get_layer(name).output for name in layers], name="style_features")


class Transfer:
    """One style transfer: the feature networks, the targets, the pixels and their optimiser."""

    def __init__(self, classifier: Any, content: np.ndarray, style: np.ndarray, content_layers: list[str],
                 style_layers: list[str], options: dict[str, Any]):
        self.options = options
        self.preprocessing = classifier.preprocessing
        self.channels = classifier.image_shape[-1]
        self.split = len(content_layers)
        layers = content_layers + style_layers
        self.network = feature_network(classifier, content.shape[:2], layers)
        # The style is used at its own size: Gram matrices are divided by the positions, so sizes may differ.
        style_network = (self.network if style.shape[:2] == content.shape[:2]
                         else feature_network(classifier, style.shape[:2], layers))
        self.content_targets = [tf.constant(m) for m in self.features(self.network, content)[:self.split]]
        self.style_grams = [gram_matrix(m) for m in self.features(style_network, style)[self.split:]]
        start = self.as_input(content).numpy()
        if options["init"] == "noise":  # the paper's white noise start
            start = np.random.default_rng(options["seed"]).uniform(0, 255, start.shape).astype("float32")
        self.pixels = tf.Variable(start, name="pixels")
        # TensorFlow's style transfer tutorial's Adam (beta_1 0.99, epsilon 0.1 on 0-1 pixels) in 0-255 units.
        self.optimizer = keras.optimizers.Adam(options["learning_rate"], beta_1=0.99, epsilon=0.1 / 255)

    def as_input(self, image: np.ndarray) -> tf.Tensor:
        """One image as a (1, height, width, channels) batch with the backbone's channel count (grey <-> RGB)."""
        return preprocessing_lib.prepare_images(image[None], (None, None, self.channels), None)

    def features(self, network: keras.Model, image) -> list[tf.Tensor]:
        pixels = tf.convert_to_tensor(image if len(image.shape) == 4 else self.as_input(image))
        maps = network(preprocessing_lib.get(self.preprocessing)(pixels), training=False)
        return list(maps) if isinstance(maps, (list, tuple)) else [maps]

    def losses(self, pixels: tf.Tensor) -> dict[str, tf.Tensor]:
        maps = self.features(self.network, pixels)
        parts = {"content": content_loss(maps[:self.split], self.content_targets) if self.split else 0.0,
                 "style": style_loss(maps[self.split:], self.style_grams),
                 "tv": total_variation(pixels)}
        weights = {"content": self.options["content_weight"], "style": self.options["style_weight"],
                   "tv": self.options["tv_weight"]}
        parts["loss"] = tf.add_n([weights[name] * parts[name] for name in weights])
        return parts

    def replica_step(self) -> dict[str, tf.Tensor]:
        with tf.GradientTape() as tape:
            parts = self.losses(self.pixels)
            # Every replica sees the same image; the optimizer sums their gradients.
            scaled = parts["loss"] / tf.distribute.get_strategy().num_replicas_in_sync
        self.optimizer.apply_gradients([(tape.gradient(scaled, self.pixels), self.pixels)])
        return parts

    @tf.function
    def step(self) -> dict[str, tf.Tensor]:
        strategy = tf.distribute.get_strategy()
        parts = strategy.run(self.replica_step)
        parts = {name: strategy.experimental_local_results(value)[0] for name, value in parts.items()}
        self.pixels.assign(tf.clip_by_value(self.pixels, 0.0, 255.0))  # stay a valid image
        return parts

    def image(self) -> np.ndarray:
        return np.round(self.pixels.numpy()[0]).astype("uint8")


def save_png(image: np.ndarray, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(path)
    return path


def run(classifier: Any, content: np.ndarray, style: np.ndarray, content_layers: Any, style_layers: Any,
        options: dict[str, Any], *, strategy: Any = None, verbose: int = 1, history: list | None = None) -> np.ndarray:
    """Check the layers against ``classifier``'s network, then optimise; returns (height, width, channels) uint8.

    ``history``, when given, receives each step's losses (floats) as dicts with "loss", "content", "style", "tv".
    """
    check_backbone_sizes(classifier.spec, content, style)
    available = map_layers(classifier.network)
    stages = classifier.spec.features.layers if classifier.spec.features else ()
    default_content, default_style = default_layers(classifier.network, classifier.spec.family, stages)
    chosen_content = checked_layers(content_layers, "content_layers", available, default_content)
    chosen_style = checked_layers(style_layers, "style_layers", available, default_style)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        transfer = Transfer(classifier, content, style, chosen_content, chosen_style, options)
        steps, every, out_dir = options["steps"], options["save_every"], options["out_dir"]
        progress = keras.utils.Progbar(steps, verbose=verbose, stateful_metrics=["loss", "content", "style", "tv"])
        for index in range(1, steps + 1):
            parts = {name: float(value) for name, value in transfer.step().items()}
            if history is not None:
                history.append(parts)
            progress.update(index, list(parts.items()))
            if every and index % every == 0:
                save_png(transfer.image(), out_dir / f"step_{index:05d}.png")
    result = transfer.image()
    if out_dir is not None:
        save_png(result, out_dir / "final.png")
    return result
