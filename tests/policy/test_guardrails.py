"""Switching the guardrails off in prod (policy/guardrails.py): each way is a mandatory
finding that no override, default enforcement or suppression can lower or hide."""

from __future__ import annotations

import pytest

from policy.context import PlanContext
from policy.engine import evaluate_plan
from policy.guardrails import catch_all_scope, matches_everything, stack_environment
from tests.policy.baseline import TODAY, baseline
from tests.policy.harness import chain, config, set_

GUARDS = {"POL-04", "POL-05", "POL-06", "POL-07"}
# One real finding (EKS-01) so that lowering enforcement visibly changes the verdict.
PUBLIC_API = set_("aws1-cluster", "vpcConfig.endpointPublicAccess", True)


def _stack(name):
    def change(plan):
        plan["stack"] = name

    return change


def _suppression(resource="aws1-cluster", expires="2027-05-31", rule="EKS-01"):
    return {"rule": rule, "resource": resource, "justification": "VPN only", "owner": "platform", "expires": expires}


def _guards(*changes):
    plan = baseline()
    chain(PUBLIC_API, *changes)(plan)
    report = evaluate_plan(plan, TODAY)
    found = sorted((f.rule, f.message) for f in report.findings if f.rule in GUARDS)
    assert all(f.blocking for f in report.findings if f.rule in GUARDS)
    return found, report


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(None, id="baseline"),
        pytest.param(config("policy.enforcement", "mandatory"), id="explicit-mandatory"),
        pytest.param(config("policy.overrides", {"EKS-01": "mandatory"}), id="override-up"),
        pytest.param(config("policy.suppressions", [_suppression()]), id="narrow-suppression"),
        pytest.param(config("policy.suppressions", [_suppression(resource="aws1-clus*")]), id="narrow-glob"),
        pytest.param(
            config("policy.suppressions", [_suppression(resource="urn:pulumi:prod::llm-fleet::aws:eks/*")]),
            id="type-urn-glob",
        ),
        pytest.param(config("policy.suppressions", [_suppression(expires="2027-11-28")]), id="expires-in-a-year"),
        pytest.param(
            chain(config("environment", "dev"), _stack("dev"), config("policy.enforcement", "advisory")),
            id="dev-stack-may-be-advisory",
        ),
    ],
)
def test_safe_settings_raise_no_guardrail_finding(change):
    found, _ = _guards(*([change] if change else []))
    assert found == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            config("policy.enforcement", "advisory"),
            [("POL-04", "policy.enforcement is 'advisory'; expected 'mandatory' (the prod default)")],
        ),
        (
            config("policy.enforcement", "disabled"),
            [("POL-04", "policy.enforcement is 'disabled'; expected 'mandatory' (the prod default)")],
        ),
        (
            config("policy.overrides", {"EKS-01": "disabled", "POL-01": "advisory"}),
            [
                ("POL-05", "policy.overrides.EKS-01 is 'disabled'; expected no override in prod"),
                ("POL-05", "policy.overrides.POL-01 is 'advisory'; expected no override in prod"),
            ],
        ),
        (
            config("policy.suppressions", [_suppression(resource="*")]),
            [
                (
                    "POL-06",
                    "policy.suppressions[0] (EKS-01 on '*') matches every resource; expected a specific "
                    "resource name or URN",
                )
            ],
        ),
        (
            config("policy.suppressions", [_suppression(resource="**")]),
            [
                (
                    "POL-06",
                    "policy.suppressions[0] (EKS-01 on '**') matches every resource; expected a specific "
                    "resource name or URN",
                )
            ],
        ),
        (
            config("policy.suppressions", [_suppression(resource="urn:*")]),
            [
                (
                    "POL-06",
                    "policy.suppressions[0] (EKS-01 on 'urn:*') matches every resource; expected a specific "
                    "resource name or URN",
                )
            ],
        ),
        (
            config("policy.suppressions", [_suppression(resource="urn:pulumi:prod::*")]),
            [
                (
                    "POL-06",
                    "policy.suppressions[0] (EKS-01 on 'urn:pulumi:prod::*') matches every resource; expected "
                    "a specific resource name or URN",
                )
            ],
        ),
        (
            config("policy.suppressions", [_suppression(resource="*-*")]),
            [
                (
                    "POL-06",
                    "policy.suppressions[0] (EKS-01 on '*-*') matches every resource; expected a specific "
                    "resource name or URN",
                )
            ],
        ),
        (
            config("policy.suppressions", [_suppression(resource="aws1-*")]),
            [
                (
                    "POL-06",
                    "policy.suppressions[0] (EKS-01 on 'aws1-*') matches every resource of target 'aws1'; expected a "
                    "specific resource name or URN",
                )
            ],
        ),
        (
            config("policy.suppressions", [_suppression(expires="2099-12-31")]),
            [
                (
                    "POL-06",
                    "policy.suppressions[0] (EKS-01 on 'aws1-cluster') expires 2099-12-31, 26696 days ahead; "
                    "expected at most 366",
                )
            ],
        ),
        (
            config("policy.suppressions", [_suppression(rule="POL-04")]),
            [
                (
                    "POL-06",
                    "policy.suppressions[0] (POL-04 on 'aws1-cluster') targets a guardrail finding, which "
                    "cannot be suppressed",
                )
            ],
        ),
        (
            config("environment", "dev"),
            [("POL-07", "environment is 'dev' on stack 'prod'; expected 'prod'")],
        ),
        (
            chain(config("environment", "staging"), config("policy.enforcement", "advisory")),
            [
                ("POL-04", "policy.enforcement is 'advisory'; expected 'mandatory' (the prod default)"),
                ("POL-07", "environment is 'staging' on stack 'prod'; expected 'prod'"),
            ],
        ),
    ],
)
def test_switching_guardrails_off_is_a_mandatory_finding(change, expected):
    found, report = _guards(change)
    assert found == expected
    assert report.exit_code == 1


def test_guardrail_findings_survive_their_own_override_and_suppression():
    found, report = _guards(
        config("policy.enforcement", "advisory"),
        config("policy.overrides", {"POL-04": "disabled", "POL-05": "disabled"}),
        config(
            "policy.suppressions",
            [
                _suppression(rule="POL-04", resource="llm-fleet-prod"),
                _suppression(rule="POL-05", resource="llm-fleet-prod"),
            ],
        ),
    )
    rules = [r for r, _ in found]
    assert rules.count("POL-04") == 1 and rules.count("POL-05") == 2 and rules.count("POL-06") == 2
    assert report.exit_code == 1 and all(not f.suppressed for f in report.findings if f.rule in GUARDS)


def test_a_disabled_rule_in_prod_still_fails_the_stack():
    _, report = _guards(config("policy.overrides", {"EKS-01": "disabled"}))
    assert "EKS-01" not in {f.rule for f in report.findings}
    assert [f.rule for f in report.mandatory if f.rule in GUARDS] == ["POL-05"]


def test_stack_environment_from_the_name():
    assert [stack_environment(s) for s in ("prod", "prod-eu", "acme/production", "dev", "team-x", "dev-prod")] == [
        "prod",
        "prod",
        "prod",
        "dev",
        None,
        None,
    ]


def test_catch_all_scope_by_stack_and_by_target():
    ctx = PlanContext.from_plan(baseline(), TODAY)
    assert matches_everything("*", ctx) and not matches_everything("aws1-cluster", ctx)
    assert catch_all_scope("dc1-*", ctx) == "every resource of target 'dc1'"
    assert catch_all_scope("urn:pulumi:prod::llm-fleet::aws:eks/*", ctx) is None
    assert catch_all_scope("dc1-server*", ctx) is None
