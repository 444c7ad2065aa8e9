"""What every zoo task can do to be handed on: save a preset, push it to the Hub, export it for serving.

A mixin so each task class gets the same three methods; the work lives in
``zoo.preset``, ``zoo.push`` and ``zoo.export``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo import export, preset, push


class Shareable:
    def save_preset(self, directory: str | Path, *, tag: str | None = None, metrics: dict[str, float] | None = None,
                    metrics_command: str | None = None, license: str | None = None, overwrite: bool = False) -> Path:
        """Write a self-describing preset folder (config, preprocessing, weights, manifest entry, model card).

        ``zoo.load(directory)`` loads it back with identical outputs. ``metrics`` (with the
        ``metrics_command`` that measured them) go into the manifest entry and model card;
        without them, the last epoch of ``finetune`` is reported when there was one.
        ``license`` defaults to the base weights' licence.

        >>> import zoo, tempfile, numpy as np
        >>> model = zoo.create("resnet18", num_classes=3, input_shape=(32, 32, 3), base_width=8)
        >>> folder = model.save_preset(tempfile.mkdtemp() + "/resnet18-demo")
        >>> again = zoo.load(str(folder))
        >>> x = np.zeros((1, 32, 32, 3)); bool(np.array_equal(model.predict(x, verbose=0), again.predict(x, verbose=0)))
        True
        """
        return preset.save_preset(self, directory, tag=tag, metrics=metrics, metrics_command=metrics_command,
                                  license=license, overwrite=overwrite)

    def push_to_hub(self, repo_id: str, *, private: bool = False, token: str | None = None,
                    revision: str | None = None, commit_message: str | None = None, **preset_options: Any) -> dict:
        """Save a preset and upload it to the Hugging Face Hub (``HF_ENDPOINT`` honoured).

        The token is read the way ``huggingface_hub`` reads it (``token=``, ``HF_TOKEN``,
        ``hf auth login``) and is never printed or written. Returns the repository, the
        commit and a manifest entry (``hf_repo`` source, pinned revision) for
        ``zoo.load("name.tag")``; ``zoo.load("hf://" + repo_id)`` works at once.
        """
        return push.push_model(self, repo_id, private=private, token=token, revision=revision,
                               commit_message=commit_message, **preset_options)

    def export_for_serving(self, path: str | Path, format: str = "saved_model", **options: Any) -> Path:
        """Export for serving (``"saved_model"`` or ``"tflite"``), refusing an artifact that fails the parity check.

        Classifiers take raw pixels (0-255) at the network's input size, preprocessing
        baked in, and return class probabilities. See ``zoo.export.export_for_serving``
        for ``tolerance``, ``quantize`` and ``overwrite``.
        """
        return export.export_for_serving(self, path, format=format, **options)
