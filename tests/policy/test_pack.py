"""Pack-wide conventions: ids, metadata, layout and names, docs in step with metadata, and
every rule with a passing and a failing fixture."""

from __future__ import annotations

import importlib
import inspect
import re
from collections import defaultdict
from pathlib import Path

import pytest

from policy.engine import ENGINE_RULES, evaluate_plan
from policy.rules import all_rules, rule_modules, rules_in
from policy.rules.base import (
    CATEGORIES,
    ID_PREFIXES,
    SEVERITIES,
    VERBS,
    ResourceRule,
    StackRule,
    ValueRule,
    type_path,
)
from tests.policy.baseline import TODAY, baseline

ROOT = Path(__file__).resolve().parents[2]
RULES = all_rules()
RETIRED: dict[str, str] = {}
"""Rule ids that were removed, with the reason; their numbers are never reused."""
GROUP_FOLDERS = {
    "kubernetes/workload": "pod templates of every workload kind, custom resources included",
    "kubernetes/object": "every namespaced Kubernetes object",
    "any": "a resource of any type",
}
STACK_AREAS = {"config", "cost", "reliability"}


def test_ids_are_unique_well_formed_and_gap_free():
    ids = [r.meta.id for r in RULES] + [m.id for m in ENGINE_RULES]
    assert len(ids) == len(set(ids))
    numbers = defaultdict(list)
    for rule_id in ids:
        prefix, number = re.fullmatch(r"([A-Z0-9]+)-(\d{2})", rule_id).groups()
        assert prefix in ID_PREFIXES, rule_id
        numbers[prefix].append(int(number))
    for prefix, used in numbers.items():
        expected = set(range(1, max(used) + 1)) - {int(r.split("-")[1]) for r in RETIRED if r.startswith(prefix + "-")}
        assert sorted(used) == sorted(expected), f"{prefix} ids have gaps: {sorted(expected - set(used))}"


def test_policy_names_are_unique():
    names = [r.meta.name for r in RULES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.meta.id)
def test_metadata_is_complete(rule):
    meta = rule.meta
    assert meta.title and meta.title[0].isupper() and not meta.title.endswith(".")
    assert meta.severity in SEVERITIES
    assert meta.category in CATEGORIES
    assert len(meta.remediation) > 20
    assert meta.references, "references: CIS item, Checkov id or 'custom'"
    for ref in meta.references:
        assert (
            ref == "custom"
            or re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", ref)
            or re.fullmatch(r"CIS [A-Za-z]+ [\d.]+ [\d.]+", ref)
        ), ref
    assert meta.doc_url.startswith("https://")
    if rule.scope == "resource":
        assert meta.resource_types, "a resource rule names the types it runs on"


@pytest.mark.parametrize("module", rule_modules())
def test_one_rule_per_module_on_the_mirrored_path(module):
    rules = rules_in(module)
    assert len(rules) == 1, f"{module} defines {len(rules)} rules"
    meta = rules[0].meta
    assert meta.verb in VERBS, f"{module}: verb '{meta.verb}' is not one of {VERBS}"
    assert meta.object and re.fullmatch(r"[a-z0-9_]+", meta.object)
    folder = meta.folder
    if isinstance(rules[0], StackRule):
        assert folder.startswith("stack/"), f"{module}: stack rules live under policy/rules/stack/"
        area = folder.removeprefix("stack/")
        allowed = STACK_AREAS | set(GROUP_FOLDERS) | {type_path(t) for t in meta.resource_types if "*" not in t}
        assert area in allowed, f"{module}: stack/{area} mirrors none of {meta.resource_types}"
    else:
        assert folder in GROUP_FOLDERS or folder == type_path(meta.resource_types[0]), (
            f"{module}: folder {folder} does not mirror {meta.resource_types[0]} ({type_path(meta.resource_types[0])})"
        )
    fn = getattr(rules[0], "_check", None)
    if not isinstance(rules[0], ValueRule) and fn is not None and getattr(fn, "__name__", "") != "<lambda>":
        assert fn.__name__ == module.rsplit(".", 1)[-1], f"{module}: the check function is named {fn.__name__}"


