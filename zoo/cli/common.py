"""What every ``zoo`` command group shares: the quiet TensorFlow import and the argparse value types."""

from __future__ import annotations

import argparse
import os
import sys


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ start-up chatter (CUDA probing on a machine without a GPU: ``failed call to
    cuInit``, ``Could not find cuda drivers``; oneDNN notices) off stderr, unless the user chose a log level.

    ``TF_CPP_MIN_LOG_LEVEL=3`` silences what TensorFlow logs after it has set up its logging; the lines
    logged before that ignore the level, so stderr is pointed at /dev/null while TensorFlow is imported.
    Errors still arrive as Python exceptions. GPUs stay visible: nothing here changes device selection.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr file descriptor (embedded use): nothing to quiet
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def whole_number(minimum: int):
    """An argparse type for counts (steps, samples, trials, batch sizes): whole numbers >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}; got {text!r}")
        return value

    return parse


def path_text(text: str) -> str:
    """An argparse type for files and folders: an empty path would mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must be a path; got an empty string")
    return text


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0; got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return value
