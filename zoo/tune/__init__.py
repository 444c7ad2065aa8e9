"""Architecture search with KerasTuner: ``zoo.tune(family, train_data, validation_data)``.

Each family has a ``keras_tuner.HyperModel`` (``zoo/tune/<family>.py``) whose
trials are built through zoo's own factories, so the best trial is a normal zoo
model. Search state lives in ``directory/project_name``: run the same call again
and KerasTuner's oracle continues where it stopped, without redoing finished trials.

>>> import numpy as np, zoo
>>> x, y = np.random.default_rng(0).integers(0, 255, (32, 16, 16, 1)), np.arange(32) % 2
>>> result = zoo.tune("resnet", (x, y), (x, y), max_trials=1, epochs=1, directory="/tmp/zoo-tune-doc",
...                   overwrite=True, verbose=0)
>>> result.best_model.predict(result.best_model.preprocess(x[:2]), verbose=0).shape
(2, 2)
"""

from __future__ import annotations

import importlib
import json
from typing import Any

# Nothing heavy at import time: ``zoo/__init__`` imports ``tune`` from here, and ``zoo list``
# must not import TensorFlow. (So ``zoo.tune`` is this function; hypermodels are imported as
# ``zoo.tune.resnet`` etc.)
from zoo.tune.result import TuneResult

# family -> "module:HyperModel class"
HYPERMODELS = {
    "resnet": "zoo.tune.resnet:ResNetHyperModel",
    "lego": "zoo.tune.lego:LegoHyperModel",
    "seq2seq": "zoo.tune.seq2seq:Seq2SeqHyperModel",
    "transformer": "zoo.tune.transformer:TransformerHyperModel",
    "vae": "zoo.tune.vae:VAEHyperModel",
    "gan": "zoo.tune.gan:GANHyperModel",
    "cgan": "zoo.tune.gan:CGANHyperModel",
    "pix2pix": "zoo.tune.pix2pix:Pix2PixHyperModel",
    "alexnet": "zoo.tune.alexnet:AlexNetHyperModel",
    "nin": "zoo.tune.nin:NiNHyperModel",
    "googlenet": "zoo.tune.googlenet:GoogLeNetHyperModel",
    "aae": "zoo.tune.gan:AAEHyperModel",
}
TUNERS = {"random": "RandomSearch", "bayesian": "BayesianOptimization", "hyperband": "Hyperband"}


def _hypermodel(family: str, data) -> Any:
    if family not in HYPERMODELS:
        from zoo import registry

        spec_family = registry.get_spec(family).family if family not in registry.families() else family
        if spec_family not in HYPERMODELS:
            raise ValueError(f"no search space for {family!r} yet; searchable families: {sorted(HYPERMODELS)}.")
        family = spec_family
    module, _, name = HYPERMODELS[family].partition(":")
    return getattr(importlib.import_module(module), name).for_data(data)


def _split(data) -> tuple[Any, Any]:
    """``(x, y)`` pairs pass through; a bare array (images for a VAE or GAN) has no ``y``."""
    return (data[0], data[1]) if isinstance(data, (tuple, list)) and len(data) == 2 else (data, None)


def tune(family_or_name: str, train_data, validation_data=None, *, tuner: str = "random", max_trials: int = 10,
         objective: str | None = None, directory: str = "zoo_tune", project_name: str | None = None,
         strategy: Any = None, overwrite: bool = False, seed: int = 0, fixed: dict[str, Any] | None = None,
         **search_kwargs: Any) -> TuneResult:
    """Search the family's architecture space; ``search_kwargs`` go to ``tuner.search`` (``epochs``...).

    ``train_data`` and ``validation_data``: ``(images, labels)`` for classifiers, ``(sources, targets)``
    string lists for sequence models, images for generative models. ``objective`` defaults to the
    family's (``val_accuracy``, ``val_exact_match``, ``val_elbo``, ``fid_mnist``, ``val_l1``...).
    ``fixed`` pins some of the space's hyperparameters (``{"width": 0.25}``); the rest are searched. Raises
    ``RuntimeError`` when every trial failed (KerasTuner itself only logs that).
    """
    import keras_tuner

    if tuner not in TUNERS:
        raise ValueError(f"tuner must be one of {tuple(TUNERS)}; got {tuner!r}.")
    hypermodel = _hypermodel(family_or_name, train_data)
    if validation_data is None and hypermodel.NEEDS_VALIDATION:
        raise ValueError(f"{family_or_name}'s objective {hypermodel.OBJECTIVE[0]} is measured on validation_data; "
                         "pass it.")
    if objective is None:
        objective, direction = hypermodel.OBJECTIVE
        if validation_data is None:
            objective = objective.removeprefix("val_")  # e.g. accuracy on the training data
    else:
        direction = "min" if "loss" in objective or "fid" in objective else "max"
    options = dict(objective=keras_tuner.Objective(objective, direction),
                   directory=directory, project_name=project_name or family_or_name, overwrite=overwrite,
                   seed=seed)
    if fixed:
        pinned = keras_tuner.HyperParameters()
        for name, value in fixed.items():
            pinned.Fixed(name, value)
        options.update(hyperparameters=pinned, tune_new_entries=True)
    if tuner == "hyperband":
        options["max_epochs"] = search_kwargs.pop("epochs", 3)
    else:
        options["max_trials"] = max_trials
    if strategy is not None:
        from zoo import distribute

        options["distribution_strategy"] = distribute.strategy(strategy)
    search = getattr(keras_tuner, TUNERS[tuner])(hypermodel, **options)
    x, y = _split(train_data)
    if validation_data is not None and not isinstance(validation_data, (tuple, list)):
        validation_data = (validation_data,)  # images only (generative models): Keras wants a tuple
    search.search(x, y, validation_data=validation_data, **search_kwargs)
    from keras_tuner.src.distribute import utils as distributed

    if distributed.has_chief_oracle() and not distributed.is_chief_oracle():
        # A worker of a distributed sweep: the chief holds the trials; ask it for the finished ones.
        trials = search.oracle.get_best_trials(num_trials=10**6)
    else:
        sign = -1.0 if direction == "max" else 1.0  # best first; unscored (failed) trials last
        trials = sorted(search.oracle.trials.values(), key=lambda t: (t.score is None, sign * (t.score or 0.0)))
    table = [{"trial_id": t.trial_id, "status": t.status, "score": t.score, "hyperparameters": dict(t.hyperparameters.values)}
             for t in trials]
    if not any(t["status"] == "COMPLETED" for t in table):
        raise RuntimeError(f"every one of {len(table)} trials failed; KerasTuner's log above says why "
                           "(a missing `tensorboard` package fails every trial).")
    best = search.get_best_models(1)[0]
    # What a model card (model.save_preset) reports about where this model came from.
    called = dict(tuner=tuner, max_trials=max_trials, fixed=fixed, **search_kwargs)
    shown = ", ".join(f"{key}={value!r}" for key, value in called.items() if value is not None)
    best.training_record = {
        "data": f"{len(x)} training examples" + (f", {len(validation_data[0])} validation" if validation_data else ""),
        "recipe": f"best of {len(table)} KerasTuner {TUNERS[tuner]} trials (trial {table[0]['trial_id']}); "
                  f"hyperparameters {json.dumps(table[0]['hyperparameters'], default=str)}",
        "command": f"zoo.tune({family_or_name!r}, train_data, validation_data, {shown})",
        "final": {objective: table[0]["score"]},
    }
    return TuneResult(best, table[0]["hyperparameters"], table, objective, direction, search)
