"""Weights transforms (resize, centre crop) against independent implementations, on real photographs.

The references are PIL (what timm's evaluation runs: ``Image.resize`` with BILINEAR is antialiased)
and PyTorch's ``interpolate(antialias=True)`` (what torchvision runs on tensors), with the crop
geometry written out from torchvision's published rule. Measured on these photos: zoo vs PyTorch,
max |diff| 0.005 on 0-255 (float vs float); zoo vs PIL, mean |diff| 0.27-0.31 and max 1.0 (PIL
rounds to uint8).
"""

import json
import os

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf
import torch
from PIL import Image
from sklearn.datasets import load_sample_images

import zoo
from zoo import registry
from zoo.manifest import ManifestError, WeightsEntry
from zoo.manifest.entry import Transform
from zoo.tasks.classifier import ImageClassifier
from zoo.train import data as data_lib
from zoo.transforms import ImageTransform

TORCHVISION = {"resize": 256, "crop": 224, "interpolation": "bilinear", "antialias": True}
KERAS_DOCS = {"resize": 224, "crop": 224, "resize_mode": "squash", "interpolation": "nearest", "antialias": False}
TINY = {"input_shape": (32, 32, 3), "base_width": 4}  # a fast resnet18 for the model-level tests


def tiny_config(**changes):
    return {**registry.get_spec("resnet18").config, **TINY, **changes}


