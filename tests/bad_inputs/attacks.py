"""Bad calls to ``zoo.attacks``, ``zoo.robustness`` and adversarial ``finetune`` on ``resnet18.mnist``: refused before
any graph runs (nothing is attacked or trained)."""

from __future__ import annotations

import numpy as np

from tests.bad_inputs import Case

import zoo

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (4, 28, 28)).astype("float32")
LABELS = np.array([0, 1, 2, 3])
MODEL = ("classifier",)


def pgd(ctx, images=IMAGES, labels=LABELS, eps=0.1, **options):
    return zoo.attacks.pgd(ctx.classifier, images, labels, eps, **options)


def fgsm(ctx, images=IMAGES, labels=LABELS, eps=0.1, **options):
    return zoo.attacks.fgsm(ctx.classifier, images, labels, eps, **options)


def robustness(ctx, data=(IMAGES, LABELS), **options):
    options.setdefault("png", None)
    return zoo.robustness(ctx.classifier, data, **options)


def finetune(ctx, **options):
    return ctx.classifier.finetune((IMAGES, LABELS), epochs=1, verbose=0, **options)


def unit_range_then_refused(ctx):
    """[0, 1] images warn (zoo takes 0-255); the call is then refused for its labels, so nothing runs.
    On a model of its own: the warning is given once per model, and tasks.py's cases expect it from the shared one."""
    model = zoo.create("lego_cnn", num_classes=10, input_shape=(28, 28, 1), blocks=[{"filters": 4}])
    try:
        zoo.attacks.pgd(model, IMAGES / 255.0, LABELS[:2], 0.1)
    except ValueError as error:
        assert "labels" in str(error), error
        return
    raise AssertionError("the call was not refused")


CASES = [
    Case("attack-eps-above-one", lambda ctx: pgd(ctx, eps=76.5), ValueError,
         ("eps", "[0, 1]", "0.3 * 255", "76.5"), 2, MODEL),
    Case("attack-eps-negative", lambda ctx: fgsm(ctx, eps=-0.1), ValueError, ("eps", "[0, 1]", "-0.1"), 2, MODEL),
    Case("attack-eps-a-string", lambda ctx: fgsm(ctx, eps="0.3"), ValueError, ("eps", "'0.3'"), 2, MODEL),
    Case("attack-steps-zero", lambda ctx: pgd(ctx, steps=0), ValueError, ("steps", ">= 1", "0"), 2, MODEL),
    Case("attack-step-size-negative", lambda ctx: pgd(ctx, step_size=-0.01), ValueError,
         ("step_size", "[0, 1]", "-0.01"), 2, MODEL),
    Case("attack-targeted-not-a-bool", lambda ctx: pgd(ctx, targeted="yes"), TypeError,
         ("targeted", "True or False", "'yes'"), 2, MODEL),
    Case("attack-batch-size-zero", lambda ctx: fgsm(ctx, batch_size=0), ValueError, ("batch_size", ">= 1"), 2, MODEL),
    Case("attack-labels-too-few", lambda ctx: pgd(ctx, labels=LABELS[:3]), ValueError,
         ("labels", "4 class ids", "(3,)"), 2, MODEL),
    Case("attack-labels-beyond-the-classes", lambda ctx: pgd(ctx, labels=np.array([0, 1, 10, 3])), ValueError,
         ("labels", "0..9", "label 10", "position 2"), 2, MODEL),
    Case("attack-labels-fractional", lambda ctx: fgsm(ctx, labels=np.array([0, 1.5, 2, 3])), ValueError,
         ("labels", "whole number", "float64"), 2, MODEL),
    Case("attack-images-one-image", lambda ctx: pgd(ctx, images=IMAGES[0], labels=LABELS[:1]), ValueError,
         ("batch", "(28, 28)", "images[None]"), 2, MODEL),
    Case("attack-images-preprocessed", lambda ctx: pgd(ctx, images=IMAGES / 127.5 - 1), ValueError,
         ("[0, 255]", "-1", "preprocessing"), 2, MODEL),
    Case("attack-images-nan", lambda ctx: fgsm(ctx, images=np.where(IMAGES > 250, np.nan, IMAGES)), ValueError,
         ("NaN",), 2, MODEL),
    Case("attack-images-in-unit-range-warn", unit_range_then_refused, None, ("[0, 1]", "* 255"), 5,
         warns=zoo.PixelRangeWarning),
    Case("attack-model-not-a-keras-model", lambda ctx: zoo.attacks.fgsm(lambda x: x, IMAGES, LABELS, 0.1),
         TypeError, ("model", "keras.Model", "function"), 5),
    Case("robustness-unknown-attack", lambda ctx: robustness(ctx, attack="cw"), ValueError,
         ("attack", "'pgd'", "'fgsm'", "'cw'"), 2, MODEL),
    Case("robustness-eps-empty", lambda ctx: robustness(ctx, eps=()), ValueError, ("eps", "list", "(0, 0.1"), 2,
         MODEL),
    Case("robustness-eps-in-pixels", lambda ctx: robustness(ctx, eps=(0, 8, 16)), ValueError,
         ("eps", "[0, 1]", "8"), 2, MODEL),
    Case("robustness-data-not-a-pair", lambda ctx: robustness(ctx, data=IMAGES), TypeError,
         ("data", "(images, labels)", "ndarray"), 2, MODEL),
    Case("robustness-png-not-a-path", lambda ctx: robustness(ctx, png=3), TypeError, ("png", "file path", "int"), 2,
         MODEL),
    Case("finetune-adversarial-unknown", lambda ctx: finetune(ctx, adversarial="cw", eps=0.3), ValueError,
         ("adversarial", "'pgd'", "'cw'"), 2, MODEL),
    Case("finetune-adversarial-without-eps", lambda ctx: finetune(ctx, adversarial="pgd"), ValueError,
         ("adversarial='pgd'", "needs eps", "eps=0.3"), 2, MODEL),
    Case("finetune-eps-without-adversarial", lambda ctx: finetune(ctx, eps=0.3), ValueError,
         ("eps=0.3", "adversarial="), 2, MODEL),
    Case("finetune-adversarial-eps-in-pixels", lambda ctx: finetune(ctx, adversarial="fgsm", eps=8), ValueError,
         ("eps", "[0, 1]", "8"), 2, MODEL),
    Case("finetune-adversarial-fraction-zero", lambda ctx: finetune(ctx, adversarial="pgd", eps=0.3,
                                                                    adversarial_fraction=0),
         ValueError, ("adversarial_fraction", "(0, 1]", "0"), 2, MODEL),
    Case("finetune-attack-steps-zero", lambda ctx: finetune(ctx, adversarial="pgd", eps=0.3, attack_steps=0),
         ValueError, ("attack_steps", ">= 1"), 2, MODEL),
]
