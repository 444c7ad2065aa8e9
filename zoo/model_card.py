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

from zoo import manifest

# Licence ids the Hub knows, by the SPDX id a licence text starts with (lower case); anything else is "other".
HUB_LICENSES = ("apache-2.0", "mit", "bsd-3-clause", "bsd-2-clause", "bsd", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0",
                "cc-by-nc-4.0", "cc0-1.0", "gpl-3.0", "lgpl-3.0", "openrail", "unlicense")
UNKNOWN_LICENSE = ("unspecified: trained from random initialisation with zoo; pass license=... to "
                   "save_preset to declare one")


def provenance(model, *, metrics: dict[str, float] | None = None, metrics_command: str | None = None,
               license: str | None = None) -> dict[str, Any]:
    """The manifest-entry fields of a preset zoo can vouch for: license, base_weights, training, metrics."""
    spec = model.spec
    previous = getattr(model, "preset_entry", None)  # a loaded preset keeps its history
    base_entry = None
    if getattr(model, "weights_tag", None) and previous is None:
        base = manifest.tags_for(spec.name).get(model.weights_tag)
        base_entry = base.as_dict() if base is not None else None
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
    card = model.CARD_TEXT  # what the task is for and where it stops being trustworthy
    base = entry.get("base_weights")
    training = entry.get("training")
    metrics = dict(entry.get("metrics") or {})
    metrics_source = metrics.pop("source", None)
    lines = [
        "---",
        "library_name: keras",
        f"pipeline_tag: {card.pipeline_tag}",
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
        f"Intended use: {card.use}",
        "",
        f"Limits: {card.limits}",
        "",
        "## Architecture",
        "",
        f"- builder: `{spec.builder}`, task `{spec.task}` (`{document['class']}`)",
        f"- parameters: {model.count_params():,}",  # all in the weights file: the network, or the task whole
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
