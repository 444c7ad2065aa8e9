"""Small datasets zoo generates itself, offline and reproducibly: the sequence models' dates task, and
MNIST-M (``zoo.datasets.mnist_m``, the target domain of domain adaptation) from MNIST and two photographs.

>>> import zoo, numpy as np
>>> images, labels = zoo.datasets.mnist_m(np.zeros((1, 28, 28)), seed=0)
>>> images.shape, labels
((1, 28, 28, 3), None)
"""

from zoo.datasets.mnist_m import mnist_m

__all__ = ["mnist_m"]
