"""Helm values a release sets, checked against the pinned chart's vendored values.yaml (and
values.schema.json where the chart ships one), and merged the way Helm merges them.

- :func:`unknown_keys`: every key path the program sets must exist in the chart's defaults, or be
  under a free-form default (``{}``, a list, ``null``), or be allowed by the schema; a subchart's
  keys (``grafana.*`` in kube-prometheus-stack) are looked up in the subchart's vendored values.
- :func:`coalesce`: Helm's merge of user values over chart defaults (maps merge, everything else
  replaces, a user ``null`` deletes the default key: helm.sh/docs/chart_template_guide/values_files,
  "Deleting a default key").
Test tooling, not part of the program.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tools.crdcheck.sources import VENDOR, read_sources

CHARTS = VENDOR / "charts"


@dataclass(frozen=True)
class VendoredChart:
    folder: Path
    defaults: dict[str, Any]
    schema: dict[str, Any] | None
    subcharts: dict[str, VendoredChart]


def _load_chart(folder: Path) -> VendoredChart:
    defaults = yaml.safe_load((folder / "values.yaml").read_text(encoding="utf-8")) or {}
    schema_file = folder / "values.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8")) if schema_file.exists() else None
    subcharts = {sub.name: _load_chart(sub) for sub in sorted((folder / "charts").glob("*")) if sub.is_dir()}
    return VendoredChart(folder, defaults, schema, subcharts)


@cache
def chart_for_pin(pin: str) -> VendoredChart:
    """The vendored chart folder of a versions.py constant (from vendor/SOURCES)."""
    folders = {Path(s.file).parts[1] for s in read_sources() if s.pin == pin and s.file.startswith("charts/")
               and Path(s.file).name == "values.yaml" and len(Path(s.file).parts) == 3}
    if len(folders) != 1:
        raise LookupError(f"vendor/SOURCES has {len(folders)} top-level charts/<chart>/values.yaml rows for {pin}")
    return _load_chart(CHARTS / folders.pop())


def key_paths(values: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path the values set, leaves and inner maps alike (lists are leaves)."""
    if not isinstance(values, dict):
        return [prefix] if prefix else []
    paths = [prefix] if prefix else []
    for key, value in values.items():
        paths += key_paths(value, (*prefix, str(key)))
    return paths


def _known_in_defaults(path: tuple[str, ...], defaults: Any) -> bool:
    node = defaults
    for key in path:
        if not isinstance(node, dict):
            return False
        if not node:  # an empty map default ({}): free-form, the chart passes it through
            return True
        if key not in node:
            return False
        node = node[key]
        if node is None or isinstance(node, list):  # null or a list default: replaced whole
            return True
    return True


def _allowed_by_schema(path: tuple[str, ...], schema: dict[str, Any] | None) -> bool:
    node = schema
    for key in path:
        if not isinstance(node, dict):
            return False
        props = node.get("properties") or {}
        if key in props:
            node = props[key]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:  # free-form where the schema says so, or leaves the object open
            return node.get("additionalProperties") is True or (not props and "additionalProperties" not in node)
    return True


def unknown_keys(values: dict[str, Any], chart: VendoredChart, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Dotted key paths of ``values`` the chart does not know (``allowed``: reasoned exceptions)."""
    unknown = []
    for path in key_paths(values):
        dotted = ".".join(path)
        if dotted in allowed or any(dotted.startswith(a + ".") for a in allowed):
            continue
        if _known_in_defaults(path, chart.defaults) or (chart.schema and _allowed_by_schema(path, chart.schema)):
            continue
        sub = chart.subcharts.get(path[0])
        if sub and len(path) > 1 and (_known_in_defaults(path[1:], sub.defaults)
                                      or (sub.schema and _allowed_by_schema(path[1:], sub.schema))):
            continue
        unknown.append(dotted)
    # report the outermost unknown key only (its children are unknown by consequence)
    return [p for p in unknown if not any(p.startswith(q + ".") for q in unknown if q != p)]


def schema_errors(values: dict[str, Any], chart: VendoredChart) -> list[str]:
    """values.schema.json violations of the merged values (Helm validates the merged values)."""
    if chart.schema is None:
        return []
    validator = jsonschema.Draft7Validator(chart.schema)
    merged = coalesce(chart.defaults, values)
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(merged)]


def coalesce(defaults: Any, values: Any) -> Any:
    """Helm's merge of ``values`` over ``defaults``."""
    if not isinstance(defaults, dict) or not isinstance(values, dict):
        return copy.deepcopy(values)
    merged = copy.deepcopy(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def effective_values(values: dict[str, Any], chart: VendoredChart) -> dict[str, Any]:
    """What the chart's templates see: defaults, the program's values, subchart defaults under their key."""
    merged = coalesce(chart.defaults, values)
    for name, sub in chart.subcharts.items():
        parent_values = merged.get(name)
        merged[name] = coalesce(sub.defaults, parent_values if isinstance(parent_values, dict) else {})
    return merged


def cpu_limits(values: Any, path: tuple[str, ...] = ()) -> list[str]:
    """Dotted paths of every ``limits.cpu`` in (merged) values."""
    found = []
    if isinstance(values, dict):
        for key, value in values.items():
            if key == "limits" and isinstance(value, dict) and value.get("cpu") is not None:
                found.append(".".join((*path, "limits", "cpu")))
            found += cpu_limits(value, (*path, str(key)))
    elif isinstance(values, list):
        for index, item in enumerate(values):
            found += cpu_limits(item, (*path, f"[{index}]"))
    return found
