"""Pure Keras 3 builders, one architecture per file. Each family's records, which name these builders, live in
``zoo/families/<family>.py``."""
