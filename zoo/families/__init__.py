"""Model families, one module each: ``zoo/families/<family>.py`` declares everything zoo knows of it.

A family module holds one ``FAMILY = Family(...)`` record: its architectures as
``ModelSpec`` data, the name of its ``zoo.tune`` search space(s), and how PyTorch
(torchvision/timm) parameter names map to its layers when it has such weights.
``zoo/catalog.py`` gathers the modules. Adding a family touches its module here,
its builder (``zoo/models/``), its search space (``zoo/tune/``, optional), its
tests and its weights in the manifest.

Stdlib only: ``zoo list`` and ``zoo info`` read these records without importing
TensorFlow. Builders and hypermodels are named as ``"module:attribute"`` strings
and imported when a model is built or a search starts.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Callable

IMAGENET_SHAPE = (224, 224, 3)
MNIST_SHAPE = (28, 28, 1)
# Sequence models without a vocabulary in their config read and write printable ASCII
# characters, so their parameter counts are for that 99-token vocabulary (95 + 4 specials).
CHARACTER_TEXT = {"tokens": "char", "lowercase": False, "max_output_length": 128}


def _resolve(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


@dataclasses.dataclass(frozen=True)
class FeatureStages:
    """Where ``zoo.load(name, features_only=True)`` cuts a classifier: one feature map per stage.

    Each entry of ``layers`` is a shell pattern; the stage's map is the output of the last layer
    (in the network's order) matching it, so ``conv3_block*_out`` ends ResNet's third stage at any
    depth or searched block count. An entry holding ``{n}`` stands for stages n = 1, 2, ... for as
    long as a layer matches (lego_cnn: one stage per block, however many blocks it was given).
    """

    layers: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.layers:
            raise ValueError("FeatureStages needs at least one layer pattern")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """An architecture as the registry knows it.

    ``config`` holds the builder's default arguments (what makes ``resnet50``
    differ from ``resnet101``); ``params`` is the parameter count of that default
    configuration, which tests/test_catalog.py checks against the built model.
    """

    name: str
    family: str
    task: str
    builder: str  # "package.module:function"
    config: dict[str, Any]
    input_shape: tuple[int | None, ...]  # (None,) for text
    min_input_size: int
    params: int
    description: str
    paper: str = ""
    # Layers that form the class-specific head: replaced by ``transfer`` and
    # left fresh when weights are loaded for another number of classes.
    head_layers: tuple[str, ...] = ("predictions",)
    # Shell patterns of layers that pretrained weights may leave out (GoogLeNet's
    # auxiliary heads, untrained upstream); they keep their fresh initialisation.
    auxiliary_layers: tuple[str, ...] = ()
    # The stages ``features_only`` returns (None: the model is not a backbone, e.g. a GAN).
    features: FeatureStages | None = None

    def resolve_builder(self) -> Callable[..., Any]:
        return _resolve(self.builder)


@dataclasses.dataclass(frozen=True)
class Family:
    """One family: its architectures and what the search and the weights converters need of it."""

    name: str
    models: tuple[ModelSpec, ...]
    # zoo.tune's spaces: space name -> "module:HyperModel class". A model name searches its
    # family's space; a space named after a model (the gan family's "cgan") is found by that name.
    search_spaces: dict[str, str] = dataclasses.field(default_factory=dict)
    # PyTorch state-dict module name -> zoo layer name (KeyError: no place for it). None: the
    # family has no PyTorch weights.
    torch_layer: Callable[[str], str] | None = None
    # Instead of ``torch_layer``, when the map depends on the architecture (VGG: torchvision numbers
    # ``features.N`` through the whole conv stack): the model's config -> its ``torch_layer``.
    torch_layer_map: Callable[[dict[str, Any]], Callable[[str], str]] | None = None
    # Layers fed by a flatten, with the (channels, height, width) PyTorch flattened: Keras
    # flattens (height, width, channels), so the converter permutes their input axis.
    torch_flattened: dict[str, tuple[int, int, int]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        strays = [spec.name for spec in self.models if spec.family != self.name]
        if strays:
            raise ValueError(f"family {self.name!r} declares models of another family: {', '.join(strays)}")

    def torch_layer_for(self, config: dict[str, Any]) -> Callable[[str], str] | None:
        """The PyTorch module -> layer map of a model built with ``config`` (None: no PyTorch weights)."""
        if self.torch_layer_map is not None:
            return self.torch_layer_map(config)
        return self.torch_layer

    def hypermodel(self, space: str) -> Any:
        """The ``keras_tuner.HyperModel`` class of one of this family's search spaces."""
        return _resolve(self.search_spaces[space])
