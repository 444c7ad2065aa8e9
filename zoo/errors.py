"""Exceptions users may catch. Stdlib only, so the registry and CLI stay light."""

from __future__ import annotations


class UnknownModelError(KeyError):
    """A model name (or ``name.tag``) that zoo does not know.

    A ``KeyError`` so that ``except KeyError`` keeps working; its message lists
    the closest known names.
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownWeightsTagError(UnknownModelError):
    """A ``name.tag`` whose model exists but whose weights tag does not."""


class WeightsNotAvailableError(RuntimeError):
    """Pretrained weights were asked for but cannot be provided."""
