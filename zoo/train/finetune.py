"""The fine-tuning recipe behind ``Classifier.finetune``.

Default ("two_phase"): first train a new head with the backbone frozen
(BatchNorm layers frozen too, so they run in inference mode and keep their
statistics), then unfreeze the backbone (all of it, or its top N weighted
layers) and train everything at a tenth of the learning rate, warmed up
linearly for about an epoch and decayed on a cosine. "head" runs phase one
only; "full" runs phase two only.

Under a ``tf.distribute`` strategy (``strategy=``), ``batch_size`` is per replica:
the global batch is ``batch_size * num_replicas_in_sync``. Keras' ``fit`` does the
work, except under MultiWorkerMirroredStrategy, where ``zoo.train.custom_loop``
does (see there why); there, checkpoints are written by the chief only and
resume at phase granularity.

Options and data are checked before anything trains (``_checked_options``,
``zoo.train.data.prepare``). The head is replaced when the data has other classes,
with one exception: a pretrained head is never shrunk because the labels at hand
happen to use fewer classes (a scan of a small batch of zeros finds "one class").

With ``checkpoint_dir`` a run survives being killed: every epoch is backed up
(``keras.callbacks.BackupAndRestore``), a finished phase leaves a marker with its
weights and history, and the same call restarted resumes from the last finished
epoch. The best weights (by validation loss, else training loss) are kept in
``checkpoint_dir/best.weights.h5`` and restored at the end when there is
validation data.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import numbers
import time
from pathlib import Path
from typing import Any, Sequence

import keras

from zoo import distribute
from zoo import preprocessing
from zoo.checks import whole_number
from zoo.train import adversarial as adversarial_lib
from zoo.train import curriculum_feed, custom_loop
from zoo.train.curriculum import checked as checked_curriculum
from zoo.train import data as data_lib
from zoo.train.callbacks import KeepBestWeights, StopOnNaN

log = logging.getLogger("zoo")

DEFAULT_LEARNING_RATE = 1e-3
RECIPES = ("two_phase", "head", "full")


@dataclasses.dataclass(frozen=True)
class Phase:
    name: str
    epochs: int
    learning_rate: float
    train_backbone: bool


def plan(recipe: str, epochs: int | Sequence[int] | None, learning_rate: float | None) -> list[Phase]:
    """The phases of a recipe. ``epochs``: a total (split evenly for two_phase) or (head, full)."""
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {RECIPES}; got {recipe!r}.")
    rate = DEFAULT_LEARNING_RATE if learning_rate is None else float(learning_rate)
    head = Phase("head", 0, rate, train_backbone=False)
    full = Phase("full", 0, rate / 10, train_backbone=True)
    if recipe == "two_phase":
        if epochs is None:
            counts = (3, 3)
        elif isinstance(epochs, int):
            counts = (max(1, epochs // 2), max(0, epochs - max(1, epochs // 2)))
        else:
            counts = tuple(int(e) for e in epochs)
        phases = [dataclasses.replace(head, epochs=counts[0]), dataclasses.replace(full, epochs=counts[1])]
    else:
        count = 5 if epochs is None else int(epochs if isinstance(epochs, int) else sum(epochs))
        phases = [dataclasses.replace(head if recipe == "head" else full, epochs=count)]
    return [phase for phase in phases if phase.epochs > 0]


def set_trainable(model, phase: Phase, unfreeze: str | int, freeze_batchnorm: bool) -> None:
    """Freeze what the phase does not train. Frozen BatchNorm runs in inference mode (Keras 3 semantics)."""
    head = set(model.spec.head_layers)
    weighted = [layer for layer in model.network.layers if layer.weights]
    if phase.train_backbone and unfreeze != "all":
        if not isinstance(unfreeze, int) or unfreeze < 1:
            raise ValueError(f"unfreeze must be 'all' or a positive number of top layers; got {unfreeze!r}.")
        trainable = {layer.name for layer in weighted[-unfreeze:]} | head
    elif phase.train_backbone:
        trainable = {layer.name for layer in weighted}
    else:
        trainable = head
    for layer in weighted:
        is_batchnorm = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = layer.name in trainable and not (is_batchnorm and freeze_batchnorm)


def _schedule(phase: Phase, steps_per_epoch: int):
    if not phase.train_backbone:
        return phase.learning_rate
    total = max(1, phase.epochs * steps_per_epoch)
    warmup = max(1, min(steps_per_epoch, total // 5))
    # Warm up from lr / (warmup + 1), not from 0: the first step must already move the weights.
    return keras.optimizers.schedules.CosineDecay(
        phase.learning_rate / (warmup + 1),
        decay_steps=max(1, total - warmup),
        warmup_target=phase.learning_rate,
        warmup_steps=warmup,
    )


class _Progress:
    """What a checkpoint directory remembers between runs: finished phases, their history, the best score."""

    def __init__(self, directory: str | None):
        self.directory = Path(directory) if directory else None
        if self.directory:
            self.directory.mkdir(parents=True, exist_ok=True)

    def _marker(self, index: int) -> Path:
        return self.directory / f"phase-{index}.done.json"

    def finished(self, index: int) -> dict[str, Any] | None:
        if self.directory and self._marker(index).is_file():
            return json.loads(self._marker(index).read_text())
        return None

    def weights_path(self, index: int) -> Path:
        return self.directory / f"phase-{index}.weights.h5"

    def mark_finished(self, index: int, model, history: dict[str, list[float]], best: float | None) -> None:
        model.network.save_weights(self.weights_path(index))
        temp = self._marker(index).with_suffix(".tmp")
        temp.write_text(json.dumps({"history": history, "best": best}))
        temp.replace(self._marker(index))  # the marker appears only with its weights in place

    def backup_dir(self, index: int) -> str:
        return str(self.directory / f"phase-{index}-backup")

    @property
    def best_path(self) -> Path:
        return self.directory / "best.weights.h5"  # the network's weights only


def _merge(history: dict[str, list[float]], addition: dict[str, list[float]]) -> None:
    for key, values in addition.items():
        history.setdefault(key, []).extend(float(v) for v in values)


def finetune(
    model,
    data: Any,
    *,
    validation_data: Any = None,
    epochs: int | Sequence[int] | None = None,
    num_classes: int | None = None,
    recipe: str = "two_phase",
    learning_rate: float | None = None,
    batch_size: int = 32,
    augment: Any = None,
    shuffle: bool = True,
    unfreeze: str | int = "all",
    freeze_batchnorm: bool = True,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    checkpoint_dir: str | None = None,
    strategy: Any = None,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = 1,
    verbose: str | int = "auto",
    seed: int = 0,
    adversarial: str | None = None,
    eps: float | None = None,
    attack_steps: int = 7,
    adversarial_fraction: float = 1.0,
    curriculum: Any = None,
) -> keras.callbacks.History:
    epochs, num_classes, learning_rate, batch_size = _checked_options(
        model.full_name, recipe=recipe, epochs=epochs, num_classes=num_classes, learning_rate=learning_rate,
        batch_size=batch_size, unfreeze=unfreeze)
    attack = adversarial_lib.checked(adversarial, eps, attack_steps, adversarial_fraction,
                                     where=f"{model.full_name}.finetune")
    easy_first = checked_curriculum(curriculum, where=f"{model.full_name}.finetune")  # see zoo.train.curriculum
    if strategy is None:
        chosen = model.distribute_strategy
    else:
        chosen = distribute.strategy(strategy)
        if model.distribute_strategy is not chosen:
            model.distribute_on(chosen)
    started = time.perf_counter()
    with chosen.scope():
        history = _finetune(
            model, data, chosen, validation_data=validation_data, epochs=epochs, num_classes=num_classes,
            recipe=recipe, learning_rate=learning_rate, batch_size=batch_size, augment=augment, shuffle=shuffle,
            unfreeze=unfreeze,
            freeze_batchnorm=freeze_batchnorm, callbacks=callbacks, checkpoint_dir=checkpoint_dir,
            jit_compile=jit_compile, steps_per_execution=steps_per_execution, verbose=verbose, seed=seed,
            attack=attack,
            easy_first=easy_first,
        )
    # What a model card (model.save_preset) reports: the call, its data and its last-epoch metrics.
    options = {"epochs": epochs, "recipe": recipe, "learning_rate": learning_rate, "batch_size": batch_size,
               "augment": augment, "unfreeze": unfreeze, "seed": seed, "adversarial": adversarial, "eps": eps}
    shown = ", ".join(f"{key}={value!r}" for key, value in options.items() if value is not None)
    model.training_record = {
        "data": f"{_describe_data(data)}: {history.examples} examples, {model.num_classes} classes"
                + (f"; validation {history.validation_examples} examples" if history.validation_examples else ""),
        "recipe": "; ".join(f"{p.name}: {p.epochs} epochs at learning rate {p.learning_rate:g}"
                            + ("" if p.train_backbone else " (backbone frozen)") for p in history.phases)
                  + f"; batch {batch_size}, Adam, warm-up + cosine decay"
                  + (f"; adversarial training: {attack.kind} at eps {attack.eps:g}, {attack.steps} step(s), "
                     f"{attack.fraction:.0%} of each batch" if attack else "")
                  + (f"; {easy_first.describe()}" if easy_first else ""),
        "command": f"model.finetune({_describe_data(data)}, {shown})",
        "seconds": round(time.perf_counter() - started, 1),
        "final": {key: round(float(values[-1]), 6) for key, values in history.history.items() if values},
    }
    return history


def _checked_options(name: str, *, recipe, epochs, num_classes, learning_rate, batch_size, unfreeze):
    """The numeric options, refused (before any data is read) unless they make sense; normalised to Python numbers."""
    where = f"{name}.finetune"
    if recipe not in RECIPES:
        raise ValueError(f"{where}: recipe must be one of {RECIPES}; got {recipe!r}.")
    if epochs is not None:
        if isinstance(epochs, numbers.Integral) and not isinstance(epochs, bool):
            epochs = whole_number(epochs, "epochs", where=where)
        elif isinstance(epochs, (tuple, list)) and (len(epochs) == 2 or recipe != "two_phase"):
            epochs = tuple(whole_number(e, "each of epochs", where=where, minimum=0) for e in epochs)
            if sum(epochs) < 1:
                raise ValueError(f"{where}: epochs={epochs!r} trains nothing; give at least one epoch, "
                                 f"e.g. epochs=(1, 0) for the head only.")
        else:
            raise TypeError(f"{where}: epochs must be a total number of epochs (an int >= 1) or (head, full) epochs "
                            f"per phase, e.g. (2, 3); got {epochs!r}.")
    if num_classes is not None:
        if num_classes == 1 and not isinstance(num_classes, bool):
            raise ValueError(
                f"{where}: num_classes=1 cannot be trained: a softmax over one class always says 1.0. For a yes/no "
                "task use num_classes=2 with labels 0 and 1; to keep the model's own head, leave num_classes out."
            )
        num_classes = whole_number(num_classes, "num_classes", where=where, minimum=2)
    if learning_rate is not None:
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
            raise TypeError(f"{where}: learning_rate must be a number > 0 (e.g. 1e-3); got {learning_rate!r} "
                            f"({type(learning_rate).__name__}).")
        if not (math.isfinite(learning_rate) and learning_rate > 0):
            raise ValueError(f"{where}: learning_rate must be a finite number > 0 (e.g. 1e-3); got {learning_rate!r}.")
        learning_rate = float(learning_rate)
    batch_size = whole_number(batch_size, "batch_size", where=where)
    if unfreeze != "all" and (isinstance(unfreeze, bool) or not isinstance(unfreeze, int) or unfreeze < 1):
        raise ValueError(f"{where}: unfreeze must be 'all' or a positive number of top layers; got {unfreeze!r}.")
    return epochs, num_classes, learning_rate, batch_size


def _match_head(model, examples) -> None:
    """Give the model a head for the data's classes, except that a pretrained head (one with a weights
    tag or class names) is kept when the largest label merely falls short of it."""
    found = examples.num_classes
    pretrained = model.weights_tag is not None or model.class_names is not None
    if examples.inferred and found < model.num_classes and pretrained:
        log.warning(
            "%s: the labels go up to %d (%d class%s), fewer than the pretrained head's %d classes: keeping that head. "
            "Pass num_classes=N to train a new N-class head instead.",
            model.full_name, found - 1, found, "" if found == 1 else "es", model.num_classes)
        return
    if examples.inferred and found == 1:
        raise ValueError(
            f"{model.full_name}.finetune: every label is 0, so the data shows one class, and a softmax over one "
            "class has nothing to learn. Pass num_classes=N (N >= 2) for the classes your task has."
        )
    if found != model.num_classes:
        model.replace_head(found, class_names=examples.class_names)
    elif examples.class_names is not None:
        model.class_names = list(examples.class_names)


def _describe_data(data: Any) -> str:
    if isinstance(data, (str, Path)):
        return repr(str(data))
    if isinstance(data, tuple) and len(data) == 2 and hasattr(data[0], "shape"):
        return f"(x{tuple(data[0].shape)}, y{tuple(getattr(data[1], 'shape', ()))}) arrays"
    return type(data).__name__


def _finetune(model, data, chosen, *, validation_data, epochs, num_classes, recipe, learning_rate, batch_size,
              augment, shuffle, unfreeze, freeze_batchnorm, callbacks, checkpoint_dir, jit_compile, steps_per_execution,
              verbose, seed, attack=None, easy_first=None) -> keras.callbacks.History:
    phases = plan(recipe, epochs, learning_rate)
    # batch_size is per replica; TPUs need static shapes, so no ragged last batch there.
    global_batch = batch_size * chosen.num_replicas_in_sync
    on_tpu = distribute.is_tpu(chosen)
    multi_worker = distribute.is_multi_worker(chosen)
    if attack is not None and multi_worker:
        raise ValueError(f"{model.full_name}.finetune: adversarial training runs on Keras' fit, which "
                         "MultiWorkerMirroredStrategy cannot use; train on one machine (e.g. strategy='mirrored').")
    if jit_compile == "auto":
        jit_compile = on_tpu  # on CPU, XLA slowed ResNet50 training ~40% (issue #5's measurement)

    def check_pixels(images):
        return preprocessing.checked_pixels(images, model, name=model.full_name)

    # With the weights' transform (model.transform), image folders are read at their own size: it resizes and crops.
    native_size = model.weights_transform is not None
    examples = data_lib.prepare(data, model.image_shape, num_classes=num_classes, check_pixels=check_pixels,
                                native_size=native_size)
    _match_head(model, examples)
    feed = easy_first and curriculum_feed.prepare(  # scores the examples now: bad scores are refused before training
        easy_first, model, examples, total_epochs=sum(p.epochs for p in phases), global_batch=global_batch,
        drop_remainder=on_tpu, shuffle=shuffle, seed=seed)
    train = data_lib.pipeline(
        examples, model.image_shape, model.preprocessing, batch_size=global_batch, training=True, augment=augment,
        shuffle=shuffle, seed=seed, drop_remainder=on_tpu, transform=model.transform, reorder=feed and feed.reorder,
    )
    validation = None
    if validation_data is not None:
        held_out = data_lib.prepare(validation_data, model.image_shape, num_classes=model.num_classes,
                                    what="validation data", check_pixels=check_pixels, native_size=native_size)
        validation = data_lib.pipeline(
            held_out, model.image_shape, model.preprocessing, batch_size=global_batch, training=False,
            drop_remainder=on_tpu, transform=model.transform,
        )
    steps_per_epoch = max(1, (examples.count // global_batch) if on_tpu else math.ceil(examples.count / global_batch))

    # Only one process of a cluster writes checkpoints.
    progress = _Progress(checkpoint_dir if distribute.is_chief(chosen) else None)
    monitor = "val_loss" if validation is not None else "loss"
    merged: dict[str, list[float]] = {}
    best: float | None = None
    start = 0
    for index, phase in enumerate(phases):
        done = progress.finished(index)
        if done is not None:
            model.network.load_weights(progress.weights_path(index))
            _merge(merged, done["history"])
            best, start = done["best"], start + phase.epochs
            continue
        set_trainable(model, phase, unfreeze, freeze_batchnorm)
        model.compile(
            optimizer=keras.optimizers.Adam(_schedule(phase, steps_per_epoch)),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
        )
        phase_callbacks: list[keras.callbacks.Callback] = [StopOnNaN(phase.learning_rate)]
        phase_callbacks += [feed.callback] if feed else []  # the curriculum's epoch, set before the epoch's input
        keeper = None
        if progress.directory and not multi_worker:  # per-epoch backups need Keras' fit
            phase_callbacks.append(keras.callbacks.BackupAndRestore(progress.backup_dir(index)))
        if progress.directory:
            keeper = KeepBestWeights(str(progress.best_path), monitor, best)
            phase_callbacks.append(keeper)
        if multi_worker:  # Keras' fit fails under MultiWorkerMirroredStrategy (keras-team/keras#20585)
            result = custom_loop.fit(
                model, train, strategy=chosen, global_batch_size=global_batch, epochs=start + phase.epochs,
                initial_epoch=start, validation=validation, callbacks=phase_callbacks + list(callbacks),
                verbose=verbose,
            )
        else:
            with adversarial_lib.training(model, attack):
                result = model.fit(
                    train,
                    validation_data=validation,
                    initial_epoch=start,
                    epochs=start + phase.epochs,
                    callbacks=phase_callbacks + list(callbacks),
                    verbose=verbose,
                    shuffle=False,  # the pipeline shuffles; Keras cannot shuffle a tf.data.Dataset
                )
        # BackupAndRestore leaves its restored epoch on the model, and Keras never clears it:
        # without this the next phase would start from that epoch.
        model._initial_epoch = None
        _merge(merged, result.history)
        if keeper is not None and math.isfinite(keeper.best):
            best = keeper.best
        if progress.directory:
            progress.mark_finished(index, model, result.history, best)
        start += phase.epochs

    if progress.directory and validation is not None and progress.best_path.is_file():
        model.network.load_weights(progress.best_path)
    # Leave a plain, fully trainable model, compiled for evaluate(); its optimizer is built
    # over all variables, so a saved .keras file reloads without optimizer mismatches.
    for layer in model.network.layers:
        layer.trainable = True
    model.compile()
    model.optimizer.build(model.trainable_variables)
    history = keras.callbacks.History()
    history.set_model(model)
    history.history = merged
    history.epoch = list(range(len(next(iter(merged.values()), []))))
    history.phases, history.examples = phases, examples.count
    history.validation_examples = held_out.count if validation_data is not None else 0
    return history
