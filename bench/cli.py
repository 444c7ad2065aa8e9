"""Start-up cost: ``import zoo``, ``zoo list`` and ``zoo info`` wall time, each a fresh process.

    python bench/cli.py [--smoke] [--json PATH]

The reference row is a bare ``python -c pass`` in the same interpreter, so the
zoo figures can be read as "on top of starting Python". Runs alternate; the
median of the rounds is reported. Goal: ``zoo list`` and ``zoo info`` under 0.5 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from common import ROOT, Report, arguments

COMMANDS = {
    "python -c pass (reference)": [sys.executable, "-c", "pass"],
    "import zoo": [sys.executable, "-c", "import zoo"],
    "zoo list": [sys.executable, "-m", "zoo.cli", "list"],
    "zoo info resnet50": [sys.executable, "-m", "zoo.cli", "info", "resnet50"],
}


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    rounds = 1 if args.smoke else 7
    report = Report("bench/cli.py", args)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, command in COMMANDS.items():
            times[name].append(wall_time(command))
    seconds = {name: statistics.median(values) for name, values in times.items()}
    base = seconds["python -c pass (reference)"]
    for name, value in seconds.items():
        report.row(name, value, base, "s", higher_is_better=False)
    for name in ("zoo list", "zoo info resnet50"):
        # Against the 0.5 s budget itself: the ratio is measured seconds / 0.5 s.
        report.goal(f"`{name}` < 0.5 s (ratio = seconds / 0.5 s)", seconds[name] / 0.5, 1.0, at_least=False)
    report.note(f"median of {rounds} alternating rounds, each command a fresh process.")
    report.finish()


if __name__ == "__main__":
    main()
