"""vLLM's metrics: the committed catalogue (serving/catalog/vllm_metrics.json), how it is read
from a real ``/metrics`` page, and the vLLM references in the rendered alerts, dashboards and
KEDA scalers of a Plan.

* :func:`catalog_from_exposition` turns the Prometheus text format into the catalogue's shape:
  per metric family its type, sample names, label names, histogram ``le`` values (as vLLM
  writes them: "1.0", not "1") and the values of enumerated labels (``finished_reason``, ``reason``...);
* :func:`plan_references` finds every ``vllm:`` selector in a Plan's PrometheusRules (and GMP
  rules), dashboard ConfigMaps and KEDA ScaledObjects, with its label matchers;
* :func:`unknown_references` lists the references the catalogue does not have.

The real-server test (tests/serving/vllm_server) checks the catalogue against the real page;
tests/serving/test_serving_vllm_metrics.py checks every Plan reference against the catalogue,
so each ``make test`` holds the rendered queries to what vLLM 0.32.0 really exposes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG = Path(__file__).resolve().parents[2] / "serving" / "catalog" / "vllm_metrics.json"

PER_DEPLOYMENT_LABELS = frozenset({"model_name", "engine"})
"""Labels whose values name the model or engine: the catalogue keeps the name, not the values."""
TARGET_LABELS = frozenset(
    {"namespace", "pod", "instance", "job", "container", "endpoint", "service", "cluster", "location", "project_id"}
)
"""Labels Prometheus (or GMP) adds from the scrape target: never on the /metrics page itself."""

_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+\S+")
_SUFFIXES = ("_bucket", "_count", "_sum", "_created", "_total")


def _labels(text: str) -> list[tuple[str, str, str]]:
    return [(m.group(1), m.group(2), bytes(m.group(3), "utf-8").decode("unicode_escape")) for m in _LABEL.finditer(text)]


def catalog_from_exposition(text: str, *, prefix: str = "vllm:") -> dict[str, dict[str, Any]]:
    """``{family: {"type", "samples", "labels", "buckets"?, "labelValues"}}`` of the ``prefix`` families."""
    families: dict[str, dict[str, Any]] = {}
    sample_family: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE ") and line.split()[2].startswith(prefix):
            _, _, name, kind = line.split(maxsplit=3)
            families[name] = {"type": kind, "samples": set(), "labels": set(), "buckets": [], "labelValues": {}}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match or not match.group(1).startswith(prefix):
            continue
        name = match.group(1)
        family = sample_family.get(name) or _family_of(name, families)
        sample_family[name] = family
        entry = families[family]
        entry["samples"].add(name)
        for label, _, value in _labels(match.group(3) or ""):
            if label == "le":
                if value not in entry["buckets"]:
                    entry["buckets"].append(value)
                continue
            entry["labels"].add(label)
            if label not in PER_DEPLOYMENT_LABELS:
                entry["labelValues"].setdefault(label, set()).add(value)
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(families):
        entry = families[name]
        item: dict[str, Any] = {
            "type": entry["type"],
            "samples": sorted(entry["samples"]),
            "labels": sorted(entry["labels"]),
        }
        if entry["type"] == "histogram":
            item["buckets"] = entry["buckets"]
        if entry["labelValues"] and not name.endswith("_info"):  # an info gauge's values echo the config
            item["labelValues"] = {k: sorted(v) for k, v in sorted(entry["labelValues"].items())}
        out[name] = item
    return out


def _family_of(sample: str, families: dict[str, Any]) -> str:
    if sample in families:
        return sample
    for suffix in _SUFFIXES:
        if sample.endswith(suffix) and sample[: -len(suffix)] in families:
            return sample[: -len(suffix)]
    # prometheus_client names a counter family without _total in TYPE lines of some versions
    raise KeyError(f"sample {sample} has no # TYPE line")


def load_catalog() -> dict[str, Any]:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


# -- references in a Plan ---------------------------------------------------------------------

_SELECTOR = re.compile(r"(vllm:[A-Za-z0-9_:]+)\s*(\{([^}]*)\})?")


@dataclass(frozen=True)
class Reference:
    """One ``vllm:`` selector in a rendered query."""

    where: str
    """The resource and field it came from."""
    metric: str
    matchers: tuple[tuple[str, str, str], ...]
    """(label, operator, value) as written."""


def selectors(query: str, where: str) -> Iterator[Reference]:
    for match in _SELECTOR.finditer(query):
        yield Reference(where, match.group(1), tuple(_labels(match.group(3) or "")))


def _strings(value: Any, path: str, keys: frozenset[str]) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and key in keys:
                yield f"{path}.{key}", item
            else:
                yield from _strings(item, f"{path}.{key}", keys)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]", keys)


RULE_TYPES = ("PrometheusRule", "ClusterRules", "Rules", "GlobalRules")
DASHBOARD_KEYS = frozenset({"expr", "query", "definition"})


def plan_queries(resources: Iterable[Any]) -> Iterator[tuple[str, str]]:
    """(where, query) of every rule expression, dashboard query and KEDA Prometheus query."""
    for resource in resources:
        kind = resource.type.rsplit(":", 1)[-1]
        props = resource.props
        where = f"{resource.type} {resource.name}"
        if kind in RULE_TYPES:
            for group in props.get("spec", {}).get("groups", []):
                for rule in group.get("rules", []):
                    yield f"{where} {rule.get('alert') or rule.get('record')}", str(rule.get("expr", ""))
        elif kind == "ConfigMap":
            for key, text in (props.get("data") or {}).items():
                if not str(key).endswith(".json"):
                    continue
                try:
                    board = json.loads(text)
                except ValueError:
                    continue
                yield from _strings(board, f"{where} {key}", DASHBOARD_KEYS)
        elif kind == "ScaledObject":
            for index, trigger in enumerate(props.get("spec", {}).get("triggers", [])):
                if trigger.get("type") == "prometheus":
                    yield f"{where} trigger {index}", str(trigger.get("metadata", {}).get("query", ""))


def plan_references(resources: Iterable[Any]) -> list[Reference]:
    return [ref for where, query in plan_queries(resources) for ref in selectors(query, where)]


_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
_SERIES = re.compile(r"(?<![\w:\"])([A-Za-z_:][A-Za-z0-9_:]*)\s*[{\[]")
_COLON_NAME = re.compile(r"(?<![\w:])([A-Za-z_][A-Za-z0-9_]*:[A-Za-z0-9_:]+)")
"""A name with a colon is a metric (vllm:..., recorded llmfleet:...), wherever it stands."""
_MADE = re.compile(r"label_(?:replace|join)\s*\([^,]*,\s*\"([^\"]+)\"")


def grouping_problems(queries: Iterable[tuple[str, str]], catalog: dict[str, Any]) -> list[str]:
    """Labels in ``by``/``on``/... of queries that read only vLLM series, and that no such series has."""
    samples = {s: family for family, item in catalog.items() for s in item["samples"]}
    problems: list[str] = []
    for where, query in queries:
        bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)  # no string literals
        series = set(_SERIES.findall(bare)) | set(_COLON_NAME.findall(re.sub(r"\[[^\]]*\]", "", bare)))
        if not series or not all(name.startswith("vllm:") for name in series):
            continue
        known = set(TARGET_LABELS) | set(_MADE.findall(query))
        for name in series:
            family = samples.get(name)
            if family is not None:
                known |= set(catalog[family]["labels"]) | ({"le"} if name.endswith("_bucket") else set())
        for group in _GROUPING.findall(query):
            for label in (part.strip() for part in group.split(",")):
                if label and label not in known:
                    problems.append(f"{where}: groups by {label}, which none of {sorted(series)} has")
    return problems


def unknown_references(references: Iterable[Reference], catalog: dict[str, Any]) -> list[str]:
    """Every reference to a sample, label, label value or ``le`` bucket the catalogue lacks."""
    samples = {s: family for family, item in catalog.items() for s in item["samples"]}
    problems: list[str] = []
    for ref in references:
        family = samples.get(ref.metric)
        if family is None:
            problems.append(f"{ref.where}: {ref.metric} is not exposed by vLLM")
            continue
        item = catalog[family]
        for label, op, value in ref.matchers:
            if label in TARGET_LABELS:
                continue
            if label == "le":
                buckets = item.get("buckets", [])
                if not ref.metric.endswith("_bucket"):
                    problems.append(f"{ref.where}: le on {ref.metric}, which is not a _bucket series")
                elif not _matches(op, value, buckets):
                    problems.append(f'{ref.where}: {ref.metric}{{le{op}"{value}"}} matches none of {buckets}')
                continue
            if label not in item["labels"]:
                problems.append(f"{ref.where}: {ref.metric} has no label {label} (labels: {item['labels']})")
                continue
            known = item.get("labelValues", {}).get(label)
            if known is not None and "$" not in value and not _matches(op, value, known):
                problems.append(f'{ref.where}: {ref.metric}{{{label}{op}"{value}"}} matches none of {known}')
    return problems


def _matches(op: str, value: str, known: list[str]) -> bool:
    if op == "=":
        return value in known
    if op == "=~":
        pattern = re.compile(f"^(?:{value})$")
        return any(pattern.match(k) for k in known)
    return True  # != and !~ select whatever else there is
