"""Tables of bad inputs, one module per area, collected by ``tests/test_bad_inputs.py``.

Each module defines ``CASES: list[Case]``. A case is one bad call a user could make:
what it is, the exception it must raise (or the warning it must give), words the message
must contain, and how many seconds it may take (bad input is refused before any graph runs,
so bounds are small).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from typing import Any, Callable, Iterator

import zoo


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    call: Callable[["Context"], Any]
    raises: type[BaseException] | tuple[type[BaseException], ...] | None
    words: tuple[str, ...] = ()
    seconds: float = 10.0
    # Objects the call uses, prepared (and loaded) before the clock starts: names of Context properties.
    needs: tuple[str, ...] = ()
    # For cases that warn instead of raising: the warning category that must be given.
    warns: type[Warning] | None = None


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for one call, then put back what was there."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def load_with_extra_tag(ctx: "Context", tag: str, entry: dict[str, Any], **options: Any) -> Any:
    """Load ``resnet18.<tag>`` declared in a ZOO_MANIFEST file for this call only (register_weights
    would outlive the case and show up in later tests' `zoo list`)."""
    extra = ctx.tmp / f"manifest-{tag}.json"
    extra.write_text(json.dumps({"models": {"resnet18": {"tags": {tag: entry}}}}))
    with environment(ZOO_MANIFEST=str(extra)):
        return zoo.load(f"resnet18.{tag}", **options)


class Context:
    """Lazily built objects the cases share within one test process (loaded once, reused)."""

    def __init__(self, tmp_path_factory, monkeypatch_factory=None):
        self._tmp_factory = tmp_path_factory
        self._cache: dict[str, Any] = {}

    def _get(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def prepare(self, names: tuple[str, ...]) -> None:
        for name in names:
            getattr(self, name)

    @property
    def tmp(self):
        return self._get("tmp", lambda: self._tmp_factory.mktemp("bad-inputs"))

    @property
    def classifier(self):
        """``resnet18.mnist`` from its bundled weights (10 classes, 28x28x1)."""
        import zoo

        return self._get("classifier", lambda: zoo.load("resnet18.mnist"))

    @property
    def gan(self):
        import zoo

        return self._get("gan", lambda: zoo.load("dcgan.mnist"))

    @property
    def cgan(self):
        """``cgan.mnist``: a GAN conditioned on the 10 digit classes."""
        import zoo

        return self._get("cgan", lambda: zoo.load("cgan.mnist"))

    @property
    def vae(self):
        import zoo

        return self._get("vae", lambda: zoo.load("vae.mnist"))

    @property
    def aae(self):
        import zoo

        return self._get("aae", lambda: zoo.load("aae.mnist"))

    @property
    def pix2pix(self):
        import zoo

        return self._get("pix2pix", lambda: zoo.load("pix2pix.edges2mnist"))

    @property
    def translator(self):
        import zoo

        return self._get("translator", lambda: zoo.load("seq2seq_attention.dates"))
