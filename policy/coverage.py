"""What the pack covers: the class of risk of each rule, and which resource types rules read.

``rule_class`` maps a rule to its class (policy/catalog/rule_classes.yaml); ``covered_types``
is every exact type some rule declares in ``RuleMeta.resource_types`` (wildcards such as
``kubernetes:*`` do not count: they say "any", not "this type was considered");
``uncovered_types`` is the reviewed list of types that carry no security or cost risk
(policy/catalog/uncovered_types.yaml).
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterable
from pathlib import Path

import yaml

from policy.engine import ENGINE_RULES
from policy.rules import all_rules
from policy.rules.base import RuleMeta

CATALOG = Path(__file__).resolve().parent / "catalog"


@functools.cache
def _classes() -> dict[str, dict]:
    with open(CATALOG / "rule_classes.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)["classes"]


def class_names() -> list[str]:
    return list(_classes())


def class_about(name: str) -> str:
    return str(_classes()[name].get("about", ""))


def rule_class(rule_id: str) -> str | None:
    """The class that lists the id, else the class of its prefix (None: unclassified)."""
    for name, spec in _classes().items():
        if rule_id in (spec.get("ids") or []):
            return name
    prefix = rule_id.rsplit("-", 1)[0]
    for name, spec in _classes().items():
        if prefix in (spec.get("prefixes") or []):
            return name
    return None


def all_metas() -> list[RuleMeta]:
    return [r.meta for r in all_rules()] + list(ENGINE_RULES)


def covered_types() -> dict[str, list[str]]:
    """{exact resource type: ids of the rules that read it}."""
    out: dict[str, list[str]] = {}
    for meta in all_metas():
        for type_ in meta.resource_types:
            if not any(ch in type_ for ch in "*?["):
                out.setdefault(type_, []).append(meta.id)
    return out


@functools.cache
def uncovered_types() -> dict[str, str]:
    """{type or glob: the one-line reason it carries no security or cost risk}."""
    with open(CATALOG / "uncovered_types.yaml", encoding="utf-8") as f:
        return dict(yaml.safe_load(f)["types"])


def unclassified(types: Iterable[str]) -> list[str]:
    """Types neither read by a rule nor listed, with a reason, as carrying no risk."""
    covered = covered_types()
    listed = uncovered_types()
    return sorted(
        t for t in set(types) if t not in covered and not any(fnmatch.fnmatchcase(t, p) for p in listed)
    )
