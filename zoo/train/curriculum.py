"""Curriculum learning (Bengio et al. 2009) for ``finetune(..., curriculum=...)``: what to train on when.

A curriculum is a *score* (how hard each training example is; higher is harder) and a
*pacing* (the fraction of the data, easiest first, that epoch ``e`` may draw from).
Epoch ``e`` then draws from the ``ceil(fraction(e) * N)`` easiest examples only. An epoch
keeps its usual length (``ceil(N / batch)`` steps, the same number of gradient steps as
without a curriculum): it passes over the available subset, reshuffled each pass (seeded by
``seed`` and the epoch), as many times as it takes to draw its N examples.

Scores: ``"loss"`` (the default): the loss of ``reference`` (a zoo classifier) or, without
one, of the model itself before training (meaningful only when its head already knows these
classes: a freshly initialised head ranks examples almost at random); ``"random"`` (a seeded
random order: the control for an experiment, same pacing, no ordering); a callable
``(images, labels) -> difficulty per example`` (raw pixels, all examples in one call); or an
array of N difficulties. Ties keep the data's order.

Pacing, over ``epochs`` epochs (default: the first half of the run), from ``start``:
``"linear"`` (``start`` + (1 - ``start``) * e / epochs), ``"root"`` (the square-root
competence of Platanios et al. 2019), ``"step"`` (``stages`` equal jumps; one stage is
Bengio et al.'s switch from the easy set to all data at epoch ``epochs``); or a callable
``epoch -> fraction`` (epoch counts from 0 over the whole run, across both phases of the
two-phase recipe). Fractions lie in (0, 1].

This module is stdlib-only (``zoo.Curriculum`` is importable without TensorFlow); the
scoring and the per-epoch input live in ``zoo.train.curriculum_feed``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, Callable

SCORES = ("loss", "random")
PACINGS = ("linear", "root", "step")


def _fraction(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (0 < value <= 1):
        raise ValueError(f"{what} must be a fraction of the training data in (0, 1] (e.g. 0.3); got {value!r}.")
    return float(value)


@dataclasses.dataclass(frozen=True)
class Curriculum:
    """An easy-to-hard schedule for ``finetune`` (see the module doc); checked when made.

    >>> import zoo
    >>> plan = zoo.Curriculum(score="loss", pacing="linear", start=0.25, epochs=3)
    >>> plan.fractions(5)
    [0.25, 0.5, 0.75, 1.0, 1.0]
    >>> plan.counts(100, 5)
    [25, 50, 75, 100, 100]
    """

    score: Any = "loss"
    pacing: str | Callable[[int], float] = "linear"
    start: float = 0.3
    epochs: int | None = None
    stages: int = 1
    reference: Any = None

    def __post_init__(self):
        score = self.score
        score_name = score if isinstance(score, str) else None  # an array score must not meet `==`
        if isinstance(score, str):
            if score not in SCORES:
                raise ValueError(f"Curriculum: score must be one of {SCORES}, a callable (images, labels) -> "
                                 f"difficulty per example, or an array of difficulties; got {score!r}.")
        elif not callable(score) and not hasattr(score, "__len__"):
            raise TypeError(f"Curriculum: score must be one of {SCORES}, a callable or an array of difficulties; "
                            f"got {type(score).__name__}.")
        if self.reference is not None and not (score_name == "loss" and hasattr(self.reference, "network")):
            raise ValueError("Curriculum: reference= is the zoo classifier whose loss scores the examples: it needs "
                             f"score='loss' and a zoo model (e.g. zoo.load('resnet18.mnist')); "
                             f"got score={score_name or type(score).__name__!r} "
                             f"and a {type(self.reference).__name__}.")
        if isinstance(self.pacing, str):
            if self.pacing not in PACINGS:
                raise ValueError(f"Curriculum: pacing must be one of {PACINGS} or a callable epoch -> fraction; "
                                 f"got {self.pacing!r}.")
        elif not callable(self.pacing):
            raise TypeError(f"Curriculum: pacing must be one of {PACINGS} or a callable epoch -> fraction; "
                            f"got {type(self.pacing).__name__}.")
        _fraction(self.start, "Curriculum: start")
        for name in ("epochs", "stages"):
            value = getattr(self, name)
            if value is None and name == "epochs":
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"Curriculum: {name} must be a whole number >= 1; got {value!r}.")

    def fractions(self, total_epochs: int) -> list[float]:
        """The fraction of the data (easiest first) each epoch of a ``total_epochs`` run draws from."""
        ramp = self.epochs or max(1, total_epochs // 2)
        out = []
        for epoch in range(total_epochs):
            if callable(self.pacing):
                value = self.pacing(epoch)
                out.append(_fraction(value, f"Curriculum: pacing({epoch})"))
                continue
            progress = min(1.0, epoch / ramp)
            if self.pacing == "linear":
                value = self.start + (1 - self.start) * progress
            elif self.pacing == "root":
                value = math.sqrt(self.start ** 2 + (1 - self.start ** 2) * progress)
            else:  # "step": stages equal jumps, the last one at epoch `ramp`
                value = self.start + (1 - self.start) * math.floor(progress * self.stages) / self.stages
            out.append(min(1.0, value))
        return out

    def counts(self, examples: int, total_epochs: int) -> list[int]:
        """How many of the easiest examples each epoch draws from (at least one)."""
        # round() first: 0.3 * 100 is 30.000000000000004 in floating point, which ceil makes 31.
        return [max(1, math.ceil(round(f * examples, 9))) for f in self.fractions(total_epochs)]

    def difficulty(self, model, data: Any, *, seed: int = 0):
        """The difficulty ``finetune`` would give each example of ``data`` (any finetune input), as a numpy array:
        to look at what the curriculum calls hard before training on it."""
        # lazy: scoring runs a model (TensorFlow); zoo.Curriculum itself stays importable without it
        from zoo.train import curriculum_feed

        return curriculum_feed.score_data(self, model, data, seed=seed)

    def describe(self) -> str:
        score = self.score if isinstance(self.score, str) else type(self.score).__name__
        if self.reference is not None:
            score += f" of {getattr(self.reference, 'full_name', type(self.reference).__name__)}"
        pacing = self.pacing if isinstance(self.pacing, str) else "callable"
        return f"curriculum: score {score}, pacing {pacing} from {self.start:g} over {self.epochs or 'half the'} epochs"


def checked(spec: Any, where: str) -> Curriculum | None:
    """``finetune``'s ``curriculum=`` as a ``Curriculum`` (or None), refused now if it makes no sense."""
    if spec is None or isinstance(spec, Curriculum):
        return spec
    if isinstance(spec, dict):
        known = {field.name for field in dataclasses.fields(Curriculum)}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise ValueError(f"{where}: curriculum has unknown key(s) {unknown}; the keys are {sorted(known)}.")
        try:
            return Curriculum(**spec)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{where}: {error}") from None
    raise TypeError(f"{where}: curriculum must be a dict such as {{'score': 'loss', 'pacing': 'linear', "
                    f"'start': 0.3, 'epochs': 3}} or a zoo.Curriculum; got {type(spec).__name__}.")
