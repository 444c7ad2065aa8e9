"""Greedy and beam-search decoding, for any network that scores the next token of a prefix.

Both take ``next_log_probs(prefix) -> (rows, vocab)`` (log-probabilities of the
token after each row of ``prefix``, a numpy int array that starts with the
start token) and return the generated ids without the start token, padded with
0 after each sequence's end token. With ``beam_size=1`` and no length penalty,
beam search makes exactly greedy's choices.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

NextLogProbs = Callable[[np.ndarray], np.ndarray]


def greedy(next_log_probs: NextLogProbs, batch: int, max_length: int, *, start_id: int, end_id: int,
           pad_id: int = 0) -> np.ndarray:
    prefix = np.full((batch, 1), start_id, "int32")
    finished = np.zeros(batch, bool)
    for _ in range(max_length):
        token = np.asarray(next_log_probs(prefix)).argmax(axis=-1).astype("int32")
        token = np.where(finished, pad_id, token)
        prefix = np.concatenate([prefix, token[:, None]], axis=1)
        finished |= token == end_id
        if finished.all():
            break
    return prefix[:, 1:]


def beam_search(next_log_probs: NextLogProbs, batch: int, max_length: int, *, beam_size: int, start_id: int,
                end_id: int, pad_id: int = 0, length_penalty: float = 0.0) -> np.ndarray:
    """The best of ``beam_size`` hypotheses per input. ``next_log_probs`` sees ``batch * beam_size``
    rows, row ``b * beam_size + k`` being hypothesis k of input b. Finished hypotheses are ranked by
    log-probability / length**length_penalty (0: plain log-probability)."""
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1; got {beam_size}.")
    k = beam_size
    prefix = np.full((batch, k, 1), start_id, "int32")
    scores = np.full((batch, k), -np.inf)
    scores[:, 0] = 0.0  # all hypotheses start identical: expand only the first
    finished = np.zeros((batch, k), bool)
    lengths = np.zeros((batch, k))
    rows = np.arange(batch)[:, None]
    for _ in range(max_length):
        log_probs = np.asarray(next_log_probs(prefix.reshape(batch * k, -1)), "float64")
        vocab = log_probs.shape[-1]
        log_probs = log_probs.reshape(batch, k, vocab)
        done = np.full(vocab, -np.inf)
        done[pad_id] = 0.0  # a finished hypothesis continues only with padding, at no cost
        log_probs = np.where(finished[..., None], done, log_probs)
        candidates = (scores[..., None] + log_probs).reshape(batch, k * vocab)
        best = np.argsort(-candidates, axis=1, kind="stable")[:, :k]  # ties: the lowest index, like argmax
        beam, token = best // vocab, (best % vocab).astype("int32")
        scores = np.take_along_axis(candidates, best, axis=1)
        lengths = lengths[rows, beam] + ~finished[rows, beam]
        prefix = np.concatenate([prefix[rows, beam], token[..., None]], axis=2)
        finished = finished[rows, beam] | (token == end_id)
        if finished.all():
            break
    ranked = scores / np.maximum(lengths, 1) ** length_penalty if length_penalty else scores
    choice = ranked.argmax(axis=1)
    return prefix[np.arange(batch), choice, 1:]
