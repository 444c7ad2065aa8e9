"""Errors of the weights layer. Stdlib only."""

from __future__ import annotations


class WeightsIntegrityError(RuntimeError):
    """A weights file does not have the expected hash.

    ``deleted`` says whether zoo removed it: only files zoo itself downloaded into
    ``$ZOO_CACHE`` are ever removed; bundled, local, mirror and preset files stay as they are.
    """

    def __init__(self, path: str, algorithm: str, expected: str, actual: str, *, deleted: bool = False):
        self.path, self.algorithm, self.expected, self.actual = path, algorithm, expected, actual
        self.deleted = deleted
        fate = ("zoo deleted its download" if deleted
                else "the file was left exactly as it is (zoo only deletes files it downloaded)")
        super().__init__(
            f"{path}: {algorithm} is {actual}, expected {expected}; {fate}. "
            f"The file may be corrupt or tampered with, or the manifest entry's hash is wrong."
        )


class WeightsMismatchError(ValueError):
    """A weights file that does not fit the architecture it is loaded into."""


class WeightsFormatError(WeightsMismatchError):
    """A weights file that is malformed or inconsistent (hostile or damaged): refused before any
    of its bytes become a tensor. The message names the file and the first bad record."""
