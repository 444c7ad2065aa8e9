"""Build path for a registry name: merge the build config, build the task, put weights in it.

The build configuration is registry defaults < the weights entry's needs < the caller's
arguments. Weights come from the entry (converted layer weights from the hub), from a checkpoint
the caller names (a file or URL, converted in the layout of the entry derived for it), or nowhere
(random initialisation). Every load that puts weights in leaves a ``LoadReport`` on the model.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from typing import Any, Mapping, NamedTuple, Sequence

import keras

from zoo import hub, registry
from zoo.hub.classes import class_names
from zoo.hub.layer_weights import assign_layer_weights
from zoo.loader.reference import Reference
from zoo.manifest import WeightsEntry
from zoo.tasks import TASKS, backbone

log = logging.getLogger("zoo")

# Without weights there is no convention to follow: scale pixels to [0, 1].
DEFAULT_PREPROCESSING = "unit"


def task_class(task: str) -> type:
    module_name, _, class_name = TASKS[task].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def build_config_for(spec: registry.ModelSpec, entry: WeightsEntry | None, overrides: dict[str, Any]) -> dict[str, Any]:
    config = dict(spec.config)
    if entry is not None:
        config.update(entry.config)
    config.update({key: value for key, value in overrides.items() if value is not None})
    return config


def build(reference: Reference, overrides: dict[str, Any]) -> keras.Model:
    spec, entry = reference.spec, reference.entry
    features_only, out_indices = backbone.pop_request(spec, overrides, reference.given)
    converted = report = None
    if reference.checkpoint:  # the file is read and converted before anything is built: its errors come first
        # The entry carries the whole build config, so a Keras .weights.h5 is read into what is built here.
        entry = entry.with_source(entry.source.as_dict(), config=build_config_for(spec, entry, overrides))
        converted = hub.checkpoint_layer_weights(spec, entry, key_map=reference.key_map, strict=reference.strict)
        overrides = _classes_from_head(spec, converted.weights, build_config_for(spec, entry, overrides), overrides)
    task = task_class(spec.task)(
        spec.name,
        build_config_for(spec, entry, overrides),
        preprocessing=(entry.preprocessing if entry and entry.preprocessing else DEFAULT_PREPROCESSING),
        weights_tag=entry.tag if reference.load_entry_weights or converted else None,
        # the weights' resize and crop (image classifiers' entries only), followed like preprocessing
        **({"transform": entry.transform} if entry is not None and entry.transform is not None else {}),
    )
    if features_only:  # out_indices checked against the network's stages before any weights are read
        backbone.stage_layers(task.network, spec, out_indices, backbone.load_call(reference.given))
    if converted is not None:
        report = _put_weights(task, spec, entry, converted.weights, reference.checkpoint, reference.strict,
                              converted.sources, converted.unexpected)
    if reference.load_entry_weights:
        report = _load_pretrained(task, spec, entry)
    # A backbone is the classifier cut after its stages: the same layers, the same weights.
    model = backbone.Backbone.from_classifier(task, out_indices) if features_only else task
    if report is not None:
        model.load_report = report
    return model


def _classes_from_head(spec: registry.ModelSpec, weights: Mapping[str, list], config: Mapping[str, Any],
                       overrides: dict[str, Any]) -> dict[str, Any]:
    """A classifier's class count from the checkpoint's head (its last array: the bias), unless the caller
    gave ``num_classes`` or builds no head: a 10-class checkpoint loads as a 10-class model."""
    head = weights.get(spec.head_layers[0]) if spec.head_layers else None
    if (spec.task != "image_classification" or not head or overrides.get("num_classes") is not None
            or config.get("include_top") is False or not head[-1].shape):
        return overrides
    return dict(overrides, num_classes=int(head[-1].shape[-1]))


class Mismatch(NamedTuple):
    """A layer whose tensors in the checkpoint have other shapes than the model's (Keras order)."""

    layer: str
    checkpoint: tuple[tuple[int, ...], ...]
    model: tuple[tuple[int, ...], ...]


