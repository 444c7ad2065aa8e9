"""Build every registered model in its default configuration and print its parameter counts.

Use it when adding an architecture to ``zoo/catalog.py``: the ``params`` field
there must equal the "total" column (tests/test_catalog.py checks it).

    python tools/print_param_counts.py [PATTERN]
"""

from __future__ import annotations

import argparse

import zoo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pattern", nargs="?", default=None)
    args = parser.parse_args()
    print(f"{'model':<12} {'total':>12} {'trainable':>12} {'catalog':>12}")
    for name in zoo.list_models(args.pattern):
        model = zoo.create(name)
        trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
        print(f"{name:<12} {model.count_params():>12,} {trainable:>12,} {zoo.info(name)['params']:>12,}")


if __name__ == "__main__":
    main()
