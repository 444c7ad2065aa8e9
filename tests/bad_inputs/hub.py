"""Bad settings and files on the weights path: ZOO_MIRROR, ZOO_TIMEOUT, local files with the wrong hash,
cache names. Each is refused clearly, and nothing on disk that zoo did not download is touched."""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
from typing import Any, Callable

import zoo
from tests.bad_inputs import Case, Context, environment, load_with_extra_tag

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHIPPED = json.loads((ROOT / "weights_manifest.json").read_text())["models"]["resnet18"]["tags"]["mnist"]


def load_with(call: Callable[[], Any] = lambda: zoo.load("resnet18.tv_in1k", input_shape=(32, 32, 3)),
              **values: str) -> Callable[[Context], Any]:
    def run(ctx: Context):
        with environment(**values):
            return call()

    return run


def local_file_with(sha256: str = "", md5: str = "", prefix: str = "") -> Callable[[Context], Any]:
    """A user's copy of the bundled MNIST weights, registered with a hash it does not have; the
    call must fail and leave the file byte-identical."""

    def run(ctx: Context):
        mine = ctx.tmp / f"mine-{sha256[:6]}{md5[:6]}{prefix}.h5"
        shutil.copyfile(ROOT / "zoo" / "weights" / "resnet18_mnist.h5", mine)
        before = mine.read_bytes()
        entry = dict(SHIPPED, source={"bundled": str(mine)}, sha256=sha256, md5=md5, sha256_prefix=prefix)
        try:
            load_with_extra_tag(ctx, "mine", entry)
        finally:
            assert mine.read_bytes() == before, "zoo modified a file it did not download"

    return run


def cache_clear(name: str) -> Callable[[Context], Any]:
    def run(ctx: Context):
        from zoo.hub import cache

        return cache.clear(name)

    return run


WRONG = hashlib.sha256(b"not these weights").hexdigest()

CASES = [
    Case("hub-mirror-ftp", load_with(ZOO_MIRROR="ftp://mirror.example.org/zoo"), ValueError,
         ("ZOO_MIRROR", "ftp://", "http", "directory"), seconds=5),
    Case("hub-mirror-s3", load_with(ZOO_MIRROR="s3://bucket/zoo"), ValueError, ("ZOO_MIRROR", "s3://"), seconds=5),
    Case("hub-timeout-word", load_with(ZOO_TIMEOUT="soon"), ValueError, ("ZOO_TIMEOUT", "soon", "positive"), seconds=5),
    Case("hub-timeout-zero", load_with(ZOO_TIMEOUT="0"), ValueError, ("ZOO_TIMEOUT", "'0'", "positive"), seconds=5),
    Case("hub-timeout-negative", load_with(ZOO_TIMEOUT="-3"), ValueError, ("ZOO_TIMEOUT", "-3"), seconds=5),
    Case("hub-timeout-nan", load_with(ZOO_TIMEOUT="nan"), ValueError, ("ZOO_TIMEOUT", "nan"), seconds=5),
    Case("hub-local-wrong-sha256", local_file_with(sha256=WRONG), zoo.WeightsIntegrityError,
         (WRONG, SHIPPED["sha256"], "left exactly as it is"), seconds=8),
    Case("hub-local-wrong-md5", local_file_with(md5="0" * 32), zoo.WeightsIntegrityError,
         ("md5", "0" * 32, "left exactly as it is"), seconds=8),
    Case("hub-local-wrong-prefix", local_file_with(prefix="deadbeef"), zoo.WeightsIntegrityError,
         ("sha256 prefix", "deadbeef", "left exactly as it is"), seconds=8),
    Case("hub-cache-is-a-file", lambda ctx: load_with(ZOO_CACHE=str(ROOT / "setup.cfg"))(ctx), ValueError,
         ("ZOO_CACHE", "setup.cfg", "is a file, not a folder"), seconds=5),
    Case("hub-local-missing", lambda ctx: load_with_extra_tag(ctx, "gone", dict(
        SHIPPED, source={"bundled": str(ctx.tmp / "no-such-file.h5")})),
         zoo.WeightsNotAvailableError, ("no-such-file.h5", "does not exist"), seconds=8),
]
