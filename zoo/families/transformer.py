"""The Transformer encoder-decoder: text in, text out (zoo.tasks.translation)."""

from __future__ import annotations

from zoo.families import CHARACTER_TEXT, Family, ModelSpec

FAMILY = Family(
    name="transformer",
    models=(
        ModelSpec(
            name="transformer",
            family="transformer",
            task="translation",
            builder="zoo.models.transformer:build_transformer",
            config={**CHARACTER_TEXT, "size": "base", "dropout": 0.1, "positions": "sinusoidal", "norm": "post"},
            input_shape=(None,),
            min_input_size=1,
            params=44_290_659,
            description="Transformer encoder-decoder; size 'tiny'/'small'/'base' (d_model 512, 6+6 layers, "
                        "8 heads), pre- or post-norm, sinusoidal or learned positions.",
            paper="Vaswani et al., Attention Is All You Need, 2017 (arXiv:1706.03762)",
            head_layers=(),
        ),
    ),
    search_spaces={"transformer": "zoo.tune.transformer:TransformerHyperModel"},
)
