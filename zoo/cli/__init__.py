"""The ``zoo`` command. Listing and describing models never imports TensorFlow.

A user error (an unknown name or tag, a missing file, a bad value) prints one ``zoo: <message>``
line to stderr and exits 2, with no traceback; an unexpected error keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import sys
from typing import Sequence

import zoo
from zoo.cli import catalog, share, train, weights
# Still importable from zoo.cli, as before the split (examples/demo.py imports it).
from zoo.cli.common import quiet_tensorflow  # noqa: F401

ZOO_PACKAGE = pathlib.Path(zoo.__file__).resolve().parent
# zoo's own error classes, whatever raised them; their messages are written for users.
USER_ERRORS = (zoo.UnknownModelError, zoo.WeightsNotAvailableError, zoo.ManifestError, zoo.WeightsIntegrityError,
               zoo.WeightsMismatchError, zoo.PresetError, zoo.PushError, zoo.ExportError, FileExistsError,
               FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoo", description="A Keras 3 model zoo.")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in (catalog, weights, train, share):  # this order is the order of `zoo --help`
        group.add_parsers(commands)
    return parser


def _raised_by_zoo(error: BaseException) -> bool:
    """Whether zoo's own code raised ``error`` (a check of the user's input), not a library below it."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    return trace is not None and ZOO_PACKAGE in pathlib.Path(trace.tb_frame.f_code.co_filename).resolve().parents


def _stdout_gone() -> None:
    """The reader of stdout left (``zoo info resnet50 | head -2``): write the rest nowhere, quietly."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: stdout is not a real file (captured)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handlers, not at exit
        return code
    except BrokenPipeError:
        _stdout_gone()
        return 141  # what a shell reports for a command ended by SIGPIPE
    except KeyboardInterrupt:
        print("zoo: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as error:
        print(f"zoo: {error}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as error:
        if not _raised_by_zoo(error):
            raise  # not one of zoo's input checks: a bug to report, with its traceback
        print(f"zoo: {error}", file=sys.stderr)
        return 2
