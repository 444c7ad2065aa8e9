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


class PresetError(ValueError):
    """A folder or Hub repository that is not a usable zoo preset (``model.save_preset``)."""


class PushError(RuntimeError):
    """The Hub refused or failed an upload; the message says why and what to do (never the token)."""


class ExportError(RuntimeError):
    """A model could not be exported for serving; nothing was written."""


class ExportParityError(ExportError):
    """An exported artifact does not reproduce the Keras model's outputs; nothing was written."""


class PixelRangeWarning(UserWarning):
    """Float images that all lie in [0, 1] were given where zoo expects raw 0-255 pixels."""
