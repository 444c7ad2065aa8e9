"""A weights entry as a typed, frozen value: parsed once from the manifest, read everywhere.

``WeightsEntry`` is one ``models.<model>.tags.<tag>`` object of ``weights_manifest.json``;
``WeightsFile`` is one file it is made of (its own weights file, then each companion its
``files`` lists: a Marian checkpoint's vocabularies, a preset's config.json), with the
source to fetch it from and the hashes it must match. Stdlib only.
"""

from __future__ import annotations

import copy
import dataclasses
import posixpath
import types
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlparse

from zoo.manifest.schema import TRANSFORM_DEFAULTS, source_kind, validate_entry, validate_transform

MAIN_FILE = "weights"  # the name of an entry's own file among its files


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return types.MappingProxyType(copy.deepcopy(dict(mapping or {})))


@dataclasses.dataclass(frozen=True)
class Source:
    """Where one file comes from: exactly one of a URL, a Hub file, a TF Hub handle or a local path."""

    kind: str  # "url" | "hf_repo" | "tfhub" | "bundled"
    url: str = ""
    hf_repo: str = ""
    hf_file: str = ""
    revision: str = ""
    tfhub: str = ""
    bundled: str = ""  # an absolute path once the manifest is read

    @classmethod
    def from_dict(cls, source: Mapping[str, str]) -> "Source":
        return cls(kind=source_kind(dict(source)), **dict(source))

    def as_dict(self) -> dict[str, str]:
        """The manifest's JSON form (only the keys this kind has)."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)
                if field.name != "kind" and getattr(self, field.name)}

    @property
    def file_name(self) -> str:
        """The name the file has upstream (and in zoo's downloads folder)."""
        if self.kind == "url":
            return Path(urlparse(self.url).path).name
        if self.kind == "hf_repo":
            return Path(self.hf_file).name
        if self.kind == "bundled":
            return Path(self.bundled).name
        return "saved_model.tar.gz"  # TF Hub serves handles as compressed SavedModels

    @property
    def label(self) -> str:
        """How messages name this source."""
        return {
            "url": lambda: self.url,
            "hf_repo": lambda: f"hf://{self.hf_repo}/{self.hf_file}" + (f"@{self.revision}" if self.revision else ""),
            "bundled": lambda: f"bundled {self.bundled}",
            "tfhub": lambda: f"tfhub {self.tfhub}",
        }[self.kind]()

    def sibling(self, name: str) -> "Source":
        """Another file of the same Hub folder or local folder (a companion file)."""
        if self.kind == "hf_repo":
            return dataclasses.replace(self, hf_file=posixpath.join(posixpath.dirname(self.hf_file), name))
        if self.kind == "bundled":
            return dataclasses.replace(self, bundled=str(Path(self.bundled).parent / name))
        raise ValueError(f"a {self.kind} source has no companion files")


@dataclasses.dataclass(frozen=True)
class Transform:
    """How images are resized and cropped before preprocessing, as the weights' upstream evaluates them.

    ``resize_mode="shorter_side"``: the shorter side becomes ``resize`` (aspect ratio kept);
    ``"squash"``: the whole image becomes ``resize`` x ``resize``. Then a centred ``crop`` x ``crop``.
    Data only; ``zoo.transforms`` applies it.
    """

    resize: int
    crop: int
    interpolation: str = TRANSFORM_DEFAULTS["interpolation"]
    antialias: bool = TRANSFORM_DEFAULTS["antialias"]
    resize_mode: str = TRANSFORM_DEFAULTS["resize_mode"]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "transform") -> "Transform":
        validate_transform(dict(data) if isinstance(data, Mapping) else data, where=where)
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class WeightsFile:
    """One file of a weights entry and the hashes it must match ("" when upstream publishes none)."""

    model: str
    slot: str  # the cache folder and pin key: the tag for the entry's own file, "<tag>+<name>" for a companion
    name: str  # MAIN_FILE, or the companion's file name
    source: Source
    sha256: str = ""
    md5: str = ""
    sha256_prefix: str = ""

    @property
    def published(self) -> dict[str, str]:
        """``{algorithm: hex digest}`` as the manifest gives them."""
        return {name: value.lower() for name, value in (("sha256", self.sha256), ("md5", self.md5)) if value}

    @property
    def label(self) -> str:
        return f"{self.model}.{self.slot}"


