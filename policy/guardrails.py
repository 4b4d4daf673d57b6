"""Switching the guardrails off is itself a finding (POL-04 .. POL-07).

A prod stack's config can lower its own enforcement (``policy.enforcement: advisory``),
override a rule to ``disabled``/``advisory``, suppress findings with a pattern that matches
every resource or with an expiry years ahead, or claim another ``environment`` (which would
make the whole pack advisory). The engine applies enforcement, overrides and suppressions,
so these findings are raised *after* them and bypass all three: they are always mandatory
and never suppressed. Who may make such changes is in docs/security-reviewer.md.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterator

from policy.context import PlanContext
from policy.rules.base import RuleMeta

ENVIRONMENTS = ("dev", "staging", "prod")
MAX_SUPPRESSION_DAYS = 366
"""A suppression is a time-boxed exception: at most a year (366 days covers a leap year)."""


def _meta(number: int, slug: str, title: str, remediation: str) -> RuleMeta:
    return RuleMeta(
        id=f"POL-{number:02d}",
        title=title,
        severity="critical",
        category="security",
        resource_types=(),
        remediation=remediation,
        references=("custom",),
        module=f"policy.guardrails.{slug}",
    )


POL_ENFORCEMENT = _meta(
    4,
    "enforce_mandatory_in_prod",
    "A prod stack enforces the pack as mandatory",
    "Remove policy.enforcement from the prod stack file (prod defaults to mandatory); lowering it needs the "
    "security reviewer's sign-off (docs/security-reviewer.md).",
)
POL_OVERRIDE = _meta(
    5,
    "disallow_prod_overrides",
    "A prod stack does not disable or downgrade rules",
    "Remove the override and fix the finding, or add a narrow, time-boxed suppression with a justification.",
)
POL_SUPPRESSION = _meta(
    6,
    "enforce_narrow_suppressions",
    "Prod suppressions name specific resources and expire within a year",
    "Name the resource (or a narrow glob) the exception is for, and set an expiry at most a year ahead.",
)
POL_ENVIRONMENT = _meta(
    7,
    "enforce_stack_environment",
    "The environment matches the stack",
    "Set environment to the stack's own environment (the prod stack is 'prod'); a dev environment turns the "
    "pack advisory.",
)
GUARDRAIL_RULES = (POL_ENFORCEMENT, POL_OVERRIDE, POL_SUPPRESSION, POL_ENVIRONMENT)
GUARDRAIL_IDS = frozenset(m.id for m in GUARDRAIL_RULES)


def stack_environment(stack: str) -> str | None:
    """The environment a stack's name declares ('prod', 'prod-eu', 'acme/prod' -> 'prod')."""
    words = set(re.split(r"[^a-z0-9]+", stack.lower()))
    words |= {"prod" for w in words if w == "production"}
    found = [e for e in ENVIRONMENTS if e in words]
    return found[0] if len(found) == 1 else None


def is_prod(ctx: PlanContext) -> bool:
    """Prod by its config or by its name: renaming the environment does not make prod dev."""
    return ctx.settings.environment == "prod" or stack_environment(ctx.stack) == "prod"


def _probes(ctx: PlanContext) -> tuple[list[str], list[str]]:
    stack, project = ctx.stack, ctx.project
    names = ["x", "unrelated-resource-0", f"{project}-{stack}"]
    urns = [f"urn:pulumi:{stack}::{project}::t:m/r:R::x", "urn:pulumi:other::p::a:b/c:D::y"]
    return names, urns


def catch_all_scope(pattern: str, ctx: PlanContext) -> str | None:
    """What a suppression's resource pattern blankets, if it is a catch-all (None if it is narrow).

    'every resource' for patterns matching every synthetic name or URN ('*', '**', 'urn:*',
    'urn:pulumi:prod::*') or more than 80% of the stack's resources ('*-*'); 'every resource of
    target X' for patterns matching more than 80% of one target's resources ('aws-use1-*').
    A name, a type-scoped URN glob or a prefix shared by a few resources is narrow.
    """
    names, urns = _probes(ctx)
    if all(fnmatch.fnmatchcase(n, pattern) for n in names) or all(fnmatch.fnmatchcase(u, pattern) for u in urns):
        return "every resource"
    if pattern.startswith("urn:") and fnmatch.fnmatchcase(
        f"urn:pulumi:{ctx.stack}::{ctx.project}::t:m/r:R::x", pattern
    ):
        return "every resource"
    resources = [r for r in ctx.resources if r.custom]
    hit = {r.urn for r in resources if fnmatch.fnmatchcase(r.name, pattern) or fnmatch.fnmatchcase(r.urn, pattern)}
    if len(resources) >= 20 and len(hit) * 5 > len(resources) * 4:
        return "every resource"
    by_target: dict[str, list[str]] = {}
    for r in resources:
        target = ctx.target_of(r)
        if target:
            by_target.setdefault(target, []).append(r.urn)
    for target, urns_of in sorted(by_target.items()):
        inside = sum(1 for u in urns_of if u in hit)
        if len(urns_of) >= 10 and inside * 5 > len(urns_of) * 4:
            return f"every resource of target {target!r}"
    return None


def matches_everything(pattern: str, ctx: PlanContext) -> bool:
    return catch_all_scope(pattern, ctx) is not None


def _years_ahead(today: dt.date, expires: dt.date) -> int:
    return (expires - today).days


def guardrail_violations(ctx: PlanContext) -> Iterator[tuple[RuleMeta, str]]:
    """(rule, message) for every way this stack's config switches its guardrails off."""
    settings = ctx.settings
    declared = stack_environment(ctx.stack)
    raw_env = settings.raw.get("environment")
    if declared and raw_env and raw_env != declared:
        yield POL_ENVIRONMENT, f"environment is {raw_env!r} on stack {ctx.stack!r}; expected {declared!r}"
    if not is_prod(ctx):
        return
    policy = settings.raw.get("policy") or {}
    enforcement = policy.get("enforcement") if hasattr(policy, "get") else None
    if enforcement is not None and enforcement != "mandatory":
        yield POL_ENFORCEMENT, f"policy.enforcement is {enforcement!r}; expected 'mandatory' (the prod default)"
    overrides = policy.get("overrides") if hasattr(policy, "get") else None
    for rule_id, level in sorted((overrides or {}).items()):
        if level != "mandatory":
            yield POL_OVERRIDE, f"policy.overrides.{rule_id} is {level!r}; expected no override in prod"
    for s in settings.suppressions:
        where = f"policy.suppressions[{s.index}] ({s.rule} on {s.resource!r})"
        scope = "every resource" if not s.resource else catch_all_scope(s.resource, ctx)
        if scope:
            yield POL_SUPPRESSION, f"{where} matches {scope}; expected a specific resource name or URN"
        days = _years_ahead(ctx.today, s.expires)
        if days > MAX_SUPPRESSION_DAYS:
            yield (
                POL_SUPPRESSION,
                (
                    f"{where} expires {s.expires.isoformat()}, {days} days ahead; expected at most {MAX_SUPPRESSION_DAYS}"
                ),
            )
        if s.rule in GUARDRAIL_IDS:
            yield POL_SUPPRESSION, f"{where} targets a guardrail finding, which cannot be suppressed"
