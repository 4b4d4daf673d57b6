"""The rule pack as Pulumi CrossGuard policies (``pulumi preview --policy-pack policy``).

Each resource rule becomes a ``ResourceValidationPolicy`` and each stack rule a
``StackValidationPolicy`` with the rule's severity, remediation, doc link and CIS framework
reference. The PolicyPack object itself is built only in ``policy/__main__.py`` (it starts
a gRPC server and blocks), so tests import this module and drive the wrapped validate
functions with the SDK's own argument types.

Inside a policy run the stack config (``llm-fleet:*`` keys) comes from the engine's config
environment; it gives the rules their settings (environment, allow-lists, budget) and
the stack's suppressions and per-rule ``disabled`` overrides. Advisory/mandatory comes from
the pack config (``--policy-pack-config policy/<stack>.json``), which :func:`pack_config`
generates from the same stack settings (a test keeps the committed files in step).
Reading a value that is unknown during preview raises the SDK's ``UnknownValueError``,
which the SDK turns into an advisory "can't run policy during preview" note.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policy.context import PlanContext, Resource
from policy.engine import POL_EXPIRED, suppression_matches
from policy.guardrails import POL_ENFORCEMENT, guardrail_violations
from policy.rules import Rule, all_rules
from policy.rules.base import ResourceRule, RuleMeta, StackRule
from policy.settings import StackSettings

PACK_NAME = "llm-fleet"
GUARDRAILS_POLICY = "stack-policy-guardrails-enforce-mandatory"
PROJECT = "llm-fleet"
SEVERITY = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH, "critical": Severity.CRITICAL}
ENFORCEMENT = {
    "advisory": EnforcementLevel.ADVISORY,
    "mandatory": EnforcementLevel.MANDATORY,
    "disabled": EnforcementLevel.DISABLED,
}

SettingsLoader = Callable[[], StackSettings]


def settings_from_runtime() -> StackSettings:
    """The stack config as the policy process sees it (``PULUMI_CONFIG`` set by the engine).

    Parsed once per distinct config: every policy asks for it on every resource.
    """
    return _settings_for(os.environ.get("PULUMI_CONFIG", ""), os.environ.get("PULUMI_STACK", "stack"))


@functools.lru_cache(maxsize=8)
def _settings_for(raw_config: str, stack: str) -> StackSettings:
    import pulumi.runtime

    values: dict[str, Any] = {}
    for key, raw in pulumi.runtime.get_config_env().items():
        if not key.startswith(PROJECT + ":"):
            continue
        try:
            values[key.split(":", 1)[1]] = json.loads(raw)
        except (TypeError, ValueError):
            values[key.split(":", 1)[1]] = raw
    return StackSettings(values, stack)


def _framework(meta: RuleMeta) -> PolicyComplianceFramework | None:
    cis = meta.cis
    if not cis:
        return None
    # "CIS EKS 1.7 5.4.1" -> name "CIS EKS", version "1.7", reference "5.4.1"
    parts = cis[0].split()
    return PolicyComplianceFramework(
        name=" ".join(parts[:2]),
        version=parts[2] if len(parts) > 2 else "",
        reference=", ".join(c.split()[-1] for c in cis),
    )


def _policy_kwargs(meta: RuleMeta) -> dict[str, Any]:
    return {
        "name": meta.name,
        "description": f"{meta.id}: {meta.title}",
        "display_name": f"{meta.id} {meta.title}",
        "severity": SEVERITY[meta.severity],
        "remediation_steps": meta.remediation,
        "url": meta.doc_url,
        "framework": _framework(meta),
        "tags": [meta.category, meta.id, *meta.checkov],
    }


def _suppressed(settings: StackSettings, rule_id: str, name: str, urn: str, today: dt.date) -> bool:
    return any(
        s.rule == rule_id and not s.expired(today) and suppression_matches(s.resource, name, urn)
        for s in settings.suppressions
    )


def _applies(meta: RuleMeta, type_: str) -> bool:
    import fnmatch

    return any(fnmatch.fnmatchcase(type_, t) for t in meta.resource_types)


def wrap_resource_rule(
    rule: ResourceRule, load: SettingsLoader, today: Callable[[], dt.date]
) -> ResourceValidationPolicy:
    meta = rule.meta

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not _applies(meta, args.resource_type):
            return
        settings = load()
        if settings.enforcement_for(meta.id) == "disabled":
            return
        provider = args.provider
        resource = Resource(
            urn=args.urn,
            type=args.resource_type,
            name=args.name,
            props=args.props,
            parent=args.opts.parent if args.opts else None,
            provider=provider.urn if provider else None,
            protect=bool(args.opts.protect) if args.opts else False,
        )
        ctx = PlanContext(
            stack=settings.stack,
            settings=settings,
            resources=[resource],
            today=today(),
            provider_props={provider.urn: provider.props} if provider else {},
        )
        try:
            messages = rule.evaluate(resource, ctx)
        except UnknownValueError:
            raise
        except Exception as exc:  # noqa: BLE001 - a crashing rule fails closed, visibly
            messages = [f"the rule raised {type(exc).__name__}: {exc}"]
        if _suppressed(settings, meta.id, resource.name, resource.urn, ctx.today):
            return
        for message in messages:
            report_violation(message, None)

    return ResourceValidationPolicy(validate=validate, **_policy_kwargs(meta))


def _from_policy_resource(r: Any) -> Resource:
    return Resource(
        urn=r.urn,
        type=r.resource_type,
        name=r.name,
        props=r.props,
        parent=r.parent.urn if r.parent is not None else (r.opts.parent if r.opts else None),
        provider=r.provider.urn if r.provider is not None else None,
        protect=bool(r.opts.protect) if r.opts else False,
        custom=not r.resource_type.startswith("llm-fleet:"),
    )


def stack_context(args: StackValidationArgs, settings: StackSettings, today: dt.date) -> PlanContext:
    resources = [_from_policy_resource(r) for r in args.resources]
    providers: dict[str, Mapping[str, Any]] = {}
    for r in args.resources:
        if r.provider is not None:
            providers.setdefault(r.provider.urn, r.provider.props)
    return PlanContext(
        stack=settings.stack, settings=settings, resources=resources, today=today, provider_props=providers
    )


def wrap_stack_rule(rule: StackRule, load: SettingsLoader, today: Callable[[], dt.date]) -> StackValidationPolicy:
    meta = rule.meta

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        settings = load()
        if settings.enforcement_for(meta.id) == "disabled":
            return
        ctx = stack_context(args, settings, today())
        try:
            violations = rule.evaluate_stack(ctx)
        except UnknownValueError:
            raise
        except Exception as exc:  # noqa: BLE001
            report_violation(f"the rule raised {type(exc).__name__}: {exc}", None)
            return
        for violation in violations:
            resource = ctx.get(violation.urn)
            name = resource.name if resource else f"{ctx.project}-{ctx.stack}"
            if _suppressed(settings, meta.id, name, violation.urn or ctx.stack_urn, ctx.today):
                continue
            report_violation(violation.message, violation.urn)

    return StackValidationPolicy(validate=validate, **_policy_kwargs(meta))


def suppressions_policy(load: SettingsLoader, today: Callable[[], dt.date]) -> StackValidationPolicy:
    """POL-01 under CrossGuard: an expired suppression is a violation."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        settings = load()
        for s in settings.suppressions:
            if s.expired(today()):
                report_violation(
                    f"policy.suppressions[{s.index}] ({s.rule} on {s.resource!r}) expired on {s.expires.isoformat()} "
                    f"(owner {s.owner})",
                    None,
                )

    kwargs = _policy_kwargs(POL_EXPIRED)
    kwargs["name"] = "stack-policy-suppressions-disallow-expired"
    return StackValidationPolicy(validate=validate, **kwargs)


