"""Human-written dates -> ISO 8601, generated from a seed: the sequence models' offline task.

Every pair is ``(written, "YYYY-MM-DD")``. The written forms mix word and number
formats, ordinals, weekdays, abbreviations and letter case. Numeric forms follow
one convention each so every string has a single answer: slashes are US
month/day/year, dots and dashes (``03.03.2021``) day/month/year, two-digit years
mean 1950-2049.

>>> from zoo.datasets import dates
>>> train, test = dates.splits(train_size=5, test_size=2, seed=0)
>>> len(train[0]), len(test[1]), test[1][0][4]
(5, 2, '-')
"""

from __future__ import annotations

import datetime
import random
from typing import Callable

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIRST, LAST = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)


def ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _month(d: datetime.date) -> str:
    return MONTHS[d.month - 1]


def _mon(d: datetime.date) -> str:
    return MONTHS[d.month - 1][:3]


def _weekday(d: datetime.date) -> str:
    return WEEKDAYS[d.weekday()]


# One function per written form; each takes the date and returns the text.
FORMATS: tuple[Callable[[datetime.date], str], ...] = (
    lambda d: f"{ordinal(d.day)} of {_month(d)} {d.year}",
    lambda d: f"the {ordinal(d.day)} of {_month(d)}, {d.year}",
    lambda d: f"{_month(d)} {d.day}, {d.year}",
    lambda d: f"{_month(d)} {ordinal(d.day)}, {d.year}",
    lambda d: f"{_weekday(d)}, {_month(d)} {d.day}, {d.year}",
    lambda d: f"{_weekday(d)} {d.day} {_month(d)} {d.year}",
    lambda d: f"{_weekday(d)[:3]}, {d.day} {_mon(d)} {d.year}",
    lambda d: f"{d.day} {_month(d)} {d.year}",
    lambda d: f"{d.day} {_mon(d)} {d.year}",
    lambda d: f"{_mon(d)} {d.day} {d.year}",
    lambda d: f"{_mon(d)}. {d.day}, {d.year}",
    lambda d: f"{d.day:02d}-{_mon(d)}-{d.year % 100:02d}",
    lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
    lambda d: f"{d.month}/{d.day}/{d.year}",
    lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{d.day}.{d.month}.{d.year % 100:02d}",
    lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    lambda d: f"{d.year}{d.month:02d}{d.day:02d}",
    lambda d: d.isoformat(),
    lambda d: f"{d.year}, {_month(d)} {d.day}",
    lambda d: f"{_month(d)} {d.year}, day {d.day}",
)
CASES = (str.lower, str.lower, str, str, str.upper)  # lower case and as written are the most common


def random_date(rng: random.Random) -> datetime.date:
    return FIRST + datetime.timedelta(days=rng.randrange((LAST - FIRST).days + 1))


def write(date: datetime.date, rng: random.Random) -> str:
    return rng.choice(CASES)(rng.choice(FORMATS)(date))


def pairs(n: int, seed: int) -> tuple[list[str], list[str]]:
    """``n`` (written date, ISO date) pairs from ``seed``; the same seed gives the same pairs."""
    rng = random.Random(seed)
    sources, targets = [], []
    for _ in range(n):
        date = random_date(rng)
        sources.append(write(date, rng))
        targets.append(date.isoformat())
    return sources, targets


def splits(train_size: int = 20_000, test_size: int = 2_000, seed: int = 0):
    """A training set and a held-out test set whose written forms never occur in training.

    Returns ``((train_sources, train_targets), (test_sources, test_targets))``.
    """
    train = pairs(train_size, seed)
    seen = set(train[0])
    rng = random.Random(seed + 1)
    test_sources, test_targets = [], []
    while len(test_sources) < test_size:
        date = random_date(rng)
        text = write(date, rng)
        if text not in seen:
            seen.add(text)
            test_sources.append(text)
            test_targets.append(date.isoformat())
    return train, (test_sources, test_targets)
