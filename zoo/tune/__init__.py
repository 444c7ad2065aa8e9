"""Architecture search with KerasTuner: ``zoo.tune(family, train_data, validation_data)``.

Each searchable family names its ``keras_tuner.HyperModel`` (``zoo/tune/<family>.py``)
in its family module (``zoo/families/<family>.py``, ``search_spaces``). Trials are
built through zoo's own factories, so the best trial is a normal zoo model.
Search state lives in ``directory/project_name``: run the same call again
and KerasTuner's oracle continues where it stopped, without redoing finished trials.

>>> import numpy as np, zoo
>>> x, y = np.random.default_rng(0).integers(0, 255, (32, 16, 16, 1)), np.arange(32) % 2
>>> result = zoo.tune("resnet", (x, y), (x, y), max_trials=1, epochs=1, directory="/tmp/zoo-tune-doc",
...                   overwrite=True, verbose=0)
>>> result.best_model.predict(result.best_model.preprocess(x[:2]), verbose=0).shape
(2, 2)
"""

from __future__ import annotations

import json
import numbers
from typing import Any

# Nothing heavy at import time: ``zoo/__init__`` imports ``tune`` from here, and ``zoo list``
# must not import TensorFlow. (So ``zoo.tune`` is this function; hypermodels are imported as
# ``zoo.tune.resnet`` etc., when a search starts.)
from zoo import catalog, registry
from zoo.checks import whole_number
from zoo.errors import UnknownModelError
from zoo.tune.result import TuneResult

TUNERS = {"random": "RandomSearch", "bayesian": "BayesianOptimization", "hyperband": "Hyperband"}


def searchable_family(family_or_name: Any) -> str:
    """The search space a family or model name stands for (``"resnet18"`` -> ``"resnet"``)."""
    spaces = sorted(catalog.SEARCH_SPACES)
    wanted = f"a searchable family ({', '.join(spaces)}) or a model name of one"
    if not isinstance(family_or_name, str):
        raise TypeError(f"zoo.tune: the first argument must be {wanted}; got {family_or_name!r}.")
    if not family_or_name.strip():
        raise ValueError(f"zoo.tune: the first argument is empty; give {wanted}.")
    if family_or_name in catalog.SEARCH_SPACES:
        return family_or_name
    try:
        family = family_or_name if family_or_name in registry.families() else registry.get_spec(family_or_name).family
    except UnknownModelError as error:
        raise UnknownModelError(f"{error} zoo.tune searches the families {', '.join(spaces)}, "
                                "or the family of a model name.") from None
    if family not in catalog.SEARCH_SPACES:
        raise ValueError(f"no search space for {family_or_name!r} yet; searchable families: {spaces}.")
    return family


def _hypermodel(space: str, data) -> Any:
    return catalog.SEARCH_SPACES[space].hypermodel(space).for_data(data)


def _check_count(name: str, value: Any) -> None:
    """Trial and epoch counts: positive integers (0 or a negative count made KerasTuner search without end)."""
    whole_number(value, name, where="zoo.tune", wanted="a positive integer", wrong_type=ValueError)


def _check_arguments(tuner: Any, max_trials: Any, objective: Any, seed: Any, fixed: Any,
                     search_kwargs: dict[str, Any]) -> None:
    if not isinstance(tuner, str) or tuner not in TUNERS:
        raise ValueError(f"tuner must be one of {tuple(TUNERS)}; got {tuner!r}.")
    _check_count("max_trials", max_trials)
    for name in ("epochs", "batch_size", "executions_per_trial"):
        if search_kwargs.get(name) is not None:
            _check_count(name, search_kwargs[name])
    if objective is not None and not isinstance(objective, str):
        raise TypeError(f"zoo.tune: objective must be a metric name such as 'val_accuracy'; got {objective!r}.")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"zoo.tune: seed must be an integer; got {seed!r}.")
    if fixed is not None and not (isinstance(fixed, dict) and all(isinstance(name, str) for name in fixed)):
        raise TypeError(f"zoo.tune: fixed must be a dict {{hyperparameter name: value}}; got {fixed!r}.")


def _check_fixed(family: str, hypermodel: Any, fixed: dict[str, Any]) -> None:
    """Every pinned name must be one of the space's hyperparameters (KerasTuner would add an unused one
    silently). The names are declared while a trial is built, so one model is built here, not trained."""
    import keras_tuner  # KerasTuner (and TensorFlow) only when a search starts: keeps `import zoo` TF-free

    declared = keras_tuner.HyperParameters()
    hypermodel.build(declared)  # the model is dropped; only the declared names are kept
    known = sorted(declared.values)
    unknown = sorted(set(fixed) - set(known))
    if unknown:
        raise ValueError(f"zoo.tune: fixed names {', '.join(map(repr, unknown))}, not a hyperparameter of the "
                         f"{family} space; its hyperparameters are: {', '.join(known)}.")


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
    ``fixed`` pins some of the space's hyperparameters (``{"width": 0.25}``); the rest are searched
    (an unknown name is refused, listing the space's). ``executions_per_trial`` goes to the tuner.
    Counts (``max_trials``, ``epochs``, ``batch_size``) must be positive integers. Raises
    ``RuntimeError`` when every trial failed (KerasTuner itself only logs that).
    """
    _check_arguments(tuner, max_trials, objective, seed, fixed, search_kwargs)
    family = searchable_family(family_or_name)
    import keras_tuner  # only now: keeps `import zoo` TF-free

    hypermodel = _hypermodel(family, train_data)
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
        _check_fixed(family, hypermodel, fixed)
        pinned = keras_tuner.HyperParameters()
        for name, value in fixed.items():
            pinned.Fixed(name, value)
        options.update(hyperparameters=pinned, tune_new_entries=True)
    if "executions_per_trial" in search_kwargs:  # a tuner option, not one of fit's
        options["executions_per_trial"] = search_kwargs.pop("executions_per_trial")
    if tuner == "hyperband":
        options["max_epochs"] = search_kwargs.pop("epochs", 3)
    else:
        options["max_trials"] = max_trials
    if strategy is not None:
        from zoo import distribute  # imports TensorFlow: only for a distributed search

        options["distribution_strategy"] = distribute.strategy(strategy)
    search = getattr(keras_tuner, TUNERS[tuner])(hypermodel, **options)
    x, y = _split(train_data)
    if validation_data is not None and not isinstance(validation_data, (tuple, list)):
        validation_data = (validation_data,)  # images only (generative models): Keras wants a tuple
    search.search(x, y, validation_data=validation_data, **search_kwargs)
    from keras_tuner.src.distribute import utils as distributed  # KerasTuner: see above

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
