"""Bad arguments to zoo's top-level API (load, create, info, list_models, register_weights, tune,
bench.run) and malformed ``ZOO_MANIFEST`` files: each refused before any work, by name."""

from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np

import zoo
from tests.bad_inputs import Case, Context, environment

ZOO_NAME_FORMS = ("name", "'resnet50'", ".keras", "preset folder", "hf://")
GOOD_ENTRY = {"source": {"url": "https://example.org/w.safetensors"}, "sha256": "", "format": "safetensors",
              "license": "test", "notes": "pinned on first verified download"}
TUNE_DATA = (np.zeros((4, 16, 16, 1), "uint8"), np.arange(4) % 2)


def register(tag: Any = "ours", entry: Any = None, name: Any = "resnet18") -> Callable[[Context], Any]:
    return lambda ctx: zoo.register_weights(name, tag, GOOD_ENTRY if entry is None else entry)


def with_manifest(case_id: str, content: Any, call: Callable[[], Any] = lambda: zoo.info("resnet18")):
    """Run ``call`` with ``ZOO_MANIFEST`` naming a file holding ``content`` (JSON, or raw text when a
    string); the variable is restored afterwards (the manifest read is cached per path, errors are not)."""

    def run(ctx: Context):
        path = ctx.tmp / f"{case_id}.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        with environment(ZOO_MANIFEST=str(path)):
            return call()

    return run


def manifest_case(case_id: str, content: Any, words: tuple[str, ...], call=None) -> Case:
    run = with_manifest(case_id, content, call) if call else with_manifest(case_id, content)
    return Case(case_id, run, zoo.ManifestError, ("ZOO_MANIFEST", f"{case_id}.json", *words), seconds=2)


def one_tag(entry: Any, default: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"tags": {"ours": entry}}
    if default:
        record["default"] = default
    return {"models": {"resnet18": record}}


def bench_run(**arguments: Any) -> Callable[[Context], Any]:
    def run(ctx: Context):
        from zoo import bench

        return bench.run("lego_cnn", **{"image_size": 16, **arguments})

    return run


