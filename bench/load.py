"""Loading ResNet50 weights: zoo.load cold and warm vs keras.applications.ResNet50(weights=<local file>).

    python bench/load.py [--smoke] [--json PATH]

A keras-applications-format weights file (random values, the real layout) is
served by a plain HTTP mirror on 127.0.0.1 and listed in a manifest with its
hash. Cold: an empty zoo cache, so download + sha256 check + conversion + build.
Warm: the cached converted weights + build. Reference: keras.applications
building ResNet50 and loading the same file from disk. Rounds alternate.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from common import Report, arguments

FILE = "resnet50_weights_tf_dim_ordering_tf_kernels.h5"


def keras_applications_file(directory: Path) -> Path:
    """The file layout keras.applications publishes (legacy HDF5), written by tf_keras."""
    import tf_keras

    path = directory / FILE
    tf_keras.applications.ResNet50(weights=None).save_weights(str(path))
    tf_keras.backend.clear_session()
    return path


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    rounds = 1 if args.smoke else 7
    report = Report("bench/load.py", args)
    work = Path(tempfile.mkdtemp(prefix="zoo-bench-load-"))
    weights = keras_applications_file(work)
    server, url = serve(work)
    manifest = work / "manifest.json"
    manifest.write_text(json.dumps({"models": {"resnet50": {"tags": {"bench": {
        "source": {"url": f"{url}/{FILE}"}, "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "format": "keras_h5_legacy", "config": {"variant": "v1"}, "preprocessing": "caffe",
        "license": "bench file (random weights)", "notes": "made by bench/load.py"}}}}}))
    os.environ["ZOO_MANIFEST"] = str(manifest)

    import keras

    import zoo

    cache = {"n": 0}

    def timed(load) -> float:
        start = time.perf_counter()
        load()
        seconds = time.perf_counter() - start
        keras.backend.clear_session()  # models do not pile up across rounds
        return seconds

    def cold() -> float:
        cache["n"] += 1
        os.environ["ZOO_CACHE"] = str(work / f"cache-{cache['n']}")  # empty: download, verify, convert
        return timed(lambda: zoo.load("resnet50.bench"))

    def warm() -> float:  # the cache the cold load just filled
        return timed(lambda: zoo.load("resnet50.bench"))

    def reference() -> float:
        return timed(lambda: keras.applications.ResNet50(weights=str(weights)))

    # The reference runs twice per round (its twin is the A/A); cold must precede warm within a round.
    runs = (("keras.applications", reference), ("zoo cold", cold), ("keras.applications (twin, A/A)", reference),
            ("zoo warm", warm))
    times: dict[str, list[float]] = {name: [] for name, _ in runs}
    for index in range(rounds + (0 if args.smoke else 1)):  # the first round (file cache, imports) is dropped
        for name, run in runs:
            seconds = run()
            if args.smoke or index > 0:
                times[name].append(seconds)
    server.shutdown()

    def paired(name: str) -> float:  # median over rounds of seconds / the reference's seconds in that round
        return statistics.median(o / r for o, r in zip(times[name], times["keras.applications"]))

    seconds = {name: statistics.median(values) for name, values in times.items()}
    base = seconds["keras.applications"]
    report.row("keras.applications.ResNet50(weights=local file) (reference)", base, base, "s",
               higher_is_better=False)
    aa = paired("keras.applications (twin, A/A)")
    report.row("keras.applications.ResNet50, twin (A/A)", seconds["keras.applications (twin, A/A)"], base, "s",
               higher_is_better=False)
    cold_ratio = report.row("zoo.load cold: download + verify + convert + build", seconds["zoo cold"], base, "s",
                            higher_is_better=False)
    report.row("zoo.load warm: cached converted weights + build", seconds["zoo warm"], base, "s",
               higher_is_better=False)
    # A load is one thread reading, hashing and building while a person waits: judged by wall time, paired by round.
    report.goal("warm zoo.load ≤ 1.0× keras.applications' load time", paired("zoo warm"), 1.0, at_least=False,
                aa=aa, clock="wall")
    report.note(f"cold load is {cold_ratio:.2f}× the reference (it downloads {weights.stat().st_size / 1e6:.0f} MB "
                f"over 127.0.0.1 and converts once); median of {rounds} alternating rounds after one dropped; "
                f"A/A {aa:.3f} by wall time.")
    report.finish()


if __name__ == "__main__":
    main()