@pytest.mark.parametrize("module", rule_modules())
def test_docstring_matches_metadata(module):
    meta = rules_in(module)[0].meta
    doc = (importlib.import_module(module).__doc__ or "").strip().splitlines()[0].rstrip(".")
    rule_id, _, text = doc.partition(": ")
    assert rule_id == meta.id
    assert text[:1].lower() + text[1:] == meta.title[:1].lower() + meta.title[1:]


def _sdk_types() -> set[str]:
    import pulumi_aws
    import pulumi_command
    import pulumi_gcp
    import pulumi_kubernetes

    pattern = re.compile(r"'((?:aws|gcp|kubernetes|command):[A-Za-z0-9./-]+:[A-Za-z0-9]+)'")
    found = set()
    for package in (pulumi_aws, pulumi_gcp, pulumi_kubernetes, pulumi_command):
        for path in Path(package.__file__).parent.rglob("*.py"):
            if path.name.startswith("_") and path.name not in ("__init__.py",):
                continue
            found.update(pattern.findall(path.read_text(encoding="utf-8", errors="ignore")))
    return found


def test_resource_types_exist_in_the_installed_sdks():
    """Every aws/gcp/command type and every built-in Kubernetes type a rule names is a real token of
    pulumi-aws 7 / pulumi-gcp 10 / pulumi-kubernetes 4 / pulumi-command 1 (custom resources are exempt)."""
    from policy.props import is_custom_resource

    known = _sdk_types()
    named = {t for r in RULES for t in r.meta.resource_types if "*" not in t}
    from policy.rules.stack.cost.missing_cost_allocation_tags import BILLABLE

    named |= set(BILLABLE)
    checked = {t for t in named if not is_custom_resource(t)}
    assert checked - known == set()
    assert len(checked) > 60


def test_value_rules_name_an_insecure_value_for_each_check():
    for rule in RULES:
        if isinstance(rule, ValueRule):
            for expect in rule.expects:
                assert expect.check({}) is not None or expect.default is not None, (rule.meta.id, expect.path)
                from policy.props import MISSING

                assert expect.insecure is not MISSING, f"{rule.meta.id} {expect.path}: set insecure="


def test_baseline_passes_every_rule():
    report = evaluate_plan(baseline(), TODAY)
    assert [(f.rule, f.name, f.message) for f in report.findings] == []


def _all_cases():
    cases = defaultdict(list)
    for path in sorted((ROOT / "tests" / "policy" / "rules").rglob("test_*.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for rule_id, items in getattr(module, "CASES", {}).items():
            cases[rule_id].extend(items)
    return cases


def test_every_rule_has_passing_and_failing_fixtures():
    cases = _all_cases()
    plan = baseline()
    types = {r["type"] for r in plan["resources"]}
    for rule in RULES:
        items = cases.get(rule.meta.id, [])
        assert any(c.expected for c in items), f"{rule.meta.id}: no failing case"
        assert any(not c.expected for c in items), f"{rule.meta.id}: no passing case"
        if isinstance(rule, ResourceRule):
            import fnmatch

            exact = rule.meta.resource_types
            assert any(fnmatch.fnmatchcase(t, pattern) for t in types for pattern in exact), (
                f"{rule.meta.id}: the baseline has none of {exact}, so its pass case checks nothing"
            )
    assert set(cases) <= {r.meta.id for r in RULES}, (
        f"cases for unknown rules: {set(cases) - {r.meta.id for r in RULES}}"
    )


def test_check_functions_do_not_touch_dict_only_apis():
    """Rules run on the policy SDK's Mapping proxies under CrossGuard: no isinstance(x, dict/list)."""
    for module in rule_modules():
        source = inspect.getsource(importlib.import_module(module))
        assert not re.search(r"isinstance\([^)]*\b(dict|list)\b", source), module


def test_readme_rule_table_is_current():
    from policy.docs import README, render

    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "run `python -m policy.docs`"
