"""zoo's version, in the lowest layer so presets and pushes can record it without importing the package API."""

__version__ = "0.1.0"
