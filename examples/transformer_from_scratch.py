"""A Transformer from scratch on a word-level task: English number words -> digits.

    python examples/transformer_from_scratch.py [--epochs 30] [--out transformer.keras]

"three hundred and twelve" -> "3 1 2". The vocabularies are learnt from the
training text (word level), the architecture is set option by option (pre-norm,
learned positions), decoding uses beam search, and the model is saved as one
``.keras`` file (vocabularies included) and loaded back.
"""

from __future__ import annotations

import argparse
import random
from typing import Sequence

import keras

import zoo

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
       "seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def words(n: int) -> str:
    """0 <= n < 10,000 in English words."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " and " + words(rest))
    rest = n % 1000
    return words(n // 1000) + " thousand" + ("" if rest == 0 else (" and " if rest < 100 else " ") + words(rest))


def pairs(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    numbers = [rng.randrange(10_000) for _ in range(n)]
    return [words(k) for k in numbers], [" ".join(str(k)) for k in numbers]


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=5_000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--out", default="transformer.keras")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    train, test = pairs(args.train_size, seed=0), pairs(500, seed=1)
    model = zoo.create("transformer", tokens="word", size="tiny", d_model=args.d_model, num_heads=4,
                       norm="pre", positions="learned", max_length=64, dropout=0.1, max_output_length=8)
    model.adapt(*train)  # word vocabularies from the training text (fit would do it too)
    print(f"vocabularies: {len(model.source_codec)} source words, {len(model.target_codec)} target tokens; "
          f"{model.count_params():,} parameters")
    model.compile(keras.optimizers.Adam(1e-3), label_smoothing=0.1)
    model.fit(*train, batch_size=64, epochs=args.epochs, validation_data=test, verbose=2)
    exact = model.exact_match(*test, method="beam", beam_size=4)
    print(f"held-out exact match (beam 4): {exact:.4f}")
    model.save(args.out)
    restored = zoo.load(args.out)
    probe = ["two thousand and twenty one", "nine hundred and ninety nine"]
    print(dict(zip(probe, restored.translate(probe))))
    return {"exact_match": exact, "restored": restored.translate(probe) == model.translate(probe)}


if __name__ == "__main__":
    main()
