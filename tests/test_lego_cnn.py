"""lego_cnn: the block-by-block conv stack that zoo.tune searches."""

import numpy as np
import pytest

import zoo
from tests.harness import check_outputs, check_save_load


def test_every_block_option_builds_and_trains():
    blocks = [{"filters": 8, "kernel": 5, "pool": True},
              {"filters": 16, "mlpconv": 2},
              {"filters": 16, "inception": True, "pool": True}]
    model = zoo.create("lego_cnn", blocks=blocks, head="dense", dense_units=16, dropout=0.2, num_classes=3,
                       input_shape=(16, 16, 1))
    names = {layer.name for layer in model.network.layers}
    assert {"block1_pool", "block2_mlp2_conv", "block3_5x5_conv", "block3_branch_pool", "fc", "head_dropout"} <= names
    assert model.network.get_layer("block3_concat").output.shape[-1] == 4 + 8 + 2 + 2  # 1/4, 1/2, 1/8, 1/8 of 16
    assert model.network.get_layer("flatten").output.shape[-1] == 4 * 4 * 16  # two pools: 16 -> 4
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (12, 16, 16, 1)).astype("float32"), np.arange(12) % 3
    model.compile()
    history = model.fit(x, y, batch_size=6, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_gap_head_takes_any_size_and_round_trips(tmp_path):
    blocks = [{"filters": 4, "pool": True}] * 3
    check_outputs("lego_cnn", (5, 7, 3), 2, blocks=blocks)  # three pools: 5x7 -> 1x1 ("same" padding)
    check_save_load(zoo.create("lego_cnn", num_classes=3, input_shape=(16, 16, 1), blocks=blocks), tmp_path)


@pytest.mark.parametrize("options, message", [
    (dict(blocks=[]), "at least one block"),
    (dict(blocks=[{"filters": 8, "stride": 2}]), "only keys"),
    (dict(head="mlp"), "head must be one of"),
])
def test_bad_descriptions_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        zoo.create("lego_cnn", input_shape=(16, 16, 1), num_classes=2, **options)


def test_lego_search_space(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 100, (24, 16, 16, 1)).astype("float32"), np.arange(24) % 2
    result = zoo.tune("lego_cnn", (x, y), (x, y), max_trials=2, epochs=1, batch_size=12, directory=str(tmp_path),
                      verbose=0, fixed={"blocks": 2, "block1_filters": 16, "block2_filters": 16})  # small: tracing dominates
    assert len(result.trials) == 2 and result.best_model.model_name == "lego_cnn"
    assert {"blocks", "block1_pool", "block1_inception", "head"} <= set(result.best_hyperparameters)
    assert result.best_model.build_config["blocks"][0]["filters"] == 16  # what fixed= pinned
    assert len(result.best_model.build_config["blocks"]) == result.best_hyperparameters["blocks"]
