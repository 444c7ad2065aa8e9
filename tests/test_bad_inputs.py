"""Bad inputs, table-driven: every case must fail (or warn) clearly, quickly, before any graph runs.

The tables live in ``tests/bad_inputs/<area>.py``; this file runs them all. A case passes when
its call raises the expected exception type (or gives the expected warning) and the message
contains every expected word, within its time bound (objects the call needs are loaded first,
off the clock).
"""

from __future__ import annotations

import importlib
import pkgutil
import time
import warnings

import pytest

import tests.bad_inputs as tables
from tests.bad_inputs import Case, Context

AREAS = sorted(module.name for module in pkgutil.iter_modules(tables.__path__))
CASES: list[Case] = [case for area in AREAS for case in importlib.import_module(f"tests.bad_inputs.{area}").CASES]


def test_the_tables_are_big_and_distinct():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(CASES) >= 60, len(CASES)


@pytest.fixture(scope="session")
def context(tmp_path_factory):
    return Context(tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, context: Context, zoo_env):
    context.prepare(case.needs)
    start = time.monotonic()
    if case.warns is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            case.call(context)
        messages = [str(w.message) for w in caught if issubclass(w.category, case.warns)]
        assert messages, f"{case.id}: no {case.warns.__name__} was given"
        text = "\n".join(messages)
    else:
        with pytest.raises(case.raises) as raised:
            case.call(context)
        text = str(raised.value)
    elapsed = time.monotonic() - start
    for word in case.words:
        assert word.lower() in text.lower(), f"{case.id}: {word!r} not in message:\n{text}"
    assert elapsed <= case.seconds, f"{case.id}: took {elapsed:.1f} s, allowed {case.seconds} s"
