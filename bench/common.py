"""What every bench script shares: its command line (``--smoke``, ``--json``), its report format,
and goals checked against measured ratios.

A script builds a ``Report``, adds rows (ours vs a reference measured in the same process) and
goals, then calls ``finish()``: it prints a table and, with ``--json PATH``, writes the figures
that ``bench/run_all.py`` turns into ``bench/RESULTS.md``. ``--smoke`` runs tiny sizes for one
or two steps, so ``make test`` keeps every script working; smoke figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # run as `python bench/x.py` from a checkout
    sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def arguments(description: str, **extra: dict[str, Any]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1-2 steps: checks the script runs")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the figures as JSON")
    for flag, options in extra.items():
        parser.add_argument(flag, **options)
    return parser.parse_args()


class Report:
    def __init__(self, script: str, args: argparse.Namespace, command: str | None = None):
        self.script, self.args = script, args
        self.command = command or f"python {script}"
        self.rows: list[dict[str, Any]] = []
        self.goals: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.start = time.perf_counter()

    def row(self, what: str, ours: float, reference: float | None = None, unit: str = "images/s", *,
            higher_is_better: bool = True, **extra: Any) -> float | None:
        """One comparison; the ratio is always ``ours / reference`` as measured (rates: higher is
        better; times: pass ``higher_is_better=False``)."""
        ours, reference = float(ours), None if reference is None else float(reference)
        ratio = None if not reference else ours / reference
        self.rows.append({"what": what, "ours": ours, "reference": reference, "unit": unit, "ratio": ratio,
                          "higher_is_better": higher_is_better, **extra})
        return ratio

    def goal(self, goal: str, ratio: float | None, target: float, *, at_least: bool = True, why: str = "") -> None:
        ratio = None if ratio is None else float(ratio)
        met = ratio is not None and bool(ratio >= target if at_least else ratio <= target)
        self.goals.append({"goal": goal, "ratio": ratio, "target": target, "at_least": at_least, "met": met,
                           "why": why})

    def note(self, text: str) -> None:
        self.notes.append(text)

    def finish(self) -> dict[str, Any]:
        result = {"script": self.script, "command": self.command, "smoke": self.args.smoke,
                  "seconds": time.perf_counter() - self.start, "rows": self.rows, "goals": self.goals,
                  "notes": self.notes}
        print(render(result))
        if self.args.json:
            with open(self.args.json, "w") as out:
                json.dump(result, out, indent=2)
        return result


def number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def render(result: dict[str, Any]) -> str:
    """A Markdown section: the rows, the goals, the notes."""
    lines = [f"### `{result['command']}`" + (" (smoke: figures mean nothing)" if result["smoke"] else ""), ""]
    if result["rows"]:
        lines += ["| measured | ours | reference | unit | ours / reference |", "|---|---:|---:|---|---:|"]
        for row in result["rows"]:
            ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}×"
            lines.append(f"| {row['what']} | {number(row['ours'])} | {number(row['reference'])} | {row['unit']} | "
                         f"{ratio} |")
        lines.append("")
    if result["goals"]:
        lines += ["| goal | measured | met |", "|---|---:|---|"]
        for goal in result["goals"]:
            ratio = "-" if goal["ratio"] is None else f"{goal['ratio']:.2f}×"
            verdict = "yes" if goal["met"] else "**no**"
            lines.append(f"| {goal['goal']} | {ratio} | {verdict}{' — ' + goal['why'] if goal['why'] and not goal['met'] else ''} |")
        lines.append("")
    lines += [f"- {note}" for note in result["notes"]]
    lines.append(f"- wall time of the script: {result['seconds']:.0f} s")
    return "\n".join(lines) + "\n"
