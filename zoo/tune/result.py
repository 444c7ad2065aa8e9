"""``TuneResult``: what a search found, as a table, a PNG report, and a loadable zoo model.

Stdlib only at import time (``zoo`` imports this to expose ``zoo.TuneResult``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from zoo import plots


@dataclasses.dataclass
class TuneResult:
    """The best model (trained in its trial), its hyperparameters, and every trial, best first."""

    best_model: Any  # a keras.Model: the zoo task object
    best_hyperparameters: dict[str, Any]
    trials: list[dict[str, Any]]  # trial_id, status, score, hyperparameters
    objective: str = "val_accuracy"
    direction: str = "max"
    tuner: Any = None

    def best_models(self, count: int = 3) -> list[Any]:
        """The ``count`` best trials' models, best first, each rebuilt and restored from its checkpoint."""
        if self.tuner is None:
            raise ValueError("this TuneResult has no tuner to rebuild models from.")
        return self.tuner.get_best_models(count)

    def table(self, top: int = 10) -> str:
        rows = [f"{'trial':<6} {'status':<10} {self.objective:>14}  hyperparameters"]
        for trial in self.trials[:top]:
            score = "-" if trial["score"] is None else f"{trial['score']:.4f}"
            values = ", ".join(f"{k}={_short(v)}" for k, v in trial["hyperparameters"].items())
            rows.append(f"{trial['trial_id']:<6} {trial['status']:<10} {score:>14}  {values}")
        return "\n".join(rows)

    def plot(self, path: str | Path) -> Path:
        """A PNG: the objective of every trial in the order they ran, and the best so far."""
        ran = sorted((t for t in self.trials if t["score"] is not None), key=lambda t: int(t["trial_id"]))
        scores = [t["score"] for t in ran]
        pick = max if self.direction == "max" else min
        best = [pick(scores[: i + 1]) for i in range(len(scores))]
        figure, axes = plots.subplots(figsize=(7, 4))
        axes.plot(range(len(scores)), scores, "o", label="trial")
        axes.step(range(len(best)), best, where="post", label="best so far")
        axes.set(xlabel="trial (in the order run)", ylabel=self.objective,
                 title=f"{len(self.trials)} trials; best {self.objective} {pick(scores):.4f}" if scores else "no scores")
        axes.legend()
        return plots.save(figure, path)

    def export(self, directory: str | Path, tag: str = "searched") -> Path:
        """Write ``directory/model.keras``, the weights as a zoo weights file, and ``manifest.json``
        whose entry makes the searched architecture loadable: ``ZOO_MANIFEST=directory/manifest.json``,
        then ``zoo.load(f"{name}.{tag}")``. Returns the manifest's path."""
        from zoo.hub.layer_weights import save_model_weights  # h5py only when exporting: keeps `import zoo` light

        model = self.best_model
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        model.save(directory / "model.keras")
        weights_file = save_model_weights(model, directory / f"{model.model_name}_{tag}.h5")
        entry = {
            "source": {"bundled": weights_file.name},
            "sha256": hashlib.sha256(weights_file.read_bytes()).hexdigest(),
            "format": "zoo_layer_weights",
            "config": json.loads(json.dumps(model.build_config, default=list)),
            "license": "yours (trained by zoo.tune on your data)",
            "metrics": {self.objective: self.trials[0]["score"]},
            "training": {"hyperparameters": self.best_hyperparameters, "trials": len(self.trials)},
            "notes": "Exported by zoo.tune: the best trial's architecture and weights.",
        }
        if getattr(model, "preprocessing", None):
            entry["preprocessing"] = model.preprocessing
        manifest = directory / "manifest.json"
        manifest.write_text(json.dumps({"models": {model.model_name: {"tags": {tag: entry}}}}, indent=2) + "\n")
        return manifest


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
