"""Pure Keras 3 builders, one architecture per file. The registry lives in ``zoo/catalog.py``."""
