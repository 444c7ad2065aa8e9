"""Model cards for presets: a README.md written from what zoo knows about a model.

``provenance`` gathers the facts a preset's manifest entry records (licence, base
weights, training recipe and data, metrics and the command that measured them);
``render`` turns them, with the architecture, into a Hugging Face model card
(YAML metadata, then prose). Nothing is invented: a fact zoo does not have is
reported as unknown, with what to pass to record it.
"""

from __future__ import annotations

import json
import re
from typing import Any

# What each task is for and where it stops being trustworthy (declarative, one line each).
USES = {
    "image_classification": (
        "image-classification",
        "Classifying images into the classes listed under Classes, or as a backbone for transfer learning "
        "(`zoo.transfer`, `model.finetune`).",
        "It only knows its own classes and scores every input as one of them, confidently or not. Accuracy holds "
        "for images like its training data; other domains, resolutions or colour statistics need evaluation "
        "first. Not evaluated for fairness or for safety-critical use.",
    ),
    "image_generation": (
        "unconditional-image-generation",
        "Sampling images like its training data (`model.sample(n)`, `zoo sample`), data augmentation experiments, "
        "teaching.",
        "Samples reproduce its training data's biases and can memorise training images; they are not evidence "
        "of anything real.",
    ),
    "autoencoder": (
        "image-to-image",
        "Encoding images to a small latent code, reconstructing them and sampling new ones (`encode`, `decode`, "
        "`sample`).",
        "Reconstructions are blurry approximations; latent codes are only meaningful for images like its "
        "training data.",
    ),
    "adversarial_autoencoder": (
        "image-to-image",
        "Encoding images to a latent code shaped by a prior, and sampling per class.",
        "As for any autoencoder: only meaningful for images like its training data.",
    ),
    "image_translation": (
        "image-to-image",
        "Translating images from one domain to another as in its paired training data (pix2pix).",
        "Outputs are plausible, not faithful: it invents detail the input does not contain.",
    ),
    "translation": (
        "translation",
        "Translating text like its training data (`model.translate`).",
        "Translations can be fluent and wrong; tokens outside its vocabulary are lost. Check outputs before "
        "relying on them.",
    ),
}
# Licence ids the Hub knows, by the SPDX id a licence text starts with (lower case); anything else is "other".
HUB_LICENSES = ("apache-2.0", "mit", "bsd-3-clause", "bsd-2-clause", "bsd", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0",
                "cc-by-nc-4.0", "cc0-1.0", "gpl-3.0", "lgpl-3.0", "openrail", "unlicense")
UNKNOWN_LICENSE = ("unspecified: trained from random initialisation with zoo; pass license=... to "
                   "save_preset to declare one")


def provenance(model, *, metrics: dict[str, float] | None = None, metrics_command: str | None = None,
               license: str | None = None) -> dict[str, Any]:
    """The manifest-entry fields of a preset zoo can vouch for: license, base_weights, training, metrics."""
    from zoo import manifest

    spec = model.spec
    previous = getattr(model, "preset_entry", None)  # a loaded preset keeps its history
    base_entry = None
    if getattr(model, "weights_tag", None) and previous is None:
        base_entry = manifest.tags_for(spec.name).get(model.weights_tag)
    facts: dict[str, Any] = {}
    inherited = (previous or base_entry or {}).get("license")
    facts["license"] = license or inherited or UNKNOWN_LICENSE
    if previous is not None and previous.get("base_weights"):
        facts["base_weights"] = previous["base_weights"]
    elif base_entry is not None:
        facts["base_weights"] = {"name": f"{spec.name}.{model.weights_tag}", "source": base_entry["source"],
                                 "metrics": base_entry.get("metrics", {})}
    record = getattr(model, "training_record", None)
    if record is not None:
        facts["training"] = record
    elif previous is not None and previous.get("training"):
        facts["training"] = previous["training"]
    if metrics:
        if not metrics_command:
            raise ValueError("metrics need the command that measured them: pass metrics_command='...' "
                             "(e.g. the evaluate() call and its data), so the model card can say how to reproduce them.")
        facts["metrics"] = {**{k: float(v) for k, v in metrics.items()}, "source": metrics_command}
    elif record is not None and record.get("final"):
        facts["metrics"] = {**record["final"], "source": f"last epoch of `{record['command']}`"}
    elif previous is not None and previous.get("metrics"):
        facts["metrics"] = previous["metrics"]
    return facts