@dataclasses.dataclass(frozen=True)
class LoadReport:
    """What loading weights did, like ``torch``'s ``load_state_dict`` result: ``model.load_report``.

    ``missing``: the model's layers the weights had nothing for (left freshly initialised);
    ``unexpected``: tensors of the weights file that went nowhere (checkpoint names after unwrapping
    and key_map; layer names for Keras/zoo files); ``mismatched``: layers skipped for their shapes.
    """

    source: str
    loaded: int
    missing: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()
    mismatched: tuple[Mismatch, ...] = ()
    strict: bool = True

    @property
    def clean(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        head = f"weights {self.source} (strict={self.strict}): {self.loaded} layers loaded"
        if self.clean:
            return head + ", nothing missing or left over"
        lines = [head]
        if self.missing:
            lines.append(f"  missing, kept freshly initialised ({len(self.missing)}): {', '.join(self.missing)}")
        if self.unexpected:
            lines.append(f"  unexpected, not loaded ({len(self.unexpected)}): {', '.join(self.unexpected)}")
        for item in self.mismatched:
            lines.append(f"  mismatched shapes, skipped: {item.layer}: checkpoint {list(item.checkpoint)}, "
                         f"model {list(item.model)}")
        return "\n".join(lines)


def _put_weights(task: keras.Model, spec: registry.ModelSpec, entry: WeightsEntry, weights: Mapping[str, list],
                 source: str, strict: bool, sources: Mapping[str, Sequence[str]] | None = None,
                 unexpected: Sequence[str] = ()) -> LoadReport:
    """Assign ``weights`` by layer name and report what did not fit.

    ``strict``: today's rules (``assign_layer_weights``): only the head and auxiliary heads may stay
    fresh (another class count, a headless file); any other missing layer or shape is an error naming it.
    Not strict: every layer that has tensors of the right shapes loads; the rest stay fresh, reported.
    """
    target = getattr(task, "network", task)  # classifiers: their network; generative tasks: themselves
    layers = target.weight_layers() if hasattr(target, "weight_layers") else target.layers
    missing, mismatched, present = [], [], set()
    for layer in layers:
        if not layer.weights:
            continue
        arrays = weights.get(layer.name)
        if arrays is None:
            missing.append(layer.name)
            continue
        present.add(layer.name)
        got, needed = tuple(tuple(a.shape) for a in arrays), tuple(tuple(w.shape) for w in layer.weights)
        if got != needed:
            mismatched.append(Mismatch(layer.name, got, needed))
    sources = sources or {}
    leftover = [name for layer in weights if layer not in present for name in sources.get(layer, (layer,))]
    if strict:
        assign_layer_weights(target, weights, spec.head_layers + spec.auxiliary_layers)
    else:
        skipped = {item.layer for item in mismatched}
        assign_layer_weights(target, {k: v for k, v in weights.items() if k not in skipped}, ("*",))
    report = LoadReport(source, len(present) - len(mismatched), tuple(missing), tuple(unexpected) + tuple(leftover),
                        tuple(mismatched), strict)
    # Tensors only this build leaves out (a headless build's head) are normal: said quietly.
    log.log(logging.WARNING if missing or mismatched or unexpected else logging.INFO, "%s", report)
    if spec.head_layers and spec.head_layers[0] in present - {m.layer for m in mismatched} \
            and getattr(task, "class_names", None) is None:
        names = class_names(entry.classes)
        if names is not None and len(names) == task.num_classes:
            task.class_names = names
    return report


def _load_pretrained(task: keras.Model, spec: registry.ModelSpec, entry: WeightsEntry) -> LoadReport:
    return _put_weights(task, spec, entry, hub.pretrained_layer_weights(spec, entry), f"{spec.name}.{entry.tag}",
                        strict=True)
