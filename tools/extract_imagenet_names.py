"""Extract the 1,000 English ImageNet-1k class names from a torchvision wheel into zoo's package data.

torchvision ships them as ``_IMAGENET_CATEGORIES`` in ``torchvision/models/_meta.py`` (BSD-3-Clause).
The wheel is read as a zip file and that assignment is parsed with ``ast.literal_eval``: nothing from
the wheel is imported or executed. The output records where the names came from (wheel, version,
its sha256, file, licence with its text) next to the names in class-index order.

    python tools/extract_imagenet_names.py                      # pip download torchvision into a temp folder
    python tools/extract_imagenet_names.py path/to/torchvision-*.whl [--out FILE]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

META_FILE = "torchvision/models/_meta.py"
VARIABLE = "_IMAGENET_CATEGORIES"
OUT = Path(__file__).resolve().parents[1] / "zoo" / "hub" / "data" / "imagenet1k_names.json"
EXPECTED = 1000


def download_wheel(folder: Path) -> Path:
    """torchvision's wheel for this Python, from the package index the running pip is set up for."""
    subprocess.run([sys.executable, "-m", "pip", "download", "torchvision", "--no-deps", "--only-binary", ":all:",
                    "-d", str(folder)], check=True)
    wheels = sorted(folder.glob("torchvision-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one torchvision wheel in {folder}, found {[w.name for w in wheels]}")
    return wheels[0]


def literal_assignment(source: str, name: str) -> list[str]:
    """The value of the module-level ``name = [...]`` in ``source``, evaluated as a literal only."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit(f"{META_FILE} has no module-level assignment to {name}")


def extract(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as archive:
        names = literal_assignment(archive.read(META_FILE).decode("utf-8"), VARIABLE)
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        version = next(line.split(":", 1)[1].strip() for line in archive.read(metadata).decode().splitlines()
                       if line.startswith("Version:"))
        licence_files = [n for n in archive.namelist() if ".dist-info/" in n and "LICENSE" in n.upper()]
        licence_text = archive.read(licence_files[0]).decode("utf-8") if licence_files else ""
    if len(names) != EXPECTED or not all(isinstance(n, str) and n for n in names):
        raise SystemExit(f"{VARIABLE} in {wheel.name} is not {EXPECTED} non-empty strings")
    return {
        "source": {
            "what": "English names of the ImageNet-1k (ILSVRC 2012) classes, in class-index order "
                    "(index i is the WordNet id on line i of tensorflow-datasets' imagenet2012 labels.txt)",
            "wheel": wheel.name,
            "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "version": version,
            "file": META_FILE,
            "variable": VARIABLE,
            "license": "BSD-3-Clause",
            "license_text": licence_text,
            "tool": "tools/extract_imagenet_names.py",
        },
        "names": names,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", nargs="?", type=Path, help="a torchvision wheel already on disk")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        wheel = args.wheel or download_wheel(Path(folder))
        document = extract(wheel)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(document['names'])} names from {document['source']['wheel']}")


if __name__ == "__main__":
    main()
