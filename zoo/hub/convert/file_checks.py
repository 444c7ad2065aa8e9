"""What every converter does with a weights file: treat it as hostile until checked.

A file can be damaged, truncated, not the format its manifest entry names, or
crafted. Each reader checks the file's records against each other and against
the file's size before any byte becomes an array, and reports the first
inconsistency as a ``WeightsFormatError`` naming the file and the record.
"""

from __future__ import annotations

import pickle
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from zoo.hub.errors import WeightsFormatError

REMEDY = ("the file is damaged, truncated, crafted or not in the format its manifest entry names; "
          "delete it and fetch it again, or correct the entry's 'format'")

# What parsers raise on bytes they cannot make sense of (zipfile, pickle, h5py, json, struct, numpy).
# Caught only around parsing, and reported as a WeightsFormatError naming the file.
PARSE_ERRORS = (
    pickle.UnpicklingError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError,
    OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, UnicodeError,
    NotImplementedError, RuntimeError, MemoryError, RecursionError,
    SystemError,  # h5py's wrapper for an error raised inside its own callbacks (a name that is not UTF-8)
)

# Largest size, stride, offset or element count a reader accepts: far above any real tensor, and
# small enough that arithmetic on it stays cheap (a pickle may hold a million-digit integer).
MAX_COUNT = 1 << 50
NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float


def format_error(path: str | Path, problem: str) -> WeightsFormatError:
    return WeightsFormatError(f"{path}: {problem} ({REMEDY})")


def parse_failure(path: str | Path, error: BaseException, what: str) -> WeightsFormatError:
    """A parser's own exception, as a zoo error that says which file and which layer of it."""
    detail = str(error)[:200] or type(error).__name__
    return format_error(path, f"{what} cannot be read ({type(error).__name__}: {detail})")


def a_type(value: Any) -> str:
    """``value``'s type with its article, for messages: "an int", "a str"."""
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def is_count(value: Any) -> bool:
    """A non-negative Python int within MAX_COUNT (bool is not a count)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def check_file(path: str | Path, kind: str) -> int:
    """The file's size; refuses a missing or empty file before any parser sees it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} does not exist; fetch it again (zoo download)")
    size = path.stat().st_size
    if size == 0:
        raise format_error(path, f"is empty, not a {kind} file")
    return size


def numeric_array(path: str | Path, name: str, value: Any) -> np.ndarray:
    """``value`` if it is a numeric NumPy array (what a tensor becomes), else a format error naming it."""
    if not isinstance(value, np.ndarray):
        raise format_error(path, f"entry {name!r} is {a_type(value)}, not a tensor")
    if value.dtype.kind not in NUMERIC_KINDS:
        raise format_error(path, f"tensor {name!r} holds {value.dtype} data, not numbers")
    return value


# Where training code keeps the model's state dict inside a checkpoint, in the order they are tried
# (torch's examples and timm save "state_dict"; DeiT, MAE and detectron-style code "model").
CHECKPOINT_KEYS = ("state_dict", "model", "module", "net", "ema")


def checkpoint_state(state: Any, is_tensor: Any) -> Any:
    """The state dict inside a training checkpoint (``{"state_dict": {...}, "epoch": 3, ...}``), or
    ``state`` itself when it is one; at most two containers deep (``{"model": {"state_dict": ...}}``)."""
    for _ in range(3):
        if not isinstance(state, dict) or all(is_tensor(value) for value in state.values()):
            return state
        inner = next((state[key] for key in CHECKPOINT_KEYS if isinstance(state.get(key), dict)), None)
        if inner is None:
            return state  # tensor_dict names the first entry that is not a tensor
        state = inner
    return state


def tensor_dict(path: str | Path, state: Any) -> dict[str, np.ndarray]:
    """A state dict of named numeric tensors, checked entry by entry (never converted blindly:
    ``np.asarray`` on a crafted nested list could demand unbounded memory)."""
    if not isinstance(state, dict):
        raise format_error(path, f"holds {a_type(state)}, not a state dict of tensors")
    checked = {}
    for name, value in state.items():
        if not isinstance(name, str):
            raise format_error(path, f"has {a_type(name)} where a tensor name (a string) belongs")
        checked[name] = numeric_array(path, name, value)
    return checked
