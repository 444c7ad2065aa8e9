"""Teach a sequence model to read dates: "3rd of March 2021" -> "2021-03-03". Train, evaluate, plot attention.

    python examples/translate_dates.py [--model seq2seq_attention|transformer] [--epochs 6] [--out dates_attention.png]
    python examples/translate_dates.py --pretrained     # the bundled weights: evaluate and plot only

The data is generated offline from a seed (``zoo.datasets.dates``): 20,000
training pairs and 2,000 held-out pairs whose written forms never occur in
training. The printed figure is the held-out exact match (greedy decoding).
"""

from __future__ import annotations

import argparse
from typing import Sequence

import keras

import zoo
from zoo.datasets import dates
from zoo.tasks.translation import vocabularies

PROBES = ["march 3rd, 2021", "Wednesday, March 3, 2021", "03/03/21", "the 1st of january, 1999", "12.10.2049"]


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="seq2seq_attention", choices=["seq2seq_attention", "transformer"])
    parser.add_argument("--pretrained", action="store_true", help="load <model>.dates instead of training")
    parser.add_argument("--train-size", type=int, default=20_000)
    parser.add_argument("--test-size", type=int, default=2_000)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--size", default="tiny", help="transformer size (tiny, small, base)")
    parser.add_argument("--out", default="dates_attention.png")
    args = parser.parse_args(argv)

    train, test = dates.splits(args.train_size, args.test_size, seed=0)
    if args.pretrained:
        model = zoo.load(f"{args.model}.dates")
    else:
        keras.utils.set_random_seed(0)
        shapes = {"seq2seq_attention": dict(embedding_dim=32, units=64),
                  "transformer": dict(size=args.size, dropout=0.1)}[args.model]
        model = zoo.create(args.model, max_output_length=16, **shapes,
                           **vocabularies(*train, tokens="char", lowercase=True))
        model.compile(keras.optimizers.Adam(3e-3 if args.model == "seq2seq_attention" else 1e-3))
        model.fit(*train, batch_size=64, epochs=args.epochs, validation_data=test, verbose=2)
    exact = model.exact_match(*test)
    print(f"{model.model_name}: held-out exact match {exact:.4f} on {len(test[0])} dates")
    for text, iso in zip(PROBES, model.translate(PROBES, method="beam")):
        print(f"  {text!r:32} -> {iso}")
    path = model.attention_map(PROBES[1], args.out)
    print(f"attention map: {path}")
    return {"exact_match": exact, "attention_map": str(path)}


if __name__ == "__main__":
    main()
