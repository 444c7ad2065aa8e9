"""Class-name lists that weights entries refer to by name (``"classes": "imagenet1k"``)."""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Any, Sequence

# name -> (package, file inside it). ImageNet-1k: the WordNet ids in class-index
# order, as tensorflow-datasets ships them (found without importing tfds).
CLASS_LISTS = {
    "imagenet1k": ("tensorflow_datasets", "datasets/imagenet2012/labels.txt"),
}
# name -> English names in the same order, shipped as package data (tools/extract_imagenet_names.py
# writes them from torchvision's wheel, BSD-3-Clause; the file's "source" says which).
READABLE_NAMES = {
    "imagenet1k": Path(__file__).parent / "data" / "imagenet1k_names.json",
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


@functools.lru_cache(maxsize=None)
def readable_names(name: str) -> tuple[str, ...]:
    """The English names of the known class list ``name`` (e.g. ``"imagenet1k"``), in class-index order."""
    names = json.loads(READABLE_NAMES[name].read_text(encoding="utf-8"))["names"]
    if len(names) != len(_named_list(name)):
        raise ValueError(f"{READABLE_NAMES[name]} has {len(names)} names for the {len(_named_list(name))} "
                         f"classes of {name!r}; rerun tools/extract_imagenet_names.py.")
    return tuple(names)


def known_list(classes: Sequence[str] | None) -> str | None:
    """The name of the known class list ``classes`` is (e.g. a model's ImageNet WordNet ids), or None."""
    if not classes:
        return None
    for name in READABLE_NAMES:
        try:
            ids = _named_list(name)
        except FileNotFoundError:  # the package that holds the ids is not installed
            continue
        if len(classes) == len(ids) and classes[0] == ids[0] and tuple(classes) == ids:
            return name
    return None
