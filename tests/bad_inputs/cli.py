"""Bad ``zoo`` command lines: each exits 2 with one ``zoo: <message>`` (or argparse's usage error) on
stderr, no traceback, before any model is built or trained. Run in-process through ``zoo.cli.main``."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any, Callable

import numpy as np

from tests.bad_inputs import Case, Context, environment


class CliExit(Exception):
    """``zoo`` exited 2; the message is what it printed on stderr (the case's words are checked in it)."""


def zoo_cli(*argv: Any, env: dict[str, Callable[[Context], str]] | None = None) -> Callable[[Context], Any]:
    """A call running ``zoo *argv`` (items may be functions of the context, for paths in ``ctx.tmp``) with
    ``env`` set for the run; it must exit 2 without a traceback, then raises ``CliExit(stderr)``."""

    def run(ctx: Context):
        from zoo.cli import main

        args = [arg(ctx) if callable(arg) else arg for arg in argv]
        err, out = io.StringIO(), io.StringIO()
        with environment(**{name: value(ctx) for name, value in (env or {}).items()}):
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                try:
                    code = main(args)
                except SystemExit as exit:  # argparse's usage errors
                    code = exit.code
        stderr = err.getvalue()
        assert "Traceback" not in stderr, stderr
        assert code == 2, f"zoo {' '.join(args)} exited {code}; stdout: {out.getvalue()[-500:]} stderr: {stderr}"
        assert stderr.strip(), f"zoo {' '.join(args)} exited 2 without saying why"
        raise CliExit(stderr)

    return run


def tmp_file(name: str, write: Callable[[str], None]) -> Callable[[Context], str]:
    def path(ctx: Context) -> str:
        target = str(ctx.tmp / name)
        write(target)
        return target

    return path


def text(content: str) -> Callable[[str], None]:
    return lambda path: open(path, "w").write(content)


def no_x_train(path: str) -> None:
    np.savez(path, images=np.zeros((2, 8, 8), "uint8"))


def bad_manifest(ctx: Context) -> str:
    path = ctx.tmp / "cli-manifest.json"
    path.write_text(json.dumps({"models": {"resnet18": {"tags": {"ours": "https://example.org/w.h5"}}}}))
    return str(path)


def cli(case_id: str, argv: tuple, words: tuple[str, ...], seconds: float = 2, **options: Any) -> Case:
    env = options.pop("env", None)
    return Case(case_id, zoo_cli(*argv, env=env), CliExit, words, seconds=seconds, **options)


CASES = [
    # names and tags
    cli("cli-info-unknown-tag", ("info", "resnet50.nosuchtag"), ("zoo:", "nosuchtag", "resnet50.keras_in1k")),
    cli("cli-info-unknown-model", ("info", "resnt50"), ("zoo:", "Unknown model", "resnet50")),
    cli("cli-info-empty-name", ("info", ""), ("zoo:", "empty", "resnet50")),
    cli("cli-list-unknown-family", ("list", "--family", "resnets"), ("zoo:", "family", "resnets", "resnet")),
    cli("cli-download-unknown-tag", ("download", "resnet50.nosuchtag"), ("zoo:", "nosuchtag", "resnet50.tv_in1k")),
    cli("cli-download-no-weights", ("download", "nin"), ("zoo:", "nin", "no pretrained weights")),
    cli("cli-cache-clear-unknown-model", ("cache", "clear", "resnt50"), ("zoo:", "Unknown model", "resnet50")),
    cli("cli-manifest-error", ("info", "resnet18"), ("zoo:", "ZOO_MANIFEST", "cli-manifest.json", "resnet18.ours",
                                                     "object"), env={"ZOO_MANIFEST": bad_manifest}),
    # zoo bench: counts (--steps 0 spun for 9 minutes)
    cli("cli-bench-steps-zero", ("bench", "resnet18", "--steps", "0"), ("--steps", ">= 1", "'0'")),
    cli("cli-bench-rounds-negative", ("bench", "resnet18", "--rounds", "-1"), ("--rounds", ">= 1", "'-1'")),
    cli("cli-bench-batch-zero", ("bench", "resnet18", "--batch-size", "0"), ("--batch-size", ">= 1", "'0'")),
    cli("cli-bench-image-size-word", ("bench", "resnet18", "--image-size", "big"), ("--image-size", "'big'")),
    cli("cli-bench-unknown-model", ("bench", "resnt50"), ("zoo:", "Did you mean: resnet50")),
    # zoo sample
    cli("cli-sample-n-zero", ("sample", "dcgan.mnist", "--n", "0"), ("--n", ">= 1", "'0'")),
    cli("cli-sample-labels-out-of-range",
        ("sample", "cgan", "--labels", "11", "--out", lambda ctx: str(ctx.tmp / "s.png")),
        ("zoo:", "--labels", "[0, 10)", "11"), seconds=15),
    cli("cli-sample-labels-count", ("sample", "cgan", "--labels", "1", "2", "--n", "3"),
        ("zoo:", "--labels", "2 labels", "--n 3")),
    cli("cli-sample-negative-label", ("sample", "cgan", "--labels", "-1"), ("zoo:", "--labels", "-1")),
    cli("cli-sample-unknown-model", ("sample", "dcgn"), ("zoo:", "Unknown model", "dcgan")),
    cli("cli-sample-negative-seed", ("sample", "dcgan.mnist", "--seed", "-1"), ("--seed", ">= 0", "'-1'")),
    # zoo finetune: the data is checked before the model loads
    cli("cli-finetune-missing-folder", ("finetune", "resnet18.mnist", "--data", "missing_folder/"),
        ("zoo:", "--data", "missing_folder/", "no such folder", "TFDS")),
    cli("cli-finetune-missing-dataset", ("finetune", "resnet18.mnist", "--data", "missing"),
        ("zoo:", "--data", "no such folder", "TFDS has no dataset 'missing'"), seconds=10),
    cli("cli-finetune-data-is-a-file", ("finetune", "resnet18.mnist", "--data", tmp_file("finetune.txt", text("x"))),
        ("zoo:", "finetune.txt", "is a file", "image folder")),
    cli("cli-finetune-batch-zero", ("finetune", "resnet18.mnist", "--data", "x", "--batch-size", "0"),
        ("--batch-size", ">= 1", "'0'")),
    cli("cli-finetune-epochs-negative", ("finetune", "resnet18.mnist", "--data", "x", "--epochs", "-1"),
        ("--epochs", ">= 0", "'-1'")),
    # zoo tune
    cli("cli-tune-missing-data", ("tune", "resnet", "--data", "missing.npz"),
        ("zoo:", "--data", "missing.npz", "no such file", "x_train")),
    cli("cli-tune-data-not-npz", ("tune", "resnet", "--data", tmp_file("tune.npz", text("not an npz"))),
        ("zoo:", "tune.npz", "not an .npz", "numpy.savez")),
    cli("cli-tune-data-without-x-train", ("tune", "resnet", "--data", tmp_file("images.npz", no_x_train)),
        ("zoo:", "needs an array x_train", "images")),
    cli("cli-tune-max-trials-zero", ("tune", "resnet", "--data", "x.npz", "--max-trials", "0"),
        ("--max-trials", ">= 1", "'0'")),
    cli("cli-tune-epochs-zero", ("tune", "resnet", "--data", "x.npz", "--epochs", "0"), ("--epochs", ">= 1", "'0'")),
    cli("cli-tune-unknown-family", ("tune", "resnt", "--data", "x.npz"), ("zoo:", "resnt", "searches the families")),
    cli("cli-tune-fixed-malformed", ("tune", "resnet", "--data", "x.npz", "--fixed", "width"),
        ("zoo:", "--fixed takes NAME=VALUE", "'width'")),
    # zoo export
    cli("cli-export-tolerance-negative", ("export", "resnet18", "--out", "x", "--tolerance", "-1"),
        ("--tolerance", "> 0", "'-1'")),
    cli("cli-export-empty-out", ("export", "resnet18", "--out", ""), ("--out", "must be a path", "empty")),
    cli("cli-save-empty-folder", ("save", "resnet18", "", "--overwrite"), ("directory", "must be a path", "empty")),
    cli("cli-export-exists", ("export", "resnet18", "--out", tmp_file("exists.tflite", text("x"))),
        ("zoo:", "exists.tflite", "--overwrite")),
]