def _params(model) -> int:
    from zoo.preset import weights_target

    return int(weights_target(model).count_params())


def license_metadata(text: str) -> list[str]:
    """The card's licence metadata lines: a Hub licence id when the text starts with one, else "other"
    with a short slug (the full text is in the card's Licence section)."""
    first = re.split(r"[\s(;,]", text.strip(), maxsplit=1)[0].lower()
    if first in HUB_LICENSES:
        return [f"license: {first}"]
    words, slug = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-").split("-"), ""
    for word in words:  # whole words, at most 48 characters
        if len(slug) + len(word) + 1 > 48:
            break
        slug = f"{slug}-{word}" if slug else word
    slug = slug or "unspecified"
    return ["license: other", f"license_name: {slug}"]


def render(model, tag: str, entry: dict[str, Any], document: dict[str, Any], repo_id: str | None = None) -> str:
    spec = model.spec
    pipeline, use, limits = USES[spec.task]
    base = entry.get("base_weights")
    training = entry.get("training")
    metrics = dict(entry.get("metrics") or {})
    metrics_source = metrics.pop("source", None)
    lines = [
        "---",
        "library_name: keras",
        f"pipeline_tag: {pipeline}",
        "tags:",
        "- zoo",
        "- keras",
        f"- {spec.family}",
        *license_metadata(entry["license"]),
        "---",
        "",
        f"# {spec.name} ({tag})",
        "",
        f"A zoo preset of **{spec.name}** ({spec.family}): {spec.description}"
        + (f" Paper: {spec.paper}." if spec.paper else ""),
        "",
        "## Use",
        "",
        "```python",
        "import zoo",
        (f'model = zoo.load("hf://{repo_id}")' if repo_id else
         'model = zoo.load("path/to/this/folder")   # or zoo.load("hf://OWNER/NAME") once pushed'),
        "```",
        "",
        f"Intended use: {use}",
        "",
        f"Limits: {limits}",
        "",
        "## Architecture",
        "",
        f"- builder: `{spec.builder}`, task `{spec.task}` (`{document['class']}`)",
        f"- parameters: {_params(model):,}",
        f"- build config: `{json.dumps(entry['config'], sort_keys=True)[:600]}`",
    ]
    if getattr(model, "class_names", None):
        shown = ", ".join(model.class_names[:50]) + (" ..." if len(model.class_names) > 50 else "")
        lines += ["", "## Classes", "", f"{len(model.class_names)} classes: {shown}"]
    lines += ["", "## Training", ""]
    if base:
        lines.append(f"- started from: `{base['name']}` ({json.dumps(base['source'])})")
    else:
        lines.append("- started from: random initialisation (no pretrained weights)")
    if training:
        for key in ("data", "recipe", "command", "seconds", "machine"):
            if key in training:
                lines.append(f"- {key}: {training[key]}")
    else:
        lines.append("- recipe: not recorded (zoo records `model.finetune`; for other training pass metrics "
                     "and metrics_command to save_preset)")
    lines += ["", "## Metrics", ""]
    if metrics:
        lines += ["| metric | value |", "|---|---|"]
        lines += [f"| {name} | {value:.4g} |" if isinstance(value, (int, float)) else f"| {name} | {value} |"
                  for name, value in metrics.items()]
        lines += ["", f"Measured by: {metrics_source}"]
    else:
        lines.append("No metrics were measured for this preset.")
    if base and base.get("metrics"):
        base_metrics = {k: v for k, v in base["metrics"].items() if k != "source"}
        lines += ["", f"Base weights `{base['name']}`: "
                  + ", ".join(f"{k} {v}" for k, v in base_metrics.items())
                  + (f" ({base['metrics']['source']})" if base["metrics"].get("source") else "")]
    lines += [
        "",
        "## Licence",
        "",
        entry["license"],
        "",
        "## Files",
        "",
        "| file | sha256 |",
        "|---|---|",
        f"| model.weights.h5 | `{entry['sha256']}` |",
        *(f"| {name} | `{sha}` |" for name, sha in entry.get("files", {}).items()),
        "",
        f"Written by zoo {document['versions']['zoo']} with Keras {document['versions']['keras']} and "
        f"TensorFlow {document['versions']['tensorflow']}.",
        "",
    ]
    return "\n".join(lines)
