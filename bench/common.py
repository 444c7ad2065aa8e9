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
# zoo.bench.AA_TOLERANCE, repeated so importing this module does not import TensorFlow.
AA_TOLERANCE = 0.05


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
            higher_is_better: bool = True, cpu_ratio: float | None = None, mfu: dict | None = None,
            **extra: Any) -> float | None:
        """One comparison; the ratio is always ``ours / reference`` as measured (rates: higher is
        better; times: pass ``higher_is_better=False``). ``cpu_ratio``: the same comparison by process
        CPU time; ``mfu``: ``zoo.bench.mfu(...)`` of ours, for training and inference rows."""
        ours, reference = float(ours), None if reference is None else float(reference)
        ratio = None if not reference else ours / reference
        self.rows.append({"what": what, "ours": ours, "reference": reference, "unit": unit, "ratio": ratio,
                          "higher_is_better": higher_is_better, "cpu_ratio": cpu_ratio,
                          "mfu": None if mfu is None else mfu["mfu"],
                          "mfu_fp32": None if mfu is None else mfu["mfu_fp32"], **extra})
        return ratio

    def goal(self, goal: str, ratio: float | None, target: float, *, at_least: bool = True, why: str = "",
             aa: float | None = None, clock: str = "cpu") -> None:
        """A goal is judged only when its A/A (the reference against its twin, by the same ``clock``)
        is within ±5 %; otherwise it is reported "not judged (A/A x.xx)", never met or not met."""
        ratio = None if ratio is None else float(ratio)
        judged = ratio is not None and aa is not None and abs(float(aa) - 1.0) <= AA_TOLERANCE
        met = judged and bool(ratio >= target if at_least else ratio <= target)
        verdict = ("met" if met else "not met") if judged else f"not judged (A/A {'-' if aa is None else f'{aa:.2f}'})"
        self.goals.append({"goal": goal, "ratio": ratio, "target": target, "at_least": at_least, "met": met,
                           "judged": judged, "verdict": verdict, "aa": None if aa is None else float(aa),
                           "clock": clock, "why": why})

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


def percent(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def times(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}×"


def goal_table(goals: list[dict], script: str | None = None) -> list[str]:
    head = "| goal |" + (" script |" if script else "") + " A/A | measured | clock | verdict |"
    lines = [head, "|---|" + ("---|" if script else "") + "---:|---:|---|---|"]
    for goal in goals:
        verdict = goal["verdict"] if goal["verdict"] == "met" else f"**{goal['verdict']}**"
        why = f" — {goal['why']}" if goal["why"] and not goal["met"] else ""
        lines.append(f"| {goal['goal']} |" + (f" `{script}` |" if script else "") +
                     f" {times(goal['aa'])} | {times(goal['ratio'])} | {goal['clock']} | {verdict}{why} |")
    return lines


def render(result: dict[str, Any]) -> str:
    """A Markdown section: the rows, the goals, the notes."""
    lines = [f"### `{result['command']}`" + (" (smoke: figures mean nothing)" if result["smoke"] else ""), ""]
    if result["rows"]:
        lines += ["| measured | ours | reference | unit | ours / reference (wall) | (CPU) | MFU | MFU of fp32 peak |",
                  "|---|---:|---:|---|---:|---:|---:|---:|"]
        for row in result["rows"]:
            lines.append(f"| {row['what']} | {number(row['ours'])} | {number(row['reference'])} | {row['unit']} | "
                         f"{times(row['ratio'])} | {times(row.get('cpu_ratio'))} | {percent(row.get('mfu'))} | "
                         f"{percent(row.get('mfu_fp32'))} |")
        lines.append("")
    if result["goals"]:
        lines += goal_table(result["goals"]) + [""]
    lines += [f"- {note}" for note in result["notes"]]
    lines.append(f"- wall time of the script: {result['seconds']:.0f} s")
    return "\n".join(lines) + "\n"
