"""Validate custom resources against upstream CRDs vendored under tests/render/crds/ (each folder
has a SOURCES file: repository, tag, commit, path).

The CRD's ``openAPIV3Schema`` is read as a JSON Schema, made structural the way the API server
treats it: an object with ``properties`` and no ``x-kubernetes-preserve-unknown-fields`` accepts
no other field (a strict server-side apply rejects unknown fields), ``x-kubernetes-int-or-string``
accepts either. The CEL rules (``x-kubernetes-validations``) are not evaluated here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

CRDS = Path(__file__).resolve().parent / "crds"


def _structural(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_structural(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _structural(v) for k, v in schema.items() if not k.startswith("x-kubernetes-validations")}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("nullable"):
        out.pop("nullable")
        if "type" in out:
            out["type"] = [out["type"], "null"]
    preserve = out.pop("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


def _crds() -> Iterator[dict[str, Any]]:
    for path in sorted(CRDS.rglob("*.yaml")):
        yield from (d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "CustomResourceDefinition")


def load_schemas() -> dict[str, dict[str, Any]]:
    """``group/version/Kind`` -> structural schema of the object, for every served version."""
    out = {}
    for crd in _crds():
        spec = crd["spec"]
        for version in spec["versions"]:
            if version.get("served"):
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                out[f"{spec['group']}/{version['name']}/{spec['names']['kind']}"] = _structural(schema)
    return out


def errors(schemas: dict[str, dict[str, Any]], manifest: dict[str, Any]) -> list[str]:
    """Schema errors of one manifest (``path: message``); KeyError when its kind is not vendored."""
    schema = schemas[f"{manifest['apiVersion']}/{manifest['kind']}"]
    body = {k: v for k, v in manifest.items() if k not in ("metadata", "status")}
    validator = Draft202012Validator({**schema, "properties": {**schema.get("properties", {}), "metadata": {}}})
    return sorted(
        f"{'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in validator.iter_errors(body)
    )
