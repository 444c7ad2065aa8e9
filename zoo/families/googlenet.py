"""GoogLeNet / Inception v1: torchvision's layout and weights, optional auxiliary classifiers."""

from __future__ import annotations

from zoo.families import IMAGENET_SHAPE, FeatureStages, Family, ModelSpec

# The last map before each downsampling max pool, then the last inception block: reductions 2, 4, 8, 16, 32.
FEATURES = FeatureStages(("conv1_relu", "conv3_relu", "inception3b_concat", "inception4e_concat",
                          "inception5b_concat"))


def torch_layer(module: str) -> str:
    # zoo's GoogLeNet names its layers after torchvision's modules, "." -> "_".
    return "predictions" if module == "fc" else module.replace(".", "_")


FAMILY = Family(
    name="googlenet",
    models=(
        ModelSpec(
            name="googlenet",
            family="googlenet",
            task="image_classification",
            builder="zoo.models.googlenet:build_googlenet",
            config={"aux_logits": False},
            input_shape=IMAGENET_SHAPE,
            min_input_size=15,
            params=6_639_464,
            description=(
                "GoogLeNet / Inception v1 with BatchNorm, torchvision's layout; "
                "aux_logits=True adds the paper's two auxiliary classifiers (loss weight 0.3)."
            ),
            paper="Szegedy et al., Going Deeper with Convolutions, 2014 (arXiv:1409.4842)",
            head_layers=("predictions", "aux1_fc2", "aux2_fc2"),
            auxiliary_layers=("aux1_*", "aux2_*"),
            features=FEATURES,
        ),
    ),
    search_spaces={"googlenet": "zoo.tune.googlenet:GoogLeNetHyperModel"},
    torch_layer=torch_layer,
    torch_flattened={"aux1_fc1": (128, 4, 4), "aux2_fc1": (128, 4, 4)},
)
