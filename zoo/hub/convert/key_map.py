"""Tensor names as a checkpoint has them -> the names a family's converter expects.

Checkpoints from training code rarely carry a bare model's names: DataParallel prefixes every
name with ``module.``, and a model wrapped as a submodule prefixes it with that attribute
(``features.``, ``backbone.``). ``rename`` strips ``module.`` when every name has it, then applies
a ``key_map``: ordered prefix rewrites (``(("features.", ""),)``, the first rule whose prefix
matches wins, ``None`` drops the tensor) or a callable ``name -> new name or None``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar

from zoo.hub.errors import WeightsMismatchError

DATA_PARALLEL_PREFIX = "module."
Value = TypeVar("Value")


def entry_field(entry: Any, name: str, default: Any) -> Any:
    """A weights entry's field; converters are also called with no entry (None or {})."""
    return getattr(entry, name, default) if entry else default


def strip_data_parallel(names: list[str]) -> dict[str, str]:
    """``{name: name without module.}`` when every name starts with ``module.`` (nested wrappers too)."""
    renamed = {name: name for name in names}
    while renamed and all(new.startswith(DATA_PARALLEL_PREFIX) for new in renamed.values()):
        renamed = {old: new[len(DATA_PARALLEL_PREFIX):] for old, new in renamed.items()}
    return renamed


def _rule(key_map: Any) -> Callable[[str], Any]:
    if callable(key_map):
        return key_map
    rules = tuple(key_map.items()) if isinstance(key_map, Mapping) else tuple(key_map)

    def rewrite(name: str) -> str | None:
        for old, new in rules:
            if name.startswith(old):
                return None if new is None else new + name[len(old):]
        return name

    return rewrite


def describe(key_map: Any) -> str:
    if callable(key_map):
        return f"key_map {getattr(key_map, '__name__', 'callable')}"
    return f"key_map {dict(key_map.items() if isinstance(key_map, Mapping) else key_map)!r}"


def rename(path: str | Path, state: dict[str, Value], key_map: Any = None) -> tuple[dict[str, Value], dict[str, str]]:
    """``(renamed state, {new name: name in the file})``; tensors the key_map drops are left out.

    A key_map that renames nothing, names that collide, or a callable returning something other
    than a string or None are ``WeightsMismatchError`` / ``TypeError`` naming the tensor.
    """
    stripped = strip_data_parallel(list(state))
    if not key_map:
        return {new: state[old] for old, new in stripped.items()}, {new: old for old, new in stripped.items()}
    rewrite = _rule(key_map)
    renamed: dict[str, Value] = {}
    origin: dict[str, str] = {}
    changed = 0
    for old, name in stripped.items():
        new = rewrite(name)
        if new is not None and not isinstance(new, str):
            raise TypeError(f"{describe(key_map)} returned {new!r} ({type(new).__name__}) for tensor {name!r}; "
                            f"it must return the new name (a string) or None to drop the tensor")
        changed += new != name
        if new is None:
            continue
        if not new:
            raise WeightsMismatchError(f"{describe(key_map)} renames tensor {name!r} of {path} to an empty name")
        if new in renamed:
            raise WeightsMismatchError(f"{describe(key_map)} gives two tensors of {path} the name {new!r}: "
                                       f"{origin[new]!r} and {old!r}")
        renamed[new], origin[new] = state[old], old
    if not changed:
        examples = ", ".join(repr(name) for name in list(stripped.values())[:4])
        stripped_note = " ('module.' was already stripped)" if any(o != n for o, n in stripped.items()) else ""
        raise WeightsMismatchError(
            f"{describe(key_map)} renames none of the {len(stripped)} tensors in {path}: its names look like "
            f"{examples}{stripped_note}; each key is a prefix of those names, replaced by its value")
    return renamed, origin
