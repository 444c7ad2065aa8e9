"""Errors of the weights layer. Stdlib only."""

from __future__ import annotations


class WeightsIntegrityError(RuntimeError):
    """A downloaded or cached weights file does not have the expected hash."""

    def __init__(self, path: str, algorithm: str, expected: str, actual: str):
        self.path, self.algorithm, self.expected, self.actual = path, algorithm, expected, actual
        super().__init__(
            f"{path}: {algorithm} is {actual}, expected {expected}. The file was deleted; "
            f"the source may be corrupt or tampered with, or the manifest entry's hash is wrong."
        )


class WeightsMismatchError(ValueError):
    """A weights file that does not fit the architecture it is loaded into."""
