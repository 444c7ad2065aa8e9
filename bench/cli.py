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
# Each goal's command runs twice per round: the A/A (the command against itself) is the noise its verdict must clear.
TWINS = {f"{name} (twin, A/A)": command for name, command in COMMANDS.items() if name.startswith("zoo ")}


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def paired(ours: list[float], reference: list[float]) -> float:
    """Median over rounds of ours' seconds / the reference's in the same round."""
    return statistics.median(o / r for o, r in zip(ours, reference))


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    rounds, warm_up = (1, 0) if args.smoke else (15, 2)
    report = Report("bench/cli.py", args)
    commands = {**COMMANDS, **TWINS}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for index in range(warm_up + rounds):  # the first rounds fill the OS file cache: dropped
        for name, command in commands.items():
            seconds = wall_time(command)
            if index >= warm_up:
                times[name].append(seconds)
    seconds = {name: statistics.median(values) for name, values in times.items()}
    base = seconds["python -c pass (reference)"]
    for name, value in seconds.items():
        report.row(name, value, base, "s", higher_is_better=False)
    # The goals are absolute (a person waits for the command), so by wall time.
    for name in ("zoo list", "zoo info resnet50"):
        aa = paired(times[f"{name} (twin, A/A)"], times[name])
        # Against the 0.5 s budget itself: the ratio is measured seconds / 0.5 s.
        report.goal(f"`{name}` < 0.5 s (ratio = seconds / 0.5 s)", seconds[name] / 0.5, 1.0, at_least=False,
                    aa=aa, clock="wall")
    report.note(f"median of {rounds} alternating rounds after {warm_up} dropped, each command a fresh process; "
                "each goal's A/A is its command against a second run of itself in the same round, by wall time.")
    report.finish()


if __name__ == "__main__":
    main()