# The slot (cache folder and pin key) of a checkpoint passed as ``zoo.load(..., weights=file or URL)``:
# such an entry is not a manifest tag, so `zoo download` cannot fetch it for the user.
CHECKPOINT_SLOT = "checkpoint"


@dataclasses.dataclass(frozen=True)
class WeightsEntry:
    """One weights tag of one model, validated (``ManifestError`` otherwise) and frozen."""

    model: str
    tag: str
    format: str
    file: WeightsFile  # the entry's own weights file
    files: tuple[WeightsFile, ...]  # its companions, in the manifest's order
    config: Mapping[str, Any]  # build arguments these weights need (merged over the registry's defaults)
    preprocessing: str | None
    classes: Any  # a list of class names, a known set such as "imagenet1k", or None
    ignore: tuple[str, ...]  # upstream parameter-name patterns the converter may skip
    license: str
    metrics: Mapping[str, Any]
    document: Mapping[str, Any]  # the entry as JSON (bundled paths resolved): for `zoo info` and model cards
    transform: Transform | None = None  # resize and crop before preprocessing; None: resize to the input size
    # Tensor-name prefix rewrites applied before the family's name map, in order, first match wins
    # ((old, new) pairs; new None drops those tensors).
    key_map: tuple[tuple[str, str | None], ...] = ()

    @classmethod
    def parse(cls, model: str, tag: str, data: Mapping[str, Any], where: str | None = None) -> "WeightsEntry":
        validate_entry(model, tag, data, where=where)
        source = Source.from_dict(data["source"])
        own = WeightsFile(model, tag, MAIN_FILE, source, data.get("sha256") or "", data.get("md5") or "",
                          data.get("sha256_prefix") or "")
        companions = tuple(WeightsFile(model, f"{tag}+{name}", name, source.sibling(name), sha256 or "")
                           for name, sha256 in data.get("files", {}).items())
        return cls(model=model, tag=tag, format=data["format"], file=own, files=companions,
                   config=_frozen(data.get("config")), preprocessing=data.get("preprocessing"),
                   classes=copy.deepcopy(data.get("classes")), ignore=tuple(data.get("ignore", ())),
                   license=data.get("license", ""), metrics=_frozen(data.get("metrics")), document=_frozen(data),
                   transform=Transform.from_dict(data["transform"]) if "transform" in data else None,
                   key_map=tuple(data.get("key_map", {}).items()))

    @property
    def source(self) -> Source:
        return self.file.source

    @property
    def bundled(self) -> bool:
        """Shipped with zoo or named by the user: read in place, never downloaded, never modified."""
        return self.source.kind == "bundled"

    @property
    def every_file(self) -> tuple[WeightsFile, ...]:
        return (self.file,) + self.files

    def as_dict(self) -> dict[str, Any]:
        """A fresh, mutable copy of the JSON entry."""
        return copy.deepcopy(dict(self.document))

    def with_bundled_folder(self, folder: Path) -> "WeightsEntry":
        """The same entry with its relative ``bundled`` paths read from ``folder`` (a preset folder)."""
        data = self.as_dict()
        data["source"] = {"bundled": str((Path(folder) / self.source.bundled).resolve())}
        return WeightsEntry.parse(self.model, self.tag, data)

    def with_source(self, source: Mapping[str, str], tag: str | None = None, **fields: Any) -> "WeightsEntry":
        """The same files from another source (a Hub repository holding a preset), optionally under another tag.

        ``fields`` replace top-level fields (``None`` removes one): a user's checkpoint follows a tag's
        layout and preprocessing with its own format, hashes and key_map.
        """
        data = self.as_dict()
        data["source"] = dict(source)
        for key, value in fields.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return WeightsEntry.parse(self.model, tag or self.tag, data)