@pytest.fixture(scope="module")
def photos():
    china, flower = load_sample_images().images  # 427x640, sklearn's two photographs
    grace = np.asarray(Image.open(os.path.join(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg"))
                       .convert("RGB"))  # 600x512: portrait, the other branch of the shorter-side rule
    return {"china": china, "flower": flower, "grace_hopper": grace,
            "smaller_than_crop": china[100:180, 200:330],  # 80x130: resized up
            "tiny_odd": flower[:37, :23]}


def published_geometry(height, width, resize, crop):
    """torchvision's rule, written out: shorter side -> resize, longer truncated; crop offset round()ed."""
    if width <= height:
        new_height, new_width = int(resize * height / width), resize
    else:
        new_height, new_width = resize, int(resize * width / height)
    return new_height, new_width, int(round((new_height - crop) / 2.0)), int(round((new_width - crop) / 2.0))


def pil_reference(photo, resize=256, crop=224):
    new_height, new_width, top, left = published_geometry(*photo.shape[:2], resize, crop)
    image = Image.fromarray(photo).resize((new_width, new_height), Image.BILINEAR, reducing_gap=None)
    return np.asarray(image.crop((left, top, left + crop, top + crop)), "float32")


def torch_reference(photo, resize=256, crop=224):
    new_height, new_width, top, left = published_geometry(*photo.shape[:2], resize, crop)
    x = torch.from_numpy(photo.astype("float32")).permute(2, 0, 1)[None]
    x = torch.nn.functional.interpolate(x, size=(new_height, new_width), mode="bilinear", antialias=True,
                                        align_corners=False)
    return x[0].permute(1, 2, 0).numpy()[top:top + crop, left:left + crop]


def test_torchvision_transform_matches_pil_and_pytorch_on_photographs(photos):
    transform = ImageTransform((224, 224, 3), "raw", Transform.from_dict(TORCHVISION))
    for name, photo in photos.items():
        ours = np.asarray(transform(photo[None]))[0]
        assert ours.shape == (224, 224, 3), name
        pil, reference = pil_reference(photo), torch_reference(photo)
        assert np.abs(ours - reference).max() < 0.02, name  # the same crop, the same antialiased bilinear kernel
        difference = np.abs(ours - pil)
        assert difference.mean() < 0.4 and difference.max() <= 1.0 + 1e-3, (name, difference.mean(), difference.max())


def test_one_image_in_tf_data_matches_the_eager_batch(photos):
    """finetune's pipeline runs the transform per image with unknown shapes; same pixels as eagerly."""
    transform = ImageTransform((224, 224, 3), "torch", Transform.from_dict(TORCHVISION))
    photo = photos["grace_hopper"]
    dataset = tf.data.Dataset.from_generator(lambda: iter([photo]), output_signature=tf.TensorSpec((None, None, 3),
                                                                                                   tf.uint8))
    (mapped,) = list(dataset.map(transform).as_numpy_iterator())
    np.testing.assert_allclose(mapped, np.asarray(transform(photo[None]))[0], atol=1e-5)


def test_centre_crop_rounds_half_to_even_like_torchvision(photos):
    # 256x257: the resize is the identity and (257 - 224) / 2 = 16.5, which Python's round (torchvision) makes 16.
    photo = photos["china"][:256, :257]
    ours = np.asarray(ImageTransform((224, 224, 3), "raw", Transform(256, 224))(photo[None]))[0]
    np.testing.assert_allclose(ours, photo[16:240, 16:240].astype("float32"), atol=1e-3)


def test_keras_documented_resize_is_nearest_to_224_without_a_crop(photos):
    transform = ImageTransform((224, 224, 3), "raw", Transform.from_dict(KERAS_DOCS))
    for name, photo in photos.items():
        height, width = photo.shape[:2]
        # nearest with pixel centres: source index floor((i + 0.5) * in / out), in exact integer arithmetic
        rows = (2 * np.arange(224) + 1) * height // (2 * 224)
        cols = (2 * np.arange(224) + 1) * width // (2 * 224)
        expected = photo[rows][:, cols].astype("float32")
        np.testing.assert_array_equal(np.asarray(transform(photo[None]))[0], expected, err_msg=name)
    # PIL's NEAREST (keras.utils.load_img) picks the pixel before at exact ties, (i + 0.5) * in / out whole:
    # a neighbouring pixel on 7% of the china photo; upscales agree exactly.
    pil = np.asarray(Image.fromarray(photos["china"]).resize((224, 224), Image.NEAREST), "float32")
    ours = np.asarray(transform(photos["china"][None]))[0]
    assert (np.abs(ours - pil).max(axis=-1) > 0).mean() < 0.1


def test_another_input_size_keeps_the_published_ratio(photos):
    transform = ImageTransform((64, 48, 3), "raw", Transform.from_dict(TORCHVISION))
    assert transform.resize_size == 64 * 256 // 224 == 73 and transform.crop_size == (64, 48)
    photo = photos["flower"]  # 427x640 -> 73x109, centre 64x48
    ours = np.asarray(transform(photo[None]))[0]
    x = torch.nn.functional.interpolate(torch.from_numpy(photo.astype("float32")).permute(2, 0, 1)[None],
                                        size=(73, 109), mode="bilinear", antialias=True, align_corners=False)
    top, left = round((73 - 64) / 2), round((109 - 48) / 2)
    np.testing.assert_allclose(ours, x[0].permute(1, 2, 0).numpy()[top:top + 64, left:left + 48], atol=0.02)


def test_model_transform_says_what_happens():
    model = zoo.load("resnet18.tv_in1k", weights=None, input_shape=(224, 224, 3))
    assert str(model.transform) == (
        "resize the shorter side to 256 (bilinear, antialiased), centre crop 224x224, then 'torch' preprocessing: "
        "(x / 255 - mean) / std, ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)")
    keras_model = zoo.load("resnet50.keras_in1k", weights=None, include_top=False, pooling="avg")
    assert str(keras_model.transform).startswith("resize the whole image to 224x224 (nearest), then 'caffe'")
    plain = zoo.create("resnet18", **TINY)
    assert str(plain.transform).startswith("resize the whole image to 32x32 (bilinear), then 'unit'")


def test_without_a_transform_images_are_resized_whole_as_before(photos):
    model = zoo.create("resnet18", **TINY)
    assert model.weights_transform is None and model.get_config()["transform"] is None
    photo = photos["china"][None].astype("float32")
    expected = keras.ops.image.resize(photo, (32, 32)) / 255.0  # zoo's behaviour before transforms
    np.testing.assert_allclose(np.asarray(model.preprocess(photo)), np.asarray(expected), atol=1e-6)


def test_predict_top_k_and_features_see_the_published_crop(photos):
    model = zoo.load("resnet18.tv_in1k", weights=None, **TINY)  # at 32x32: shorter side 36, centre 32x32
    photo = photos["grace_hopper"]
    reference = (torch_reference(photo, 36, 32) / 255.0 - np.array([0.485, 0.456, 0.406])) / np.array(
        [0.229, 0.224, 0.225])
    scores = model.predict(reference[None].astype("float32"), verbose=0)
    top = model.predict_top_k(photo, k=3)
    np.testing.assert_array_equal(top.ids[0], np.argsort(-scores[0])[:3])
    np.testing.assert_allclose(top.scores[0], np.sort(scores[0])[::-1][:3], rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(model.features(photo), model.feature_extractor().predict(
        reference[None].astype("float32"), verbose=0), rtol=1e-3, atol=1e-4)
    squashed = model.predict(keras.ops.image.resize(photo[None].astype("float32"), (32, 32)) / 255.0, verbose=0)
    assert not np.allclose(squashed, scores, atol=1e-4)  # the crop is not the old whole-image resize


def test_transform_survives_keras_file_and_preset(tmp_path, zoo_env, photos):
    model = zoo.load("resnet18.tv_in1k", weights=None, **TINY)
    assert model.weights_transform == Transform.from_dict(TORCHVISION)
    photo = photos["flower"]
    expected = np.asarray(model.preprocess(photo))
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert again.weights_transform == model.weights_transform and str(again.transform) == str(model.transform)
    np.testing.assert_allclose(np.asarray(again.preprocess(photo)), expected, atol=1e-6)
    model.save_preset(tmp_path / "preset")
    assert json.loads((tmp_path / "preset" / "preprocessor.json").read_text())["transform"] == {
        **TORCHVISION, "resize_mode": "shorter_side"}
    loaded = zoo.load(str(tmp_path / "preset"))
    assert loaded.weights_transform == model.weights_transform
    np.testing.assert_allclose(np.asarray(loaded.preprocess(photo)), expected, atol=1e-6)
    assert model.transfer(3).weights_transform == model.weights_transform


def test_finetune_pipeline_validates_with_the_crop_and_trains_on_random_resized_crops(photos):
    model = ImageClassifier("resnet18", tiny_config(num_classes=2), preprocessing="unit", transform=TORCHVISION)
    images = np.stack([photos["china"][:120, :150], photos["flower"][:120, :150]] * 2)
    examples = data_lib.prepare((images, np.array([0, 1, 0, 1])), model.image_shape)
    validation = data_lib.pipeline(examples, model.image_shape, "unit", batch_size=4, training=False,
                                   transform=model.transform)
    np.testing.assert_allclose(next(iter(validation))[0].numpy(), np.asarray(model.preprocess(images)), atol=1e-5)
    train = data_lib.pipeline(examples, model.image_shape, "unit", batch_size=4, training=True, augment="crop+flip",
                              shuffle=False, seed=3, transform=model.transform)
    first, second = (next(iter(train))[0].numpy() for _ in range(2))  # each pass makes new crops
    assert first.shape == (4, 32, 32, 3) and not np.allclose(first, second)
    again = data_lib.pipeline(examples, model.image_shape, "unit", batch_size=4, training=True, augment="crop+flip",
                              shuffle=False, seed=3, transform=model.transform)
    np.testing.assert_allclose(next(iter(again))[0].numpy(), first)  # the same seed, the same crops
    history = model.finetune((images, np.array([0, 1, 0, 1])), validation_data=(images, np.array([0, 1, 0, 1])),
                             epochs=(1, 0), augment=True, batch_size=4, verbose=0)
    assert np.isfinite(history.history["val_loss"]).all()


def test_models_without_a_transform_keep_their_training_pipeline():
    """The bundled MNIST recipe (augment="crop": shifts of the resized batch) is untouched."""
    model = zoo.create("resnet18", input_shape=(32, 32, 1), base_width=4, stem="cifar")
    x = np.random.default_rng(0).integers(0, 255, (8, 28, 28)).astype("uint8")
    examples = data_lib.prepare((x, np.arange(8) % 2), model.image_shape)
    before = data_lib.pipeline(examples, model.image_shape, "unit", batch_size=8, training=True, augment="crop",
                               seed=1)
    now = data_lib.pipeline(examples, model.image_shape, "unit", batch_size=8, training=True, augment="crop", seed=1,
                            transform=model.transform)
    np.testing.assert_array_equal(next(iter(before))[0].numpy(), next(iter(now))[0].numpy())


def test_image_folders_are_read_at_their_own_size_for_a_transform(tmp_path, photos):
    for label, (name, size) in enumerate((("cat", (60, 90)), ("dog", (120, 80)))):
        (tmp_path / name).mkdir()
        Image.fromarray(photos["china"][:size[0], :size[1]]).save(tmp_path / name / "a.png")
    examples = data_lib.prepare(str(tmp_path), (32, 32, 3), native_size=True)
    assert sorted(image.shape for image, _ in examples.dataset.as_numpy_iterator()) == [(60, 90, 3), (120, 80, 3)]
    assert [int(label) for _, label in examples.dataset.as_numpy_iterator()] == [0, 1]


BAD_TRANSFORMS = [
    ([256, 224], "transform must be an object"),
    ({"crop": 224}, r"transform.resize must be a positive whole number"),
    ({"resize": 256, "crop": 0}, r"transform.crop must be a positive whole number"),
    ({"resize": 256.0, "crop": 224}, r"transform.resize must be a positive whole number"),
    ({"resize": True, "crop": 224}, r"transform.resize must be a positive whole number"),
    ({"resize": 200, "crop": 224}, r"transform.crop \(224\) must be <= resize \(200\)"),
    ({"resize": 256, "crop": 224, "interpolation": "lanczos"}, "transform.interpolation must be one of bilinear"),
    ({"resize": 256, "crop": 224, "antialias": "yes"}, "transform.antialias must be true or false"),
    ({"resize": 256, "crop": 224, "resize_mode": "longer_side"}, "transform.resize_mode must be one of"),
    ({"resize": 256, "crop_size": 224}, r"unknown key\(s\) \['crop_size'\]"),
]


@pytest.mark.parametrize("transform, message", BAD_TRANSFORMS)
def test_malformed_transforms_name_the_entry_and_the_field(transform, message, zoo_env):
    entry = {"source": {"url": "https://example.org/w.safetensors"}, "sha256": "", "format": "safetensors",
             "transform": transform}
    with pytest.raises(ManifestError, match=message) as raised:
        zoo.register_weights("resnet18", "ours", entry)
    assert "register_weights('resnet18', 'ours'" in str(raised.value)
    with pytest.raises(ManifestError, match=message):
        ImageClassifier("resnet18", tiny_config(), transform=transform)


def test_entries_carry_the_transform_as_a_frozen_value():
    data = {"source": {"url": "https://example.org/w.safetensors"}, "sha256": "", "format": "safetensors",
            "transform": TORCHVISION}
    parsed = WeightsEntry.parse("resnet18", "ours", data)
    assert parsed.transform == Transform(256, 224, "bilinear", True, "shorter_side")
    assert Transform.from_dict(parsed.transform.as_dict()) == parsed.transform
    assert parsed.as_dict()["transform"] == TORCHVISION  # the manifest's own JSON, unchanged
    without = {key: value for key, value in data.items() if key != "transform"}
    assert WeightsEntry.parse("resnet18", "ours", without).transform is None


def test_every_shipped_imagenet_tag_has_its_upstream_transform():
    shipped = json.loads(open(os.path.join(os.path.dirname(zoo.__file__), "weights_manifest.json")).read())
    seen = 0
    for model, record in shipped["models"].items():
        for tag, entry in record["tags"].items():
            if tag.endswith("in1k") or tag.endswith("in1k_notop"):
                seen += 1
                expected = TORCHVISION if tag == "tv_in1k" else KERAS_DOCS
                assert entry.get("transform") == expected, f"{model}.{tag}"
                if tag != "tv_in1k":
                    cited = "keras-io templates/api/applications/index.md"
                elif entry["source"].get("hf_repo"):  # timm's copies: its pretrained_cfg
                    cited = "timm/data/transforms_factory.py"
                else:
                    cited = "torchvision/transforms/_presets.py"
                assert cited in entry["notes"], f"{model}.{tag}"
            else:
                assert "transform" not in entry, f"{model}.{tag}"
    assert seen == 25  # 13 + VGG: 8 torchvision tags, keras.applications' vgg16/19 with and without top
