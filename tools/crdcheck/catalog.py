"""The vendored CRDs, indexed by apiVersion and kind: which schema the API server would serve."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tools.crdcheck.sources import VENDOR


@dataclass(frozen=True)
class ServedVersion:
    """One served version of a CRD: its structural schema and where it came from."""

    group: str
    version: str
    kind: str
    namespaced: bool
    schema: dict[str, Any]
    file: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


def crd_documents(path: Path) -> list[dict[str, Any]]:
    """The CustomResourceDefinitions in one (possibly multi-document) YAML file."""
    docs = yaml.load_all(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return [d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]


def served_versions(crd: dict[str, Any], file: str) -> list[ServedVersion]:
    spec = crd["spec"]
    out = []
    for version in spec["versions"]:
        if not version.get("served", False):
            continue  # the API server answers 404 for an unserved version
        schema = (version.get("schema") or spec.get("validation") or {}).get("openAPIV3Schema")
        if schema is None:
            raise ValueError(f"{file}: {spec['names']['kind']} {version['name']} has no openAPIV3Schema")
        out.append(ServedVersion(spec["group"], version["name"], spec["names"]["kind"],
                                 spec["scope"] == "Namespaced", schema, file))
    return out


class Catalog:
    """Every served version of every CRD below a folder (vendor/crds by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._by_gvk: dict[tuple[str, str], ServedVersion] = {}
        for path in sorted(root.rglob("*.yaml")):
            rel = str(path.relative_to(root))
            for crd in crd_documents(path):
                for served in served_versions(crd, rel):
                    key = (served.api_version, served.kind)
                    if key in self._by_gvk:
                        raise ValueError(f"{served.api_version} {served.kind} is defined twice: "
                                         f"{self._by_gvk[key].file} and {rel}")
                    self._by_gvk[key] = served

    def lookup(self, api_version: str, kind: str) -> ServedVersion | None:
        return self._by_gvk.get((api_version, kind))

    def served(self) -> list[ServedVersion]:
        return list(self._by_gvk.values())

    def __len__(self) -> int:
        return len(self._by_gvk)


@cache
def vendored_catalog() -> Catalog:
    return Catalog(VENDOR / "crds")
