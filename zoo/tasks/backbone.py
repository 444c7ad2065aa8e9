"""Backbones for dense tasks: a classifier cut after each of its stages, ``zoo.load(name, features_only=True)``.

The loader builds the classifier the normal way, weights and all, and ``Backbone.from_classifier``
keeps the layers up to the stage outputs its family declares (``FeatureStages`` in
``zoo/families/<family>.py``): the backbone holds exactly the classifier's tensors, so its maps
equal the classifier's intermediate outputs. Like timm's ``features_only=True`` it returns one map
per stage (``out_indices`` picks some) and describes them in ``feature_info``; like KerasHub's
``Backbone`` it is a Keras model that takes preprocessed inputs, with ``preprocess`` (raw 0-255
pixels -> inputs, the weights' convention) beside it.
"""

from __future__ import annotations

import fnmatch
import numbers
from typing import Any, Sequence

import keras
import numpy as np

from zoo import preprocessing as preprocessing_lib
from zoo import registry
from zoo.tasks import TASKS
from zoo.tasks.base import CardText, ZooTask

# Arguments that shape a classifier's head, which a backbone does not have.
HEAD_ARGUMENTS = ("num_classes", "include_top", "pooling", "aux_logits")


def backbone_models() -> list[str]:
    """The models ``features_only=True`` accepts."""
    return [name for name in registry.list_models() if registry.get_spec(name).features is not None]


def load_call(given: str) -> str:
    """How messages name the call: ``zoo.load('resnet18', features_only=True)``."""
    return f"zoo.load({given!r}, features_only=True)"


def pop_request(spec: registry.ModelSpec, overrides: dict[str, Any], given: str) -> tuple[bool, tuple[int, ...] | None]:
    """Take ``features_only`` and ``out_indices`` out of ``zoo.load``'s build arguments, checked.

    Refused here, before anything is built: ``features_only`` on a model that is not a backbone,
    with a head argument (``num_classes``...), ``out_indices`` without ``features_only``, and
    ``out_indices`` that are not distinct whole numbers (their range is checked against the
    network's stages by ``stage_layers``, still before any weights load)."""
    features_only = overrides.pop("features_only", None)
    out_indices = overrides.pop("out_indices", None)
    if features_only is None:
        features_only = False
    if not isinstance(features_only, bool):
        raise TypeError(f"zoo.load({given!r}): features_only must be True or False; got {features_only!r}.")
    if not features_only:
        if out_indices is not None:
            raise ValueError(f"zoo.load({given!r}): out_indices selects feature maps and needs features_only=True.")
        return False, None
    if spec.features is None:
        raise ValueError(f"{load_call(given)}: {spec.name} ({spec.task.replace('_', ' ')}) "
                         f"has no feature stages; features_only works for {', '.join(backbone_models())}.")
    head = [key for key in HEAD_ARGUMENTS if overrides.get(key) not in (None, False)]
    if head:
        raise ValueError(f"{load_call(given)}: a backbone has no classifier head, so "
                         f"{', '.join(head)} does not apply; drop it (put your own head on the feature maps).")
    return True, check_out_indices(out_indices, load_call(given))


def check_out_indices(out_indices: Any, given: str) -> tuple[int, ...] | None:
    """``out_indices`` as a tuple of distinct ints (None: every stage); types and duplicates only."""
    if out_indices is None:
        return None
    if isinstance(out_indices, (str, bytes)) or not isinstance(out_indices, Sequence):
        raise TypeError(f"{given}: out_indices must be a list or tuple of stage indices such as (1, 2, 3, 4); "
                        f"got {out_indices!r} ({type(out_indices).__name__}).")
    bad = [index for index in out_indices if isinstance(index, bool) or not isinstance(index, numbers.Integral)]
    if bad:
        raise TypeError(f"{given}: out_indices must hold whole numbers (stage indices); got {bad[0]!r} in "
                        f"{list(out_indices)!r}.")
    if not out_indices:
        raise ValueError(f"{given}: out_indices is empty; give at least one stage index, or None for every stage.")
    indices = tuple(int(index) for index in out_indices)
    repeated = sorted({index for index in indices if indices.count(index) > 1})
    if repeated:
        raise ValueError(f"{given}: out_indices repeats {repeated}; each stage can be asked for once.")
    return indices