CASES = [
    # zoo.load / zoo.create: the name
    Case("api-load-none", lambda ctx: zoo.load(None), TypeError, (*ZOO_NAME_FORMS, "None"), seconds=1),
    Case("api-load-int", lambda ctx: zoo.load(123), TypeError, (*ZOO_NAME_FORMS, "123"), seconds=1),
    Case("api-load-empty", lambda ctx: zoo.load(""), ValueError, ("empty", *ZOO_NAME_FORMS), seconds=1),
    Case("api-create-none", lambda ctx: zoo.create(None), TypeError, (*ZOO_NAME_FORMS, "None"), seconds=1),
    Case("api-load-unknown-tag", lambda ctx: zoo.load("resnet50.nosuchtag"), zoo.UnknownWeightsTagError,
         ("nosuchtag", "resnet50.keras_in1k", "resnet50.tv_in1k"), seconds=1),
    Case("api-load-unknown-weights-tag", lambda ctx: zoo.load("resnet50", weights="nosuchtag"),
         zoo.UnknownWeightsTagError, ("nosuchtag", "resnet50.tv_in1k"), seconds=1),
    # zoo.load: weights, num_classes, input_shape (checked once, for every builder)
    Case("api-load-weights-int", lambda ctx: zoo.load("resnet50", weights=123), TypeError,
         ("weights", "123", "'default'", "None", "tag", ".weights.h5"), seconds=1),
    Case("api-load-weights-empty", lambda ctx: zoo.load("resnet18.mnist", weights=""), ValueError,
         ("weights", "empty", "None"), seconds=1),
    Case("api-load-num-classes-zero", lambda ctx: zoo.create("resnet18", num_classes=0), ValueError,
         ("num_classes", "positive integer", "got 0"), seconds=1),
    Case("api-load-num-classes-negative", lambda ctx: zoo.load("dcgan.mnist", num_classes=-1), ValueError,
         ("num_classes", "positive integer", "-1"), seconds=1),
    Case("api-load-num-classes-float", lambda ctx: zoo.create("resnet18", num_classes=2.5), TypeError,
         ("num_classes", "positive integer", "2.5"), seconds=1),
    Case("api-load-num-classes-bool", lambda ctx: zoo.create("resnet18", num_classes=True), TypeError,
         ("num_classes", "positive integer", "True"), seconds=1),
    Case("api-load-input-shape-zero", lambda ctx: zoo.create("resnet18", input_shape=(0, 0, 3)), ValueError,
         ("input_shape", "positive integers", "(0, 0, 3)"), seconds=1),
    Case("api-load-input-shape-string", lambda ctx: zoo.create("resnet18", input_shape="32x32"), TypeError,
         ("input_shape", "(height, width, channels)", "32x32"), seconds=1),
    Case("api-load-input-shape-float", lambda ctx: zoo.create("resnet18", input_shape=(32.5, 32, 3)), TypeError,
         ("input_shape", "32.5"), seconds=1),
    Case("api-load-input-shape-rank", lambda ctx: zoo.create("resnet18", input_shape=(32, 32)), ValueError,
         ("input_shape", "(height, width, channels)", "(32, 32)"), seconds=5),
    Case("api-load-input-shape-gan", lambda ctx: zoo.create("dcgan", input_shape=(28, 28, 1)), ValueError,
         ("input_shape", "dcgan", "image_shape"), seconds=1),
    Case("api-load-num-classes-translation", lambda ctx: zoo.create("transformer", num_classes=3), ValueError,
         ("num_classes", "transformer", "translation"), seconds=1),
    # info / list_models
    Case("api-info-unknown-tag", lambda ctx: zoo.info("resnet50.nosuchtag"), zoo.UnknownWeightsTagError,
         ("nosuchtag", "resnet50.keras_in1k"), seconds=1),
    Case("api-info-none", lambda ctx: zoo.info(None), TypeError, ("model name", "string", "None"), seconds=1),
    Case("api-list-unknown-family", lambda ctx: zoo.list_models(family="resnets"), ValueError,
         ("family", "resnets", "resnet"), seconds=1),
    Case("api-list-pattern-int", lambda ctx: zoo.list_models(5), TypeError, ("pattern", "5", "resnet*"), seconds=1),
    # register_weights: the same schema as a manifest
    Case("api-register-entry-string", register(entry="https://example.org/w.h5"), zoo.ManifestError,
         ("register_weights", "'ours'", "object", "string"), seconds=1),
    Case("api-register-tag-dot", register(tag="a.b"), zoo.ManifestError, ("register_weights", "tag", "'.'", "a.b"),
         seconds=1),
    Case("api-register-tag-none", register(tag=None), zoo.ManifestError, ("register_weights", "tag", "None"),
         seconds=1),
    Case("api-register-sha256-short", register(entry={**GOOD_ENTRY, "sha256": "abc"}), zoo.ManifestError,
         ("sha256", "64 hex", "'abc'"), seconds=1),
    Case("api-register-url-not-string", register(entry={**GOOD_ENTRY, "source": {"url": 5}}), zoo.ManifestError,
         ("source.url", "string", "5"), seconds=1),
    Case("api-register-url-ftp", register(entry={**GOOD_ENTRY, "source": {"url": "ftp://example.org/w"}}),
         zoo.ManifestError, ("source.url", "https://", "ftp://example.org/w"), seconds=1),
    Case("api-register-unknown-model", register(name="resnet5000"), zoo.UnknownModelError, ("resnet5000", "resnet50"),
         seconds=1),
    # ZOO_MANIFEST: read whole and checked when first read
    manifest_case("api-manifest-record-list", {"models": {"resnet18": []}}, ("models.resnet18", "object", "array")),
    manifest_case("api-manifest-entry-string", one_tag("https://example.org/w.h5"),
                  ("resnet18.ours", "models.resnet18.tags.ours", "object", "string")),
    manifest_case("api-manifest-source-string", one_tag({**GOOD_ENTRY, "source": "https://example.org/w.h5"}),
                  ("resnet18.ours", "'source' mapping", "string")),
    manifest_case("api-manifest-source-kind-unknown", one_tag({**GOOD_ENTRY, "source": {"ftp": "example.org"}}),
                  ("resnet18.ours", "source must be exactly one of", "'url'", "'bundled'", "ftp")),
    manifest_case("api-manifest-default-missing", one_tag(GOOD_ENTRY, default="nosuchtag"),
                  ("models.resnet18.default", "nosuchtag", "ours", "tv_in1k")),
    manifest_case("api-manifest-not-json", "{'models': nope", ("cannot be read as JSON",)),
    manifest_case("api-manifest-top-level-list", [GOOD_ENTRY], ("top level", "object", "array", '"models"')),
    manifest_case("api-manifest-no-models", {"resnet18": {"tags": {}}}, ("no 'models' key",)),
    manifest_case("api-manifest-sha256-short", one_tag({**GOOD_ENTRY, "sha256": "deadbeef"}),
                  ("resnet18.ours", "sha256", "64 hex", "deadbeef")),
    manifest_case("api-manifest-md5-not-hex", one_tag({**GOOD_ENTRY, "md5": "z" * 32}),
                  ("resnet18.ours", "md5", "32 hex", "z" * 32)),
    manifest_case("api-manifest-tags-list", {"models": {"resnet18": {"tags": [GOOD_ENTRY]}}},
                  ("models.resnet18.tags", "object", "array")),
    manifest_case("api-manifest-bad-preprocessing", one_tag({**GOOD_ENTRY, "preprocessing": "imagenet"}),
                  ("resnet18.ours", "preprocessing", "imagenet", "caffe")),
    manifest_case("api-manifest-load-fails-fast", one_tag({**GOOD_ENTRY, "sha256": 5}), ("resnet18.ours", "sha256"),
                  call=lambda: zoo.load("resnet18.ours")),
    # zoo.tune: counts, pinned names, the family
    Case("api-tune-max-trials-zero", lambda ctx: zoo.tune("resnet", TUNE_DATA, max_trials=0,
                                                          directory=str(ctx.tmp / "tune")),
         ValueError, ("max_trials", "positive integer", "got 0"), seconds=1),
    Case("api-tune-max-trials-float", lambda ctx: zoo.tune("resnet", TUNE_DATA, max_trials=2.5,
                                                           directory=str(ctx.tmp / "tune")),
         ValueError, ("max_trials", "positive integer", "2.5"), seconds=1),
    Case("api-tune-epochs-zero", lambda ctx: zoo.tune("resnet", TUNE_DATA, epochs=0, directory=str(ctx.tmp / "tune")),
         ValueError, ("epochs", "positive integer", "got 0"), seconds=1),
    Case("api-tune-executions-negative", lambda ctx: zoo.tune("resnet", TUNE_DATA, executions_per_trial=-1,
                                                              directory=str(ctx.tmp / "tune")),
         ValueError, ("executions_per_trial", "positive integer", "-1"), seconds=1),
    Case("api-tune-fixed-unknown", lambda ctx: zoo.tune("resnet", TUNE_DATA, fixed={"nosuchhp": 1},
                                                        directory=str(ctx.tmp / "tune")),
         ValueError, ("fixed", "nosuchhp", "resnet space", "base_width", "stage1_blocks"), seconds=15),
    Case("api-tune-fixed-not-dict", lambda ctx: zoo.tune("resnet", TUNE_DATA, fixed=["width=0.25"],
                                                         directory=str(ctx.tmp / "tune")),
         TypeError, ("fixed", "dict", "width=0.25"), seconds=1),
    Case("api-tune-unknown-family", lambda ctx: zoo.tune("resnt", TUNE_DATA, directory=str(ctx.tmp / "tune")),
         zoo.UnknownModelError, ("resnt", "resnet", "searches the families", "lego"), seconds=1),
    Case("api-tune-images-without-labels", lambda ctx: zoo.tune("resnet", TUNE_DATA[0],
                                                                directory=str(ctx.tmp / "tune")),
         ValueError, ("resnet space", "(images, labels)", "ndarray"), seconds=5),
    # bench.run: counts (0 steps spun for ever)
    Case("api-bench-steps-zero", bench_run(steps=0), ValueError, ("steps", "positive integer", "got 0"), seconds=2),
    Case("api-bench-rounds-negative", bench_run(rounds=-2), ValueError, ("rounds", "positive integer", "-2"),
         seconds=2),
    Case("api-bench-batch-zero", bench_run(batch_size=0), ValueError, ("batch_size", "positive integer", "got 0"),
         seconds=2),
    Case("api-bench-image-size-float", bench_run(image_size=16.5), ValueError, ("image_size", "16.5"),
         seconds=2),
]
