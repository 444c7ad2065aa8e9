"""A TFDS dataset made on disk by the tests themselves (no download): 15 grey 12x12 images whose labels
are 0, 1 and 2 of five named classes, so metadata (5 classes) and a label scan (3) disagree."""

import numpy as np
import tensorflow_datasets as tfds


class ZooTestDigits(tfds.core.GeneratorBasedBuilder):
    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(12, 12, 1)),
            "label": tfds.features.ClassLabel(names=["zero", "one", "two", "three", "four"]),
        }))

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples()}

    def _generate_examples(self):
        rng = np.random.default_rng(0)
        for index in range(15):
            yield index, {"image": rng.integers(0, 256, (12, 12, 1)).astype("uint8"), "label": index % 3}