def stage_layers(network: keras.Model, spec: registry.ModelSpec, out_indices: Sequence[int] | None = None,
                 given: str | None = None) -> list[tuple[int, str]]:
    """(stage index, layer name) of every stage ``out_indices`` picks (all when None), in stage order.

    Negative indices count from the last stage, as in Python; anything out of range is a
    ``ValueError`` naming the stages there are.
    """
    given = given or spec.name
    names = [layer.name for layer in network.layers]

    def last_match(pattern: str) -> str | None:
        matches = [name for name in names if fnmatch.fnmatchcase(name, pattern)]
        return matches[-1] if matches else None

    stages = []
    for pattern in spec.features.layers:
        if "{n}" not in pattern:
            stages.append(last_match(pattern))
            continue
        n = 1
        while (found := last_match(pattern.format(n=n))) is not None:
            stages.append(found)
            n += 1
    missing = [pattern for pattern, found in zip(spec.features.layers, stages) if found is None]
    if missing or not stages:
        raise ValueError(f"{given}: its network has no layer matching the stage pattern(s) "
                         f"{missing or list(spec.features.layers)} (built with a config zoo cannot cut).")
    if out_indices is None:
        return list(enumerate(stages))
    indices = check_out_indices(out_indices, given)
    count = len(stages)
    outside = [index for index in indices if not -count <= index < count]
    if outside:
        raise ValueError(f"{given}: out_indices {list(indices)} has {outside}, outside the {count} stages "
                         f"0..{count - 1} ({', '.join(stages)}); negative indices count from the last.")
    chosen = sorted(index % count for index in indices)
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"{given}: out_indices {list(indices)} names one stage twice (a negative index counts "
                         f"from the last of the {count} stages).")
    return [(index, stages[index]) for index in chosen]


def reduction(network: keras.Model, layer_name: str) -> int:
    """How many input pixels one step of ``layer_name``'s map spans: the product of the strides on the way.

    Follows each layer's first input back to the network's input (the branches that meet at an
    ``Add`` or ``Concatenate`` have the same stride). Nominal, as timm reports it: unpadded
    convs (AlexNet, NiN) make maps a little smaller than size / reduction.
    """
    producers = {id(layer.output): layer for layer in network.layers}  # each layer is called once in a zoo network
    layer, total = network.get_layer(layer_name), 1
    while not isinstance(layer, keras.layers.InputLayer):
        strides = getattr(layer, "strides", 1)
        total *= int(strides[0] if isinstance(strides, (tuple, list)) else strides)
        inputs = layer.input
        layer = producers[id(inputs[0] if isinstance(inputs, (list, tuple)) else inputs)]
    return total


