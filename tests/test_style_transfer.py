"""Neural style transfer's mechanics, proven offline on a tiny random-weight ResNet (no ImageNet VGG here)."""

import numpy as np
import pytest

import zoo
from zoo.tasks import style as style_lib

RNG = np.random.default_rng(0)
CONTENT = RNG.uniform(0, 255, (24, 24, 3)).astype("float32")
# A style unlike the content: stripes, in another size (the style is used at its own size).
STYLE = np.tile(np.where(np.arange(20) % 4 < 2, 250.0, 10.0)[None, :, None], (20, 1, 3)).astype("float32")


@pytest.fixture(scope="module")
def net():
    return zoo.create("resnet18", input_shape=(24, 24, 3), base_width=4, stem="cifar")


def options(**given):
    weights = {"content_weight": given.pop("content_weight", 1.0), "style_weight": given.pop("style_weight", 1e6),
               "tv_weight": given.pop("tv_weight", 0.0)}
    defaults = dict(steps=15, learning_rate=5.0, init="content", save_every=None, out_dir=None, seed=0)
    return style_lib.checked_options(**{**defaults, **given}, weights=weights)


def style_distance(net, image):
    """Mean squared Gram difference between ``image`` and STYLE at the default style layers."""
    transfer = style_lib.Transfer(net, CONTENT, STYLE, [], style_lib.default_layers(
        net.network, "resnet", ())[1], options())
    return float(style_lib.style_loss(transfer.features(transfer.network, image.astype("float32")),
                                      transfer.style_grams))


def test_gram_matrix_is_the_channel_correlations_over_positions():
    maps = np.random.default_rng(1).normal(size=(2, 3, 4, 5)).astype("float32")
    expected = np.einsum("bijc,bijd->bcd", maps, maps) / (3 * 4)
    np.testing.assert_allclose(style_lib.gram_matrix(maps).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert float(style_lib.total_variation(np.ones((1, 4, 4, 3), "float32"))) == 0.0


def test_default_layers_per_family(net):
    content, style = style_lib.default_layers(net.network, "resnet", ())
    assert content == ["conv4_block2_out"]
    assert style == ["conv1_relu", "conv2_block2_out", "conv3_block2_out", "conv4_block2_out", "conv5_block2_out"]
    names = ["block1_conv1", "block1_conv2", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1",
             "block5_conv2"]
    assert style_lib.resolve_patterns(names, style_lib.STYLE_LAYERS["vgg"][1]) == [
        f"block{b}_conv1" for b in range(1, 6)]
    assert style_lib.resolve_patterns(names, style_lib.STYLE_LAYERS["vgg"][0]) == ["block5_conv2"]


def test_losses_fall_and_the_gram_matrices_move_towards_the_style(net, tmp_path):
    history = []
    image = style_lib.run(net, CONTENT, STYLE, None, None,
                          options(content_weight=0.0, save_every=5, out_dir=tmp_path), verbose=0, history=history)
    losses = [step["loss"] for step in history]
    assert len(losses) == 15 and losses[-1] < 0.5 * losses[0], losses
    assert style_distance(net, image) < 0.5 * style_distance(net, CONTENT)
    # Shape, dtype, range; the intermediate PNGs and the final one.
    assert image.shape == (24, 24, 3) and image.dtype == np.uint8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["final.png", "step_00005.png", "step_00010.png",
                                                          "step_00015.png"]
    from PIL import Image
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "final.png")), image)


def test_without_style_the_content_start_stays_the_content_image(net, tmp_path):
    path = tmp_path / "content.png"
    Image = pytest.importorskip("PIL.Image")
    Image.fromarray(CONTENT.astype("uint8")).save(path)
    image = zoo.style_transfer(str(path), STYLE[..., 0], backbone=net, style_weight=0.0, steps=5, verbose=0)
    assert np.abs(image.astype(int) - CONTENT.astype("uint8").astype(int)).max() <= 1


def test_noise_start_is_seeded_and_strategy_scope_runs(net):
    import tensorflow as tf
    first = zoo.style_transfer(CONTENT, STYLE, backbone=net, init="noise", steps=1, verbose=0, seed=3,
                               strategy=tf.distribute.OneDeviceStrategy("/cpu:0"))
    again = zoo.style_transfer(CONTENT, STYLE, backbone=net, init="noise", steps=1, verbose=0, seed=3)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first.astype(int) - CONTENT.astype(int)).mean() > 40  # not the content: noise


def test_an_unregistered_backbone_names_the_available_ones():
    with pytest.raises(ValueError, match="available backbones: .*resnet18"):
        zoo.style_transfer(CONTENT, STYLE, backbone="vgg_no_such")


def test_a_named_backbone_loads_its_weights_and_keeps_its_channels(zoo_env, monkeypatch):
    # The bundled grey-digit ResNet-18 (by name, offline): colour inputs become its one channel.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    image = zoo.style_transfer(CONTENT[..., 0], STYLE, backbone="resnet18.mnist", steps=1, verbose=0)
    assert image.shape == (24, 24, 1) and image.dtype == np.uint8
