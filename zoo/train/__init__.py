"""Training recipes, input adapters and callbacks (imports TensorFlow)."""
