"""Class-name lists that weights entries refer to by name (``"classes": "imagenet1k"``)."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

# name -> (package, file inside it). ImageNet-1k: the WordNet ids in class-index
# order, as tensorflow-datasets ships them (found without importing tfds).
CLASS_LISTS = {
    "imagenet1k": ("tensorflow_datasets", "datasets/imagenet2012/labels.txt"),
}


@functools.lru_cache(maxsize=None)
def _named_list(name: str) -> tuple[str, ...]:
    package, relative = CLASS_LISTS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"class list {name!r} needs the {package} package")
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    return tuple(line.strip() for line in path.read_text().splitlines() if line.strip())


def class_names(classes: Any) -> list[str] | None:
    """Resolve an entry's ``classes``: a list of names, a known list's name, or nothing."""
    if classes is None:
        return None
    if isinstance(classes, str):
        if classes not in CLASS_LISTS:
            raise ValueError(f"unknown class list {classes!r}; known: {', '.join(CLASS_LISTS)}")
        return list(_named_list(classes))
    return [str(name) for name in classes]
