"""Evaluate the rule pack on a Plan: enforcement, suppressions and the three report formats.

    report = evaluate_plan(plan.to_json())      # a Plan dict (DESIGN.md, schemaVersion 1)
    report.exit_code                            # 1 if any unsuppressed mandatory finding
    report.to_text() / to_json() / to_sarif()

Enforcement of a rule: ``policy.overrides[<id>]`` in the stack config, else
``policy.enforcement``, else mandatory in prod and advisory elsewhere. A disabled rule is not
evaluated. A suppression (rule id + resource name or URN glob + justification + owner +
expiry) turns matching findings into suppressed ones until it expires; an expired
suppression is itself a finding (POL-01) and one that matches nothing is reported (POL-02).
Switching the guardrails off in prod (POL-04 .. POL-07, policy/guardrails.py) is reported
after all of that, always mandatory and never suppressed.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policy.context import PlanContext, Resource
from policy.guardrails import GUARDRAIL_IDS, GUARDRAIL_RULES, guardrail_violations
from policy.rules import Rule, all_rules
from policy.rules.base import ResourceRule, RuleMeta, StackRule

SCHEMA_VERSION = 1
TOOL_NAME = "llm-fleet-policy"
TOOL_VERSION = "1.0.0"
INFORMATION_URI = "https://github.com/llm-fleet/llm-fleet/blob/main/policy/README.md"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}

# Findings about the policy configuration itself (not rule modules: the engine raises them).
POL_EXPIRED = RuleMeta(
    id="POL-01",
    title="Suppressions are renewed before they expire",
    severity="medium",
    category="security",
    resource_types=(),
    remediation="Fix the finding the suppression covers, or renew it with a new expiry date and justification.",
    references=("custom",),
    module="policy.engine.suppression_expired",
)
POL_UNMATCHED = RuleMeta(
    id="POL-02",
    title="Every suppression matches a finding",
    severity="low",
    category="security",
    resource_types=(),
    remediation="Remove the suppression (its finding is gone) or correct its rule id or resource pattern.",
    references=("custom",),
    module="policy.engine.suppression_unmatched",
)
POL_ERROR = RuleMeta(
    id="POL-03",
    title="Every rule evaluates without error",
    severity="high",
    category="security",
    resource_types=(),
    remediation="A rule raised an error on this input; the resource counts as failing until the rule is fixed.",
    references=("custom",),
    module="policy.engine.rule_error",
)
ENGINE_RULES = (POL_EXPIRED, POL_UNMATCHED, POL_ERROR, *GUARDRAIL_RULES)


@dataclass
class Finding:
    meta: RuleMeta
    urn: str
    type: str
    name: str
    message: str
    enforcement: str
    suppressed: bool = False
    justification: str | None = None

    @property
    def rule(self) -> str:
        return self.meta.id

    @property
    def blocking(self) -> bool:
        return self.enforcement == "mandatory" and not self.suppressed

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.meta.id,
            "severity": self.meta.severity,
            "category": self.meta.category,
            "enforcement": self.enforcement,
            "urn": self.urn,
            "type": self.type,
            "message": self.message,
            "suppressed": self.suppressed,
            "justification": self.justification,
        }


@dataclass
class PolicyReport:
    stack: str
    environment: str
    default_enforcement: str
    rules: list[RuleMeta]
    """Every rule that was evaluated (disabled ones excluded), engine rules included."""
    resource_count: int
    findings: list[Finding] = field(default_factory=list)
    enforcement: dict[str, str] = field(default_factory=dict)

    # -- summary ----------------------------------------------------------------------------
    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed and f.enforcement != "mandatory"]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed]

    @property
    def exit_code(self) -> int:
        return 1 if self.mandatory else 0

    def summary(self) -> dict[str, int]:
        return {
            "rules": len(self.rules),
            "resources": self.resource_count,
            "mandatory": len(self.mandatory),
            "advisory": len(self.advisory),
            "suppressed": len(self.suppressed),
        }

    def summary_line(self) -> str:
        s = self.summary()
        verdict = "FAIL" if self.exit_code else "pass"
        return (
            f"policy {verdict}: {s['mandatory']} mandatory, {s['advisory']} advisory, {s['suppressed']} suppressed "
            f"({s['rules']} rules, {s['resources']} resources)"
        )

    # -- formats ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "stack": self.stack,
            "summary": self.summary(),
            "findings": [f.to_json() for f in self.findings],
        }

    def to_text(self) -> str:
        lines = [
            f"llm-fleet policy: stack {self.stack} (environment {self.environment}, "
            f"default enforcement {self.default_enforcement})",
            f"{len(self.rules)} rules over {self.resource_count} resources: {len(self.mandatory)} mandatory, "
            f"{len(self.advisory)} advisory, {len(self.suppressed)} suppressed",
        ]
        sections = (("MANDATORY", self.mandatory), ("ADVISORY", self.advisory), ("SUPPRESSED", self.suppressed))
        for title, findings in sections:
            if not findings:
                continue
            lines += ["", f"{title} ({len(findings)})"]
            for f in findings:
                lines.append(f"  {f.meta.severity.upper():<8} {f.meta.id:<10} {f.name}  [{f.type}]")
                lines.append(f"           {f.message}")
                if f.suppressed:
                    lines.append(f"           suppressed: {f.justification}")
                else:
                    lines.append(f"           fix: {f.meta.remediation}")
        lines += ["", self.summary_line()]
        return "\n".join(lines) + "\n"

    def to_sarif(self) -> dict[str, Any]:
        """SARIF 2.1.0: one reportingDescriptor per rule id, one result per finding."""
        index = {meta.id: i for i, meta in enumerate(self.rules)}
        descriptors = [
            _sarif_rule(meta, self.enforcement.get(meta.id, self.default_enforcement)) for meta in self.rules
        ]
        results = []
        for f in self.findings:
            result: dict[str, Any] = {
                "ruleId": f.meta.id,
                "ruleIndex": index[f.meta.id],
                "level": "error" if f.enforcement == "mandatory" else "warning",
                "message": {"text": f"{f.name}: {f.message}"},
                "locations": [
                    {
                        # Resources are declared by the stack file as a whole; code scanning needs a region.
                        "physicalLocation": {
                            "artifactLocation": {"uri": f"Pulumi.{self.stack}.yaml"},
                            "region": {"startLine": 1},
                        },
                        "logicalLocations": [{"name": f.name, "fullyQualifiedName": f.urn, "kind": "resource"}],
                    }
                ],
                "partialFingerprints": {"llmFleetFinding/v1": _fingerprint(f)},
                "properties": {
                    "enforcement": f.enforcement,
                    "severity": f.meta.severity,
                    "category": f.meta.category,
                    "resourceType": f.type,
                },
            }
            if f.suppressed:
                result["suppressions"] = [
                    {"kind": "external", "status": "accepted", "justification": f.justification or ""}
                ]
            results.append(result)
        return {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": TOOL_NAME,
                            "version": TOOL_VERSION,
                            "informationUri": INFORMATION_URI,
                            "rules": descriptors,
                        }
                    },
                    "automationDetails": {"id": f"llm-fleet/policy/{self.stack}/"},
                    "results": results,
                }
            ],
        }

    def dumps(self, fmt: str = "text") -> str:
        if fmt == "json":
            return json.dumps(self.to_json(), indent=2) + "\n"
        if fmt == "sarif":
            return json.dumps(self.to_sarif(), indent=2) + "\n"
        return self.to_text()


def _sarif_rule(meta: RuleMeta, enforcement: str) -> dict[str, Any]:
    tags = [meta.category, *meta.references]
    return {
        "id": meta.id,
        # SARIF wants a readable name that differs from the opaque id (SARIF1001).
        "name": "".join(part.capitalize() for part in meta.name.split("-"))
        if meta.module.startswith("policy.rules")
        else "".join(part.capitalize() for part in meta.module.rsplit(".", 1)[-1].split("_")),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": f"{meta.title}. Applies to: {', '.join(meta.resource_types) or 'the stack'}."},
        "help": {"text": meta.remediation, "markdown": f"**Remediation:** {meta.remediation}"},
        "helpUri": meta.doc_url,
        "defaultConfiguration": {"level": "error" if enforcement == "mandatory" else "warning"},
        "properties": {
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "severity": meta.severity,
            "category": meta.category,
            "tags": tags,
            "policyName": meta.name if meta.module.startswith("policy.rules") else meta.id.lower(),
        },
    }


def _fingerprint(f: Finding) -> str:
    import hashlib

    return hashlib.sha256(f"{f.meta.id}|{f.urn}|{f.message}".encode()).hexdigest()[:32]


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------


class _Dispatch:
    """Resource rules by resource type (exact types and glob patterns such as 'kubernetes:*')."""

    def __init__(self, rules: Sequence[ResourceRule]):
        self._exact: dict[str, list[ResourceRule]] = {}
        self._patterns: list[tuple[str, ResourceRule]] = []
        for rule in rules:
            for type_ in rule.meta.resource_types:
                if "*" in type_:
                    self._patterns.append((type_, rule))
                else:
                    self._exact.setdefault(type_, []).append(rule)
        self._cache: dict[str, list[ResourceRule]] = {}

    def rules_for(self, type_: str) -> list[ResourceRule]:
        found = self._cache.get(type_)
        if found is None:
            found = list(self._exact.get(type_, []))
            for pattern, rule in self._patterns:
                if rule not in found and fnmatch.fnmatchcase(type_, pattern):
                    found.append(rule)
            self._cache[type_] = found
        return found


def evaluate_plan(
    plan: Mapping[str, Any], today: dt.date | None = None, rules: Iterable[Rule] | None = None
) -> PolicyReport:
    """Evaluate every rule (or ``rules``) on a Plan dict."""
    return evaluate_context(PlanContext.from_plan(plan, today), rules)


def evaluate_context(ctx: PlanContext, rules: Iterable[Rule] | None = None) -> PolicyReport:
    settings = ctx.settings
    selected = list(all_rules() if rules is None else rules)
    enforcement = {r.meta.id: settings.enforcement_for(r.meta.id) for r in selected}
    for meta in ENGINE_RULES:
        enforcement[meta.id] = settings.enforcement_for(meta.id)
    for rule_id in GUARDRAIL_IDS:
        enforcement[rule_id] = "mandatory"  # no override, default or suppression lowers these
    enforcement[POL_UNMATCHED.id] = "disabled" if enforcement[POL_UNMATCHED.id] == "disabled" else "advisory"
    active = [r for r in selected if enforcement[r.meta.id] != "disabled"]

    raw: list[Finding] = []
    dispatch = _Dispatch([r for r in active if isinstance(r, ResourceRule)])
    for type_ in list(ctx.types):
        type_rules = dispatch.rules_for(type_)
        if not type_rules:
            continue
        for resource in ctx.of_type(type_):
            for rule in type_rules:
                try:
                    messages = rule.evaluate(resource, ctx)
                except Exception as exc:  # noqa: BLE001 - a crashing rule fails closed, visibly
                    raw.append(_error(rule, resource, exc, enforcement))
                    continue
                for message in messages:
                    raw.append(_finding(rule.meta, resource, message, enforcement[rule.meta.id]))
    for rule in active:
        if not isinstance(rule, StackRule):
            continue
        try:
            violations = rule.evaluate_stack(ctx)
        except Exception as exc:  # noqa: BLE001
            raw.append(_error(rule, None, exc, enforcement, ctx))
            continue
        for violation in violations:
            resource = ctx.get(violation.urn)
            if resource is not None:
                raw.append(_finding(rule.meta, resource, violation.message, enforcement[rule.meta.id]))
            else:
                raw.append(_stack_finding(rule.meta, ctx, violation.message, enforcement[rule.meta.id], violation.urn))

    findings = _apply_suppressions(ctx, raw, enforcement)
    # Raised after suppressions so that nothing in the stack config can hide them.
    findings += [_stack_finding(meta, ctx, message, "mandatory") for meta, message in guardrail_violations(ctx)]
    findings.sort(
        key=lambda f: (not f.blocking, f.suppressed, SEVERITY_ORDER[f.meta.severity], f.meta.id, f.urn, f.message)
    )
    metas = [r.meta for r in active] + [m for m in ENGINE_RULES if enforcement[m.id] != "disabled"]
    return PolicyReport(
        stack=ctx.stack,
        environment=settings.environment,
        default_enforcement=settings.enforcement,
        rules=metas,
        resource_count=len(ctx.resources),
        findings=findings,
        enforcement=enforcement,
    )


def _finding(meta: RuleMeta, resource: Resource, message: str, enforcement: str) -> Finding:
    return Finding(meta, resource.urn, resource.type, resource.name, message, enforcement)


def _stack_finding(meta: RuleMeta, ctx: PlanContext, message: str, enforcement: str, urn: str | None = None) -> Finding:
    """A finding on the stack itself: no resource in the Plan carries it (``urn`` or the stack's)."""
    return Finding(
        meta, urn or ctx.stack_urn, "pulumi:pulumi:Stack", f"{ctx.project}-{ctx.stack}", message, enforcement
    )


def _error(
    rule: Rule, resource: Resource | None, exc: Exception, enforcement: dict[str, str], ctx: PlanContext | None = None
) -> Finding:
    message = f"{rule.meta.id} raised {type(exc).__name__}: {exc}"
    level = "mandatory" if "mandatory" in (enforcement.get(rule.meta.id), enforcement.get(POL_ERROR.id)) else "advisory"
    if resource is not None:
        return _finding(POL_ERROR, resource, message, level)
    assert ctx is not None
    return _stack_finding(POL_ERROR, ctx, message, level)


def suppression_matches(pattern: str, finding_name: str, finding_urn: str) -> bool:
    return fnmatch.fnmatchcase(finding_name, pattern) or fnmatch.fnmatchcase(finding_urn, pattern)


def _apply_suppressions(ctx: PlanContext, findings: list[Finding], enforcement: dict[str, str]) -> list[Finding]:
    suppressions = ctx.settings.suppressions
    used: set[int] = set()
    for finding in findings:
        for s in suppressions:
            if s.rule != finding.meta.id or not suppression_matches(s.resource, finding.name, finding.urn):
                continue
            used.add(s.index)
            if not s.expired(ctx.today):
                finding.suppressed = True
                finding.justification = f"{s.justification} (owner {s.owner}, expires {s.expires.isoformat()})"
                break
    out = list(findings)
    for s in suppressions:
        where = f"policy.suppressions[{s.index}] ({s.rule} on {s.resource!r})"
        if s.expired(ctx.today) and enforcement[POL_EXPIRED.id] != "disabled":
            message = f"{where} expired on {s.expires.isoformat()} (owner {s.owner})"
            out.append(_stack_finding(POL_EXPIRED, ctx, message, enforcement[POL_EXPIRED.id]))
        if s.index not in used and enforcement[POL_UNMATCHED.id] != "disabled":
            out.append(_stack_finding(POL_UNMATCHED, ctx, f"{where} matches no finding", enforcement[POL_UNMATCHED.id]))
    return out


def policy_summary_line(report: PolicyReport) -> str:
    """One line for `llmfleet plan`: verdict and counts."""
    return report.summary_line()
