"""Train the bundled date-translation models and record their held-out exact match.

    python tools/train_dates.py [seq2seq_attention transformer] [--epochs N]   # --epochs: smoke run, repo untouched

Data: ``zoo.datasets.dates.splits(20_000, 2_000, seed=0)``: 20,000 written dates
-> ISO pairs for training, 2,000 held-out pairs whose written forms never occur
in training. Both models read characters (lower-cased) and write characters.
Metric: exact match of greedy translations of the held-out set, measured on the
float16 file as shipped. Weights are stored as float16.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import bundled  # noqa: E402

SEED = 0
TEXT = {"tokens": "char", "lowercase": True, "max_output_length": 16}
RUNS = {
    "seq2seq_attention": {"config": {**TEXT, "embedding_dim": 32, "units": 64, "cell": "gru", "dropout": 0.0},
                          "epochs": 6, "learning_rate": 3e-3},
    "transformer": {"config": {**TEXT, "size": "tiny", "dropout": 0.1, "positions": "sinusoidal", "norm": "post"},
                    "epochs": 20, "learning_rate": 1e-3},
}
BATCH = 64
COMMAND = "python tools/train_dates.py"


def train(name: str, epochs: int, train_pairs, test_pairs):
    import keras

    import zoo
    from zoo.tasks.translation import vocabularies

    keras.utils.set_random_seed(SEED)
    config = RUNS[name]["config"]
    model = zoo.create(name, **{**config, **vocabularies(*train_pairs, tokens=config["tokens"],
                                                         lowercase=config["lowercase"])})
    model.compile(keras.optimizers.Adam(RUNS[name]["learning_rate"]))
    started = time.time()
    model.fit(*train_pairs, batch_size=BATCH, epochs=epochs, validation_data=test_pairs, verbose=2)
    return model, time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(RUNS))
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    smoke = args.epochs is not None
    import zoo
    from zoo.datasets import dates

    train_pairs, test_pairs = dates.splits(20_000, 2_000, seed=SEED)
    for name in args.names:
        epochs = args.epochs or RUNS[name]["epochs"]
        model, seconds = train(name, epochs, train_pairs, test_pairs)
        out = bundled.save_float16(model, name, "dates", smoke)
        if smoke:
            print(f"{name}: {epochs} epochs in {seconds:.0f}s; exact match {model.exact_match(*test_pairs):.4f}")
            continue
        entry = bundled.entry(
            out, config=dict(model.build_config),  # the run's configuration with the vocabularies learnt from the data
            license="Apache-2.0 (trained by zoo on data zoo generates: zoo.datasets.dates)",
            training={
                "data": "zoo.datasets.dates.splits(20_000, 2_000, seed=0): 20,000 written dates -> ISO 8601",
                "recipe": f"{epochs} epochs, batch {BATCH}, Adam {RUNS[name]['learning_rate']}, masked cross-entropy",
                "command": COMMAND, "seconds": round(seconds, 1),
            })
        bundled.record(name, "dates", entry)
        shipped = zoo.load(f"{name}.dates")
        started = time.time()
        exact = shipped.exact_match(*test_pairs)
        entry["metrics"] = {
            "dates_heldout_exact_match": round(exact, 4),
            "dates_heldout_exact_match_beam4": round(shipped.exact_match(*test_pairs, method="beam"), 4),
            "source": f"measured by `{COMMAND}` on the 2,000 held-out pairs (greedy; and beam search, 4 beams)",
        }
        bundled.record(name, "dates", entry)
        shipped.attention_map("Wednesday, March 3, 2021", ROOT / "docs" / f"{name}_dates_attention.png")
        print(f"{name}.dates: {epochs} epochs in {seconds:.0f}s; {entry['metrics']} "
              f"(greedy on 2,000 in {time.time() - started:.1f}s)")

if __name__ == "__main__":
    main()
