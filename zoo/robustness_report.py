"""``zoo.robustness``: a classifier's accuracy under attack at several eps, as a table and a PNG.

The PNG shows the accuracy-vs-eps curve beside a grid of examples at the largest eps: the
clean image, its adversarial version (each titled with the predicted class) and the
perturbation that separates them.
"""

from __future__ import annotations

import dataclasses
import numbers
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from zoo import attacks, plots

ATTACKS = ("pgd", "fgsm")


@dataclasses.dataclass(frozen=True)
class RobustnessReport:
    """Accuracy per eps under one attack; ``print(report)`` shows the table, ``report.png`` the figure."""

    attack: str
    steps: int
    eps: tuple[float, ...]
    accuracy: tuple[float, ...]
    examples: int
    png: Path | None

    def table(self) -> str:
        how = f"{self.attack} ({self.steps} steps)" if self.attack == "pgd" else self.attack
        lines = [f"accuracy under {how} on {self.examples} examples", "   eps   eps*255  accuracy"]
        lines += [f"{e:6.3f}  {e * 255:8.1f}  {a:8.4f}" for e, a in zip(self.eps, self.accuracy)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def as_dict(self) -> dict[str, Any]:
        return {"attack": self.attack, "steps": self.steps, "examples": self.examples,
                "accuracy": {f"{e:g}": a for e, a in zip(self.eps, self.accuracy)}}


def _checked(model, data, eps, attack, png, show, where: str):
    if attack not in ATTACKS:
        raise ValueError(f"{where}: attack must be one of {ATTACKS}; got {attack!r}.")
    if isinstance(eps, numbers.Real) and not isinstance(eps, bool):
        eps = (eps,)
    if not isinstance(eps, Sequence) or isinstance(eps, str) or not eps:
        raise ValueError(f"{where}: eps must be a list of radii in [0, 1] (fractions of the pixel range), e.g. "
                         f"(0, 0.1, 0.2, 0.3); got {eps!r}.")
    radii = tuple(sorted(attacks.check_eps(e, where) for e in eps))
    if not isinstance(data, tuple) or len(data) != 2:
        raise TypeError(f"{where}: data must be an (images, labels) pair of arrays; got {type(data).__name__}.")
    images, labels = attacks.check_images_and_labels(model, data[0], data[1], where)
    if png is not None and not isinstance(png, (str, Path)):
        raise TypeError(f"{where}: png must be a file path (str or Path) or None; got {type(png).__name__}.")
    if isinstance(show, bool) or not isinstance(show, numbers.Integral) or show < 0:
        raise ValueError(f"{where}: show must be a whole number >= 0 (examples in the PNG's grid); got {show!r}.")
    return images, labels, radii


def robustness(model, data, eps: Sequence[float] = (0.0, 0.1, 0.2, 0.3), attack: str = "pgd", *,
               steps: int = 40, step_size: float | None = None, random_start: bool = True, seed: int = 0,
               batch_size: int = 256, png: str | Path | None = "robustness.png", show: int = 8) -> RobustnessReport:
    """See ``zoo.robustness``."""
    where = "zoo.robustness"
    images, labels, radii = _checked(model, data, eps, attack, png, show, where)
    accuracy, shown = [], None
    for radius in radii:
        if radius == 0:
            adversarial = images
        elif attack == "fgsm":
            adversarial = attacks.fgsm(model, images, labels, radius, batch_size=batch_size)
        else:
            size = 2.5 * radius / steps if step_size is None else step_size
            adversarial = attacks.pgd(model, images, labels, radius, steps=steps, step_size=size,
                                      random_start=random_start, seed=seed, batch_size=batch_size)
        predicted = attacks.predict_classes(model, adversarial, batch_size=batch_size)
        accuracy.append(round(float((predicted == labels).mean()), 4) if len(labels) else float("nan"))
        shown = (radius, adversarial[:show], predicted[:show])
    path = None
    if png is not None:
        clean_predicted = attacks.predict_classes(model, images[:show], batch_size=batch_size)
        path = _figure(Path(png), attack, radii, accuracy, images[:show], clean_predicted, shown)
    return RobustnessReport(attack, steps if attack == "pgd" else 1, radii, tuple(accuracy), len(labels), path)


def _picture(axis, image: np.ndarray, title: str, **style) -> None:
    image = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
    axis.imshow(image, **{"cmap": "gray" if image.ndim == 2 else None, **style})
    axis.set_title(title, fontsize=8)
    axis.set_xticks([])
    axis.set_yticks([])


def _figure(path: Path, attack, radii, accuracy, clean, clean_predicted, shown) -> Path:
    radius, adversarial, predicted = shown
    count = len(clean)
    columns = max(count, 1)
    figure, axes = plots.subplots(nrows=3, ncols=columns + 1, figsize=(3.5 + 1.2 * columns, 4.8), squeeze=False,
                                  gridspec_kw={"width_ratios": [3] + [1] * columns})
    grid = axes[0, 0].get_gridspec()
    for axis in axes[:, 0]:
        axis.remove()
    curve = figure.add_subplot(grid[:, 0])
    curve.plot(radii, accuracy, "o-")
    curve.set(xlabel="eps (fraction of the 0-255 range)", ylabel="accuracy", ylim=(0, 1.02),
              title=f"accuracy under {attack}")
    curve.grid(alpha=0.3)
    for column in range(columns):
        row_axes = axes[:, column + 1]
        if column >= count:
            for axis in row_axes:
                axis.axis("off")
            continue
        difference = adversarial[column] - clean[column]
        _picture(row_axes[0], clean[column] / 255.0, f"clean: {clean_predicted[column]}", vmin=0, vmax=1)
        _picture(row_axes[1], adversarial[column] / 255.0, f"eps {radius:g}: {predicted[column]}", vmin=0, vmax=1)
        limit = max(radius * 255.0, 1e-6)
        _picture(row_axes[2], difference.mean(axis=-1) if difference.ndim == 3 else difference, "perturbation",
                 cmap="RdBu", vmin=-limit, vmax=limit)
    return plots.save(figure, path)
