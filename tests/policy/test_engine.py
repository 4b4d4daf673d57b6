"""The engine: enforcement per environment and per rule, suppressions (active, expired,
unmatched), exit codes and the three report formats."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest

from policy.engine import evaluate_plan, policy_summary_line
from tests.policy.baseline import TODAY, baseline
from tests.policy.harness import chain, config, drop, set_

CL = "aws1-cluster"
# Two findings: EKS-01 (high, the public endpoint) and K8S-05 (medium, a writable root filesystem).
INSECURE = chain(
    set_(CL, "vpcConfig.endpointPublicAccess", True),
    set_("dc1-server", "spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem", False),
)


def _plan(*changes):
    plan = baseline()
    for change in (INSECURE, *changes):
        change(plan)
    return plan


def _by_rule(report):
    return {f.rule: f for f in report.findings}


def test_prod_defaults_to_mandatory_and_exits_1():
    report = evaluate_plan(_plan(), TODAY)
    assert {f.rule: f.enforcement for f in report.findings} == {"EKS-01": "mandatory", "K8S-05": "mandatory"}
    assert report.exit_code == 1
    assert report.summary()["mandatory"] == 2


def _stack(name):
    def change(plan):
        plan["stack"] = name

    return change


def test_dev_defaults_to_advisory_and_exits_0():
    report = evaluate_plan(_plan(config("environment", "dev"), _stack("dev")), TODAY)
    assert {f.enforcement for f in report.findings} == {"advisory"}
    assert report.exit_code == 0
    assert {"EKS-01", "K8S-05"} <= {f.rule for f in report.findings}  # (and dev's spot/scale-to-zero findings)
    assert report.summary()["mandatory"] == 0 and report.summary()["advisory"] == len(report.findings)


def test_stack_default_and_per_rule_overrides():
    report = evaluate_plan(
        _plan(config("policy.enforcement", "advisory"), config("policy.overrides", {"K8S-05": "mandatory"})), TODAY
    )
    # In prod, lowering the default is itself a mandatory finding (POL-04, policy/guardrails.py).
    assert {f.rule: f.enforcement for f in report.findings} == {
        "EKS-01": "advisory",
        "K8S-05": "mandatory",
        "POL-04": "mandatory",
    }
    assert report.exit_code == 1


def test_disabled_rule_is_not_evaluated_or_listed():
    report = evaluate_plan(_plan(config("policy.overrides", {"EKS-01": "disabled", "K8S-05": "advisory"})), TODAY)
    # In prod each override is itself a mandatory POL-05 finding (tests/policy/test_guardrails.py).
    assert [f.rule for f in report.findings if f.rule != "POL-05"] == ["K8S-05"]
    assert "EKS-01" not in {m.id for m in report.rules}
    assert {f.enforcement for f in report.findings if f.rule == "K8S-05"} == {"advisory"}


def _suppression(rule="EKS-01", resource="aws1-clus*", expires="2027-01-31"):
    return {
        "rule": rule,
        "resource": resource,
        "justification": "Operators reach the API over the VPN only",
        "owner": "platform-team",
        "expires": expires,
    }


def test_active_suppression_by_name_glob():
    report = evaluate_plan(_plan(config("policy.suppressions", [_suppression()])), TODAY)
    eks = _by_rule(report)["EKS-01"]
    assert eks.suppressed and eks.justification.startswith(
        "Operators reach the API over the VPN only (owner platform-team"
    )
    assert report.summary()["suppressed"] == 1
    assert [f.rule for f in report.mandatory] == ["K8S-05"]


def test_suppression_by_urn_glob():
    report = evaluate_plan(
        _plan(config("policy.suppressions", [_suppression(resource="urn:pulumi:prod::*::aws:eks/*")])), TODAY
    )
    assert _by_rule(report)["EKS-01"].suppressed


def test_expired_suppression_is_itself_a_finding_and_suppresses_nothing():
    report = evaluate_plan(_plan(config("policy.suppressions", [_suppression(expires="2026-11-27")])), TODAY)
    findings = _by_rule(report)
    assert not findings["EKS-01"].suppressed
    assert findings["POL-01"].message == (
        "policy.suppressions[0] (EKS-01 on 'aws1-clus*') expired on 2026-11-27 (owner platform-team)"
    )
    assert findings["POL-01"].enforcement == "mandatory"
    assert report.exit_code == 1


def test_suppression_on_its_expiry_day_still_holds():
    report = evaluate_plan(_plan(config("policy.suppressions", [_suppression(expires=TODAY.isoformat())])), TODAY)
    assert _by_rule(report)["EKS-01"].suppressed
    assert "POL-01" not in _by_rule(report)


def test_unmatched_suppression_is_reported_as_advisory():
    report = evaluate_plan(_plan(config("policy.suppressions", [_suppression(rule="GKE-01")])), TODAY)
    finding = _by_rule(report)["POL-02"]
    assert finding.message == "policy.suppressions[0] (GKE-01 on 'aws1-clus*') matches no finding"
    assert finding.enforcement == "advisory"


def test_a_crashing_rule_fails_closed(monkeypatch):
    from policy.rules import rules_in

    rule = rules_in("policy.rules.aws.eks.cluster.enable_secrets_encryption")[0]

    def boom(resource, ctx):
        raise RuntimeError("bad input")

    monkeypatch.setattr(rule, "_check", boom)
    report = evaluate_plan(baseline(), TODAY, rules=[rule])
    assert [(f.rule, f.name, f.message, f.enforcement) for f in report.findings] == [
        ("POL-03", CL, "EKS-02 raised RuntimeError: bad input", "mandatory")
    ]


def test_json_report_is_exactly_the_contract():
    report = evaluate_plan(_plan(config("policy.suppressions", [_suppression()])), TODAY)
    data = json.loads(report.dumps("json"))
    assert set(data) == {"schemaVersion", "stack", "summary", "findings"}
    assert data["schemaVersion"] == 1 and data["stack"] == "prod"
    assert set(data["summary"]) == {"rules", "resources", "mandatory", "advisory", "suppressed"}
    assert data["summary"]["mandatory"] == 1 and data["summary"]["suppressed"] == 1
    for finding in data["findings"]:
        assert set(finding) == {
            "rule",
            "severity",
            "category",
            "enforcement",
            "urn",
            "type",
            "message",
            "suppressed",
            "justification",
        }
    k8s = next(f for f in data["findings"] if f["rule"] == "K8S-05")
    assert k8s == {
        "rule": "K8S-05",
        "severity": "medium",
        "category": "security",
        "enforcement": "mandatory",
        "urn": "urn:pulumi:prod::llm-fleet::kubernetes:apps/v1:Deployment::dc1-server",
        "type": "kubernetes:apps/v1:Deployment",
        "message": "spec.template.spec: container 'server': securityContext.readOnlyRootFilesystem is not true; expected true",
        "suppressed": False,
        "justification": None,
    }


def test_text_report_lists_findings_with_fixes_and_the_verdict():
    text = evaluate_plan(_plan(config("policy.suppressions", [_suppression()])), TODAY).to_text()
    assert "MANDATORY (1)" in text and "SUPPRESSED (1)" in text
    assert "K8S-05" in text and "fix: Set securityContext.readOnlyRootFilesystem true" in text
    assert "suppressed: Operators reach the API over the VPN only" in text
    assert text.rstrip().endswith("policy FAIL: 1 mandatory, 0 advisory, 1 suppressed (" + text.rstrip().split("(")[-1])


def test_summary_line_for_plan():
    plan = baseline()
    report = evaluate_plan(plan, TODAY)
    assert policy_summary_line(report) == (
        f"policy pass: 0 mandatory, 0 advisory, 0 suppressed ({len(report.rules)} rules, "
        f"{len(plan['resources'])} resources)"
    )


# ---------------------------------------------------------------------------
# SARIF 2.1.0
# ---------------------------------------------------------------------------

# The official schema (sarif-schema-2.1.0.json) is not shipped by any PyPI package this
# project can install (checked: sarif-om, sarif-tools, sarif-pydantic, sarif-kit,
# check-jsonschema, checkov), so this is the subset of it that our output uses: every
# property that the specification marks required, with its type, for the objects we write.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/run"}},
    },
    "definitions": {
        "message": {
            "type": "object",
            "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
            "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}},
        },
        "multiformatMessageString": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}},
        },
        "run": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {
                    "type": "object",
                    "required": ["driver"],
                    "properties": {"driver": {"$ref": "#/definitions/driver"}},
                },
                "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
                "automationDetails": {"type": "object", "properties": {"id": {"type": "string"}}},
            },
        },
        "driver": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "informationUri": {"type": "string", "format": "uri"},
                "rules": {"type": "array", "items": {"$ref": "#/definitions/reportingDescriptor"}},
            },
        },
        "reportingDescriptor": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "shortDescription": {"$ref": "#/definitions/multiformatMessageString"},
                "fullDescription": {"$ref": "#/definitions/multiformatMessageString"},
                "help": {"$ref": "#/definitions/multiformatMessageString"},
                "helpUri": {"type": "string", "format": "uri"},
                "defaultConfiguration": {
                    "type": "object",
                    "properties": {"level": {"enum": ["none", "note", "warning", "error"]}},
                },
                "properties": {
                    "type": "object",
                    "required": ["security-severity"],
                    "properties": {
                        "security-severity": {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
                        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                    },
                },
            },
        },
        "result": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": {"$ref": "#/definitions/message"},
                "locations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "physicalLocation": {
                                "type": "object",
                                "properties": {
                                    "artifactLocation": {"type": "object", "properties": {"uri": {"type": "string"}}}
                                },
                            },
                            "logicalLocations": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string"},
                                        "fullyQualifiedName": {"type": "string"},
                                        "kind": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                },
                "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                "suppressions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["kind"],
                        "properties": {
                            "kind": {"enum": ["inSource", "external"]},
                            "status": {"enum": ["accepted", "underReview", "rejected"]},
                            "justification": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def sarif():
    return json.loads(evaluate_plan(_plan(config("policy.suppressions", [_suppression()])), TODAY).dumps("sarif"))


def test_sarif_validates_against_the_2_1_0_structure(sarif):
    jsonschema.Draft7Validator(SARIF_SUBSET, format_checker=jsonschema.FormatChecker()).validate(sarif)


def test_sarif_has_one_rule_per_rule_id_with_security_severity(sarif):
    driver = sarif["runs"][0]["tool"]["driver"]
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids))
    assert {"EKS-01", "K8S-05", "POL-01", "POL-02"} <= set(ids)
    eks = next(r for r in driver["rules"] if r["id"] == "EKS-01")
    assert eks["properties"]["security-severity"] == "8.0"
    assert eks["name"] == "AwsEksClusterDisallowPublicEndpoint"
    assert "CKV_AWS_39" in eks["properties"]["tags"]
    for result in sarif["runs"][0]["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_carries_suppressions_with_their_justification(sarif):
    results = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    assert results["EKS-01"]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Operators reach the API over the VPN only (owner platform-team, expires 2027-01-31)",
        }
    ]
    assert "suppressions" not in results["K8S-05"]
    assert results["K8S-05"]["level"] == "error"
    assert results["K8S-05"]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith("::dc1-server")


def test_sarif_subset_schema_rejects_broken_output(sarif):
    broken = json.loads(json.dumps(sarif))
    del broken["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SARIF_SUBSET)


def test_today_defaults_to_the_real_date():
    report = evaluate_plan(_plan(config("policy.suppressions", [_suppression(expires="2000-01-01")])))
    assert "POL-01" in _by_rule(report)
    assert dt.date.today() > dt.date(2000, 1, 1)


def test_unset_version_is_reported_not_crashing():
    report = evaluate_plan(_plan(drop(CL, "version")), TODAY)
    assert "EKS-15" in _by_rule(report)
