"""Domain-adversarial training (DANN): a classifier adapted to an unlabelled target domain.

The task object (zoo.tasks.dann) builds the classifier network (``builder``: the paper's
small CNN, or a zoo backbone named by ``backbone``) and the domain classifier that trains
it through a gradient reversal layer; ``params`` counts both.
"""

from __future__ import annotations

from zoo.families import Family, ModelSpec

FAMILY = Family(
    name="dann",
    models=(
        ModelSpec(
            name="dann",
            family="dann",
            task="domain_adaptation",
            builder="zoo.models.dann:build_network",
            config={"input_shape": (28, 28, 3), "num_classes": 10, "base_filters": 32, "hidden_units": 100,
                    "domain_units": 100, "backbone": None, "backbone_config": None},
            input_shape=(28, 28, 3),
            min_input_size=16,
            params=205_892,
            description="Domain-adversarial neural network: label classifier on labelled source images, domain "
                        "classifier through a gradient reversal layer on source + unlabelled target images; "
                        "the paper's digit CNN or any zoo backbone (backbone='resnet18').",
            paper="Ganin & Lempitsky, Unsupervised Domain Adaptation by Backpropagation, ICML 2015 "
                  "(arXiv:1409.7495)",
            head_layers=("predictions",),
        ),
    ),
)
