"""PNG figures for the library (attention maps, search reports): matplotlib without a display."""

from __future__ import annotations

from pathlib import Path


def subplots(**kwargs):
    """``(figure, axes)`` on the non-interactive Agg backend (no display needed)."""
    # lazy: pyplot takes ~0.5 s to import; only drawing needs it, and the backend is chosen first
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy (see above), and after the backend is chosen

    return plt.subplots(**kwargs)


def save(figure, path: str | Path, dpi: int = 100) -> Path:
    """Write ``figure`` as a PNG (creating the folder) and free it."""
    import matplotlib.pyplot as plt  # lazy: see subplots

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
    return path