@keras.saving.register_keras_serializable(package="zoo")
class Backbone(ZooTask):
    """Feature maps after each stage of a classifier: ``zoo.load(name, features_only=True, out_indices=None)``.

    Calling it on preprocessed inputs (``preprocess``) returns a list of maps, one per chosen
    stage, described by ``feature_info``; ``feature_maps`` does both for raw 0-255 images.

    >>> import zoo, numpy as np
    >>> backbone = zoo.load("resnet18", weights=None, input_shape=(64, 64, 3), features_only=True, out_indices=(1, 4))
    >>> [(info["layer"], info["channels"], info["reduction"]) for info in backbone.feature_info]
    [('conv2_block2_out', 64, 4), ('conv5_block2_out', 512, 32)]
    >>> [m.shape for m in backbone.feature_maps(np.zeros((2, 64, 64, 3)))]
    [(2, 16, 16, 64), (2, 2, 2, 512)]
    """

    CARD_TEXT = CardText(
        "image-feature-extraction",
        "Multi-scale feature maps (one per stage, see feature_info) for detection, segmentation or other dense "
        "heads built on top; the weights are the classifier's.",
        "The maps were trained for classification: a dense head still needs training on its task. Features hold "
        "for images like the weights' training data. Not evaluated for fairness or for safety-critical use.",
    )

    def __init__(self, model_name: str, build_config: dict[str, Any] | None = None, *,
                 out_indices: Sequence[int] | None = None, preprocessing: str | None = "raw",
                 weights_tag: str | None = None, network: keras.Model | None = None, **kwargs: Any):
        """``network``: the classifier network to cut (``from_classifier``); None builds it from
        ``build_config``, as a ``.keras`` file or preset reloads it."""
        super().__init__(model_name, build_config, weights_tag=weights_tag, **kwargs)
        if "input_shape" in self.build_config:  # JSON (a saved config) turns tuples into lists
            self.build_config["input_shape"] = tuple(self.build_config["input_shape"])
        if self.spec.features is None:
            raise ValueError(f"{model_name} has no feature stages; backbones: {', '.join(backbone_models())}.")
        if network is None:
            network = self.spec.resolve_builder()(**self.build_config)
        stages = stage_layers(network, self.spec, out_indices, self.full_name)
        self.out_indices = [index for index, _ in stages]
        # Plain tuples: Keras would wrap a list attribute in its own tracking type.
        self._info = tuple((index, name, int(network.get_layer(name).output.shape[-1]), reduction(network, name))
                           for index, name in stages)
        self.network = keras.Model(network.input, [network.get_layer(name).output for _, name in stages],
                                   name=f"{self.model_name}_backbone")
        preprocessing_lib.get(preprocessing)  # an unknown name fails now, not at the first image
        self.preprocessing = preprocessing or "raw"
        self.built = True

    @classmethod
    def from_classifier(cls, classifier, out_indices: Sequence[int] | None = None) -> "Backbone":
        """The backbone of a zoo ``ImageClassifier`` (loaded, fine-tuned or saved), sharing its layers and weights."""
        return cls(classifier.model_name, classifier.build_config, out_indices=out_indices,
                   preprocessing=classifier.preprocessing, weights_tag=classifier.weights_tag,
                   network=classifier.network)

    @property
    def class_path(self) -> str:
        return TASKS["image_features"]  # a preset of a backbone reloads as a backbone, not as its classifier

    @property
    def feature_info(self) -> list[dict[str, Any]]:
        """One dict per returned map, in order: ``index`` (stage), ``layer``, ``channels``, ``reduction``."""
        return [{"index": index, "layer": layer, "channels": channels, "reduction": stride}
                for index, layer, channels, stride in self._info]

    @property
    def image_shape(self) -> tuple[int | None, int | None, int]:
        """(height, width, channels) the network takes."""
        return tuple(self.network.input_shape[1:])

    def call(self, inputs, training=None):
        return self.network(inputs, training=training)

    # --- what every task tells zoo's export, presets and bench ----------------------------------

    def constructor_options(self) -> dict[str, Any]:
        return {"out_indices": list(self.out_indices), "preprocessing": self.preprocessing}

    def preprocessor_config(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "image", "preprocessing": config.pop("preprocessing"), "image_shape": list(self.image_shape),
                "input": "raw pixels 0-255, grayscale or RGB; resized to image_shape (no crop)"}

    def serving_signature(self, rng, batch):
        raise ValueError(f"{self.full_name} is a backbone with {len(self._info)} outputs; export the model you "
                         "build on it (serving exports take one output).")

    # --- images in --------------------------------------------------------------------------------

    def preprocess(self, images) -> Any:
        """Raw images (0-255; one (H, W[, C]) or a batch (N, H, W[, C])) -> network inputs.

        Converts between 1 and 3 channels, resizes to a fixed input size (a network built with
        ``input_shape=(None, None, C)`` keeps each size) and applies the weights' preprocessing.
        It never crops: the maps stay aligned with the whole image, as a dense head needs.
        """
        x = keras.ops.convert_to_tensor(images)
        if len(x.shape) == 2:  # one grayscale image
            x = x[None, :, :, None]
        elif len(x.shape) == 3 and x.shape[-1] in (1, 3):  # one image
            x = x[None]
        elif len(x.shape) == 3:  # a batch of grayscale images without a channel axis
            x = x[..., None]
        return preprocessing_lib.prepare_images(x, self.image_shape, self.preprocessing, model=self.full_name)

    def feature_maps(self, images, batch_size: int = 32) -> list[np.ndarray]:
        """The maps of raw images (0-255), one ``(n, height, width, channels)`` array per ``feature_info`` entry."""
        batch_size = preprocessing_lib.whole_number(batch_size, "batch_size", name=self.full_name)
        pixels = preprocessing_lib.checked_pixels(images, self, name=self.full_name)
        channels_ok = pixels.ndim < 4 or pixels.shape[-1] in (1, 3, self.image_shape[-1])
        if pixels.ndim not in (2, 3, 4) or not channels_ok:
            raise ValueError(f"{self.full_name}: images must be one image (height, width[, 1|3]) or a batch "
                             f"(n, height, width[, 1|3]) of raw pixels; got shape {pixels.shape}.")
        if pixels.ndim == 4 and len(pixels) == 0:
            return [np.zeros((0, *(size or 0 for size in out.shape[1:])), "float32") for out in self.network.outputs]
        maps = self.network.predict(self.preprocess(pixels), batch_size=batch_size, verbose=0)
        return list(maps) if isinstance(maps, (list, tuple)) else [maps]
