"""Every family zoo knows, gathered from its module ``zoo/families/<family>.py``.

The registry lists and resolves the models from here, ``zoo.tune`` finds its
search spaces here and the PyTorch weights converter its name maps. Stdlib only,
like the family modules. ``params`` in each record is the parameter count of the
default configuration (tests/test_catalog.py builds each model and checks it;
``tools/print_param_counts.py`` prints them).
"""

from __future__ import annotations

import importlib
import pkgutil

from zoo import families
from zoo.families import Family, ModelSpec


def _gather() -> dict[str, Family]:
    found: dict[str, Family] = {}
    for module_info in sorted(pkgutil.iter_modules(families.__path__), key=lambda m: m.name):
        family = importlib.import_module(f"{families.__name__}.{module_info.name}").FAMILY
        # A reader finds a family by its name: zoo/families/resnet.py declares "resnet".
        if family.name != module_info.name:
            raise ValueError(f"zoo/families/{module_info.name}.py declares the family {family.name!r}; "
                             f"it belongs in zoo/families/{family.name}.py")
        found[family.name] = family
    return found


FAMILIES: dict[str, Family] = _gather()
MODELS: tuple[ModelSpec, ...] = tuple(spec for family in FAMILIES.values() for spec in family.models)


def _search_spaces() -> dict[str, Family]:
    spaces: dict[str, Family] = {}
    for family in FAMILIES.values():
        for space in family.search_spaces:
            if space in spaces:
                raise ValueError(f"search space {space!r} is declared by {spaces[space].name} and {family.name}")
            spaces[space] = family
    return spaces


# zoo.tune's search space name -> the family that declares it.
SEARCH_SPACES: dict[str, Family] = _search_spaces()
