"""Every registered architecture builds in its default configuration with the declared parameter count."""

import pytest

import zoo


@pytest.mark.parametrize("name", zoo.list_models())
def test_default_configuration_matches_catalog(name):
    record = zoo.info(name)
    model = zoo.create(name)
    assert model.count_params() == record["params"]
    if record["task"] == "image_classification":
        assert model.image_shape == tuple(record["input_shape"])
        assert model.num_classes == 1000