def guardrails_policy(load: SettingsLoader, today: Callable[[], dt.date]) -> StackValidationPolicy:
    """POL-04 .. POL-07 under CrossGuard: one stack policy, pinned mandatory by :func:`pack_config`."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        ctx = stack_context(args, load(), today())
        for meta, message in guardrail_violations(ctx):
            report_violation(f"{meta.id}: {message}", None)

    kwargs = _policy_kwargs(POL_ENFORCEMENT)
    kwargs.update(
        name=GUARDRAILS_POLICY,
        description="POL-04..07: the stack's config does not switch its own guardrails off",
        display_name="POL-04..07 Guardrails stay on",
        tags=["security", "POL-04", "POL-05", "POL-06", "POL-07"],
    )
    return StackValidationPolicy(validate=validate, enforcement_level=EnforcementLevel.MANDATORY, **kwargs)


def wrap(
    rule: Rule, load: SettingsLoader = settings_from_runtime, today: Callable[[], dt.date] = dt.date.today
) -> Policy:
    if isinstance(rule, ResourceRule):
        return wrap_resource_rule(rule, load, today)
    if isinstance(rule, StackRule):
        return wrap_stack_rule(rule, load, today)
    raise TypeError(f"{rule!r} is neither a resource nor a stack rule")


def build_policies(
    load: SettingsLoader = settings_from_runtime, today: Callable[[], dt.date] = dt.date.today
) -> list[Policy]:
    """Every rule wrapped for CrossGuard, plus the suppression-expiry and guardrail checks."""
    return [wrap(rule, load, today) for rule in all_rules()] + [
        suppressions_policy(load, today),
        guardrails_policy(load, today),
    ]


def pack_config(settings: StackSettings) -> dict[str, Any]:
    """``--policy-pack-config`` for a stack: its default enforcement and per-rule overrides."""
    config: dict[str, Any] = {"all": settings.enforcement}
    names = {r.meta.id: r.meta.name for r in all_rules()}
    for rule_id, level in sorted(settings.overrides.items()):
        if rule_id in names:
            config[names[rule_id]] = level
    config[GUARDRAILS_POLICY] = "mandatory"  # whatever "all" says (policy/guardrails.py)
    return config
