"""zoo: a Keras 3 / TensorFlow model zoo.

>>> import zoo
>>> zoo.list_models("resnet*")
['resnet101', 'resnet152', 'resnet18', 'resnet34', 'resnet50']
>>> model = zoo.create("resnet18", num_classes=10, input_shape=(32, 32, 3))
>>> model.output_shape
(None, 10)

Importing zoo does not import TensorFlow: listing and describing models is
instant; TensorFlow loads when a model is built.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any, Sequence

from zoo import loader, manifest, registry  # stdlib-only: TensorFlow comes with the first build
from zoo.errors import (ExportError, ExportParityError, PixelRangeWarning, PresetError, PushError, UnknownModelError,
                        UnknownWeightsTagError, WeightsNotAvailableError)
from zoo.hub.errors import WeightsFormatError, WeightsIntegrityError, WeightsMismatchError
from zoo.manifest import ManifestError
from zoo.registry import families, info, list_models
from zoo.train.curriculum import Curriculum  # stdlib-only: the schedule; zoo.train.curriculum_feed runs it
from zoo.tune import TuneResult, tune  # light: KerasTuner and TensorFlow load when a search starts
from zoo.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    import keras

    from zoo.robustness_report import RobustnessReport


__all__ = [
    "UnknownModelError",
    "UnknownWeightsTagError",
    "ManifestError",
    "PresetError",
    "PushError",
    "ExportError",
    "ExportParityError",
    "WeightsFormatError",
    "WeightsIntegrityError",
    "WeightsMismatchError",
    "PixelRangeWarning",
    "WeightsNotAvailableError",
    "create",
    "families",
    "info",
    "list_models",
    "load",
    "register_weights",
    "style_transfer",
    "transfer",
    "tune",
    "TuneResult",
    "Curriculum",
    "distribute",
    "datasets",
    "attacks",
    "robustness",
]

# Submodules loaded on first access (``zoo.attacks.pgd(...)``): they import TensorFlow or NumPy.
_LAZY_MODULES = ("distribute", "attacks", "datasets")


def __getattr__(name: str):
    # lazy: zoo.distribute and zoo.attacks import TensorFlow, zoo.datasets NumPy; keep `import zoo` light.
    if name in _LAZY_MODULES:
        return importlib.import_module(f"zoo.{name}")
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


def load(
    name: str,
    *,
    weights: str | None = "default",
    num_classes: int | None = None,
    input_shape: tuple[int, int, int] | None = None,
    strategy: Any = None,
    mixed_precision: str | None = None,
    key_map: Any = None,
    strict: bool = True,
    **config: Any,
) -> "keras.Model":
    """A named model, ready to use: a ``keras.Model`` subclass with task behaviour.

    ``name`` is a registry name, ``name.tag`` for a named weights tag, the path
    of a ``.keras`` file saved from a zoo model (loaded as saved: build options are refused), a preset folder written by
    ``model.save_preset(dir)``, or ``"hf://owner/name[@revision]"`` for a preset
    pushed with ``model.push_to_hub``.
    ``weights="default"`` asks for the model's default pretrained weights,
    ``None`` for random initialisation, a tag name for another tag, or a checkpoint
    of your own: a ``.pth``/``.pt``/``.bin``, ``.safetensors``, Keras ``.h5`` or
    ``.weights.h5`` file, or an ``http(s)://`` URL (downloaded into the cache and
    pinned on first use). The format is read from the file; the tag in ``name``
    (else the model's default tag for that kind of file) fixes the layout and
    preprocessing, and the class count comes from the checkpoint's head unless
    ``num_classes`` is given. Containers (``{"state_dict": ...}``, ``{"model": ...}``)
    and DataParallel's ``module.`` prefix are unwrapped; ``key_map`` renames the
    rest (``{"features.": ""}``: prefix rewrites, first match wins, ``None`` drops;
    or a callable ``name -> name or None``). ``strict=False`` loads what fits and
    reports the rest in ``model.load_report`` (``missing``, ``unexpected``,
    ``mismatched``); ``strict=True`` makes the first misfit an error naming it.
    ``num_classes``, ``input_shape`` and any other keyword
    (e.g. ``variant="v1.5"``, ``aux_logits=True``) go to the architecture's builder;
    ``features_only=True`` (with ``out_indices``) returns the backbone's feature
    maps per stage instead of a classifier, for dense tasks.
    ``strategy`` (a ``tf.distribute.Strategy`` or a kind such as ``"auto"`` or
    ``"mirrored:2"``) builds the model's variables under that strategy.
    ``mixed_precision`` (``"auto"``: bf16 on TPU, fp16 on GPU, oneDNN's bf16 graph
    rewrite on a CPU with AVX512_BF16/AMX, float32 on other CPUs; ``"bf16"``: the
    fastest bf16 for the device; or ``"fp16"``, ``"mixed_bfloat16"``, ``"onednn_bf16"``;
    see ``zoo.precision``) computes in 16 bits with float32 variables.

    >>> import zoo
    >>> model = zoo.load("resnet50", weights=None, num_classes=10, input_shape=(64, 64, 3))
    >>> model.predict_top_k(__import__("numpy").zeros((1, 64, 64, 3)), k=3).ids.shape
    (1, 3)
    """

    # Checked and parsed before TensorFlow is imported: a bad argument or name fails at once.
    name, weights, num_classes, input_shape = registry.check_load_arguments(name, weights, num_classes, input_shape)
    registry.check_checkpoint_arguments(name, key_map, strict)
    reference = loader.parse(name, weights, key_map=key_map, strict=strict)
    if reference.spec is not None:
        registry.check_task_arguments(reference.spec, name, num_classes, input_shape)
    return loader.build(reference, num_classes=num_classes, input_shape=input_shape, strategy=strategy,
                        mixed_precision=mixed_precision, **config)


def create(
    name: str,
    *,
    num_classes: int | None = None,
    input_shape: tuple[int, int, int] | None = None,
    **config: Any,
) -> "keras.Model":
    """A named architecture with random weights: ``zoo.load(name, weights=None, ...)``.

    >>> import zoo
    >>> zoo.create("googlenet", num_classes=5, input_shape=(64, 64, 3), aux_logits=True).network.output_shape
    [(None, 5), (None, 5), (None, 5)]
    """
    return load(name, weights=None, num_classes=num_classes, input_shape=input_shape, **config)


def register_weights(name: str, tag: str, entry: dict[str, Any], *, default: bool = False) -> None:
    """Register in-house weights for a known architecture, same schema as the manifest.

    >>> import zoo
    >>> zoo.register_weights("resnet18", "ours", {
    ...     "source": {"url": "https://example.org/resnet18-ours.safetensors"},
    ...     "sha256": "", "format": "safetensors", "config": {"variant": "v1.5"},
    ...     "license": "internal", "notes": "pinned on first verified download"})
    >>> "ours" in zoo.info("resnet18")["weights"]
    True
    """
    registry.get_spec(registry.check_name(name, "register_weights: name"))  # the architecture must exist
    manifest.register_weights(name, tag, entry, default=default)


def transfer(source: "str | keras.Model", num_classes: int, **load_options: Any) -> "keras.Model":
    """A classifier with ``source``'s pretrained backbone and a fresh ``num_classes`` head.

    ``source`` is a model name (loaded with ``zoo.load(source, **load_options)``)
    or a zoo classifier.

    >>> import zoo
    >>> model = zoo.transfer("resnet18", 5, weights=None, input_shape=(32, 32, 3))
    >>> model.network.output_shape
    (None, 5)
    """
    model = load(source, **load_options) if isinstance(source, str) else source
    return model.transfer(num_classes)


def robustness(
    model: "keras.Model",
    data: tuple[Any, Any],
    eps: Sequence[float] = (0.0, 0.1, 0.2, 0.3),
    attack: str = "pgd",
    *,
    steps: int = 40,
    step_size: float | None = None,
    random_start: bool = True,
    seed: int = 0,
    batch_size: int = 256,
    png: "str | os.PathLike[str] | None" = "robustness.png",
    show: int = 8,
) -> "RobustnessReport":
    """A classifier's accuracy under an L-infinity attack at each ``eps``: a table and a PNG.

    ``data`` is ``(images, labels)``: raw pixels (0-255) and class ids. ``eps`` are fractions
    of the pixel range (MNIST's usual 0.3 is 0.3 x 255); ``attack`` is ``"pgd"`` (``steps``
    steps of ``step_size``, default ``2.5 * eps / steps``, from a random start drawn from
    ``seed``) or ``"fgsm"``. ``print(report)`` shows the table; ``report.png`` (unless
    ``png=None``) holds the accuracy-vs-eps curve and, at the largest eps, ``show`` examples:
    clean, adversarial and the perturbation. The attacks are in ``zoo.attacks``.

    >>> import zoo, numpy as np
    >>> model = zoo.create("lego_cnn", num_classes=2, input_shape=(8, 8, 1), blocks=[{"filters": 4}])
    >>> images = np.random.default_rng(0).uniform(0, 255, (4, 8, 8))
    >>> report = zoo.robustness(model, (images, [0, 1, 0, 1]), eps=(0, 0.1), steps=2, png=None)
    >>> report.eps, report.examples
    ((0.0, 0.1), 4)
    """
    # lazy: the report runs attacks (TensorFlow); `import zoo` stays TensorFlow-free
    from zoo.robustness_report import robustness as measure

    return measure(model, data, eps, attack, steps=steps, step_size=step_size, random_start=random_start, seed=seed,
                   batch_size=batch_size, png=png, show=show)


def style_transfer(
    content: Any,
    style: Any,
    *,
    backbone: "str | keras.Model" = "vgg19",
    weights: str | None = "default",
    content_layers: str | list[str] | None = None,
    style_layers: str | list[str] | None = None,
    content_weight: float = 1e4,
    style_weight: float = 1e-2,
    tv_weight: float = 0.0,
    steps: int = 300,
    learning_rate: float = 5.0,
    init: str = "content",
    save_every: int | None = None,
    out_dir: str | None = None,
    strategy: Any = None,
    seed: int = 0,
    verbose: int = 1,
) -> Any:
    """Neural style transfer (Gatys, Ecker & Bethge 2015): ``content`` painted in ``style``'s manner.

    ``content`` and ``style`` are images, raw pixels 0-255 ((height, width) grey or (height, width, 3) RGB
    arrays) or image file paths. The pixels of a copy of ``content`` (``init="content"``; ``"noise"``: the
    paper's white-noise start, seeded by ``seed``) are optimised with Adam (``learning_rate`` in pixel units,
    ``steps`` steps) against ``content_weight`` x the mean squared difference of the ``content_layers``' maps
    plus ``style_weight`` x the mean squared difference of the ``style_layers``' Gram matrices (channel
    correlations divided by height x width; 4 x Gatys et al.'s E_l, layers weighted equally) plus
    ``tv_weight`` x the mean absolute difference of neighbouring pixels. The defaults are TensorFlow's
    style transfer tutorial's weights and optimiser, whose losses these are. The style image is used at its
    own size. Pixels stay in 0-255 and go through the backbone's own preprocessing, differentiated.

    ``backbone``: a zoo classifier's name (``"vgg19"``, the paper's; ``"resnet50"``...), loaded with
    ``weights`` and used headless, or a zoo classifier itself. The default layers come per family
    (``zoo.tasks.style.STYLE_LAYERS``; VGG: ``block5_conv2`` for content, ``block1_conv1`` ..
    ``block5_conv1`` for style); name others from the network's layers. ``save_every=N`` writes
    ``step_NNNNN.png`` every N steps into ``out_dir`` (and ``out_dir`` alone the final image, ``final.png``).
    ``strategy`` (a ``tf.distribute.Strategy`` or a kind for ``zoo.distribute.strategy``) holds the
    networks and pixels in its scope. ``verbose=1`` shows a Keras progress bar with the losses.

    Returns the image as a uint8 array (content's height and width, the backbone's channels).

    >>> import zoo, numpy as np
    >>> net = zoo.create("resnet18", input_shape=(32, 32, 3), base_width=4, stem="cifar")
    >>> rng = np.random.default_rng(0)
    >>> image = zoo.style_transfer(rng.uniform(0, 255, (32, 40, 3)), rng.uniform(0, 255, (24, 24)),
    ...                            backbone=net, steps=2, verbose=0)
    >>> image.shape, image.dtype
    ((32, 40, 3), dtype('uint8'))
    """
    # lazy: the style module imports TensorFlow; `import zoo` stays light
    from zoo.tasks import style as style_lib

    content_image = style_lib.read_image(content, "content")
    style_image = style_lib.read_image(style, "style")
    options = style_lib.checked_options(steps, learning_rate, {"content_weight": content_weight,
                                                               "style_weight": style_weight, "tv_weight": tv_weight},
                                        init, save_every, out_dir, seed)
    verbose = style_lib.preprocessing_lib.whole_number(verbose, "verbose", name="style_transfer", minimum=0)
    if isinstance(backbone, str):
        usable = style_lib.backbone_names()
        if backbone.partition(".")[0] not in usable:
            raise ValueError(f"style_transfer: backbone {backbone!r} is not a zoo classifier registered here; "
                             f"available backbones: {', '.join(usable)}.")
        classifier = load(backbone, weights=weights, include_top=False)
    elif hasattr(backbone, "network") and hasattr(backbone, "preprocessing") and hasattr(backbone, "build_config"):
        if weights != "default":
            raise ValueError(f"style_transfer: weights={weights!r} applies to a backbone given by name; this "
                             "classifier keeps its own weights (load it with the weights you want).")
        classifier = backbone
    else:
        raise TypeError(f"style_transfer: backbone must be a zoo classifier's name or a zoo classifier "
                        f"(zoo.load / zoo.create); got {type(backbone).__name__}.")
    if strategy is not None:
        strategy = importlib.import_module("zoo.distribute").strategy(strategy)
    return style_lib.run(classifier, content_image, style_image, content_layers, style_layers, options,
                         strategy=strategy, verbose=verbose)
