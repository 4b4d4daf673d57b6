"""Hybrid routing records match each stack's routing config: health checks on every endpoint
(on-prem included), failover or weighted records under the route's hostname."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.plan import Plan, PlanResource
from infra.plan.mocks import INVOKES
from infra.plan.runner import PlanError
from infra.routing import route_name
from infra.stackfile import load_stack_file
from serving.errors import LlmFleetError
from tests.operations.harness import ROOT, evaluate_values, standin_address

HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
ROUTE = "llm-fleet:routing:Route"


def route_children(plan: Plan, hostname: str, typ: str) -> dict[str, PlanResource]:
    route = next(r for r in plan.of_type(ROUTE) if r.name == route_name(hostname))
    prefix = f"{route.name}-"
    out = {}
    for child in plan.children(route.urn):
        if child.type == typ:
            out[child.name.removeprefix(prefix).removesuffix("-health")] = child
    return out


def zone_id(name: str) -> str:
    return INVOKES["aws:route53/getZone:getZone"]({"name": name})["zoneId"]


def assert_health_checks(plan: Plan, hostname: str, domains: dict[str, str], path: str) -> dict[str, PlanResource]:
    checks = route_children(plan, hostname, HEALTH_CHECK)
    assert set(checks) == set(domains)
    for target, check in checks.items():
        props = check.props
        assert (props["type"], props["fqdn"], props["port"], props["resourcePath"]) == ("HTTPS", domains[target], 443, path)
        assert props["enableSni"] is True and props["failureThreshold"] == 3
        assert props["tags"]["llm-fleet-environment"] == plan.config["environment"]
    return checks


def test_dev_failover_lab_primary_aws_secondary(ops_dev: Plan) -> None:
    host = "api.llm-dev.example.com"
    # the model's unauthenticated health route (the stack sets no healthCheckPath)
    domains = {"lab": "llm-lab.example.com", "aws-dev": "llm-dev.example.com"}
    checks = assert_health_checks(ops_dev, host, domains, "/llama-8b/health")
    records = route_children(ops_dev, host, RECORD)
    assert set(records) == {"lab", "aws-dev"}
    lab, aws = records["lab"].props, records["aws-dev"].props
    for props, target, domain in ((lab, "lab", "llm-lab.example.com"), (aws, "aws-dev", "llm-dev.example.com")):
        assert (props["name"], props["type"], props["records"], props["ttl"]) == (host, "CNAME", [domain], 60)
        assert props["zoneId"] == zone_id("example.com")
        assert props["setIdentifier"] == target
    assert lab["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert aws["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    # the on-prem primary is health checked like a cloud endpoint
    assert lab["healthCheckId"].startswith(f"{checks['lab'].name}-")  # the mock id of that health check
    # aws-dev scales to zero (replicas.min 0): checked, but the check is not attached to the
    # record, or an idle secondary would never receive the traffic that wakes it
    assert "healthCheckId" not in aws


def test_prod_weighted_70_30_with_health_checks(ops_prod: Plan) -> None:
    host = "api.llm.example.com"
    assert_health_checks(ops_prod, host, {"aws-use1": "llm-aws.example.com", "gcp-usc1": "llm-gcp.example.com"}, "/llama-8b/health")
    records = route_children(ops_prod, host, RECORD)
    weights = {t: r.props["weightedRoutingPolicies"] for t, r in records.items()}
    assert weights == {"aws-use1": [{"weight": 70}], "gcp-usc1": [{"weight": 30}]}
    for target, record in records.items():
        assert record.props["healthCheckId"].startswith(f"{route_name(host)}-{target}-health")
        assert "failoverRoutingPolicies" not in record.props


def test_prod_failover_on_prem_primary(ops_prod: Plan) -> None:
    host = "large.llm.example.com"
    assert_health_checks(ops_prod, host, {"dc1": "llm-dc1.example.com", "aws-use1": "llm-aws.example.com"}, "/llama-70b/health")
    records = route_children(ops_prod, host, RECORD)
    assert records["dc1"].props["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert records["aws-use1"].props["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    assert all(r.props["healthCheckId"] for r in records.values())
    assert records["dc1"].props["records"] == ["llm-dc1.example.com"]


@pytest.mark.parametrize(("stack", "provider"), [("dev", "aws-dev-aws"), ("prod", "aws-use1-aws")])
def test_route53_uses_the_stacks_aws_provider(stack: str, provider: str, operations_plans: dict[str, Plan]) -> None:
    plan = operations_plans[stack]
    children = [c for r in plan.of_type(ROUTE) for c in plan.children(r.urn)]
    assert children and all(c.provider and c.provider.endswith(f"::{provider}") for c in children)


def test_one_route_component_per_configured_route(operations_plans: dict[str, Plan]) -> None:
    for plan in operations_plans.values():
        assert {r.name for r in plan.of_type(ROUTE)} == {route_name(r["hostname"]) for r in plan.config["routing"]}


def test_a_configured_health_check_path_wins() -> None:
    values = copy.deepcopy(load_stack_file("prod", ROOT).values)
    values["routing"][1]["healthCheckPath"] = "/healthz"
    plan = evaluate_values("prod", values)
    assert {c.props["resourcePath"] for c in route_children(plan, "large.llm.example.com", HEALTH_CHECK).values()} == {"/healthz"}


def test_a_multi_model_route_checks_every_model_on_every_endpoint() -> None:
    values = copy.deepcopy(load_stack_file("prod", ROOT).values)
    values["routing"][0]["models"] = ["llama-8b", "llama-70b"]
    plan = evaluate_values("prod", values)
    route = next(r for r in plan.of_type(ROUTE) if r.name == route_name("api.llm.example.com"))
    checks = {c.name: c.props for c in plan.children(route.urn) if c.type == HEALTH_CHECK}
    for target, domain in (("aws-use1", "llm-aws.example.com"), ("gcp-usc1", "llm-gcp.example.com")):
        parent = checks[f"{route.name}-{target}-health"]
        assert parent["type"] == "CALCULATED" and parent["childHealthThreshold"] == 2
        assert len(parent["childHealthchecks"]) == 2
        for model in ("llama-8b", "llama-70b"):
            child = checks[f"{route.name}-{target}-{model}-health"]
            assert (child["type"], child["fqdn"], child["resourcePath"]) == ("HTTPS", domain, f"/{model}/health")


# ---------------------------------------------------------------------------
# Stacks without AWS
# ---------------------------------------------------------------------------


def gcp_only_values() -> dict[str, Any]:
    """prod without AWS: a second GCP target takes aws-use1's place."""
    values = copy.deepcopy(load_stack_file("prod", ROOT).values)
    gcp = next(t for t in values["targets"] if t["kind"] == "gcp")
    second = {**copy.deepcopy(gcp), "name": "gcp-use4", "region": "us-east4", "edge": {**gcp["edge"], "domain": "llm-gcp2.example.com"}}
    values["targets"] = [gcp, second]
    values["models"] = [m for m in values["models"] if m["name"] == "llama-8b"]
    values["clients"] = [{**c, "models": ["llama-8b"]} for c in values["clients"] if "llama-8b" in c["models"]]
    values["models"][0]["placements"] = [
        {"target": "gcp-usc1", "pool": "l4", "replicas": {"min": 2, "max": 4}},
        {"target": "gcp-use4", "pool": "l4", "replicas": {"min": 0, "max": 2}},
    ]
    values["routing"] = [
        {
            "hostname": "api.llm.example.com",
            "dnsZone": "example-com",
            "mode": "weighted",
            "models": ["llama-8b"],
            "endpoints": [{"target": "gcp-usc1", "weight": 70}, {"target": "gcp-use4", "weight": 30}],
        },
        {
            "hostname": "failover.llm.example.com",
            "dnsZone": "example-com",
            "mode": "failover",
            "models": ["llama-8b"],
            "endpoints": [{"target": "gcp-usc1", "role": "primary"}, {"target": "gcp-use4", "role": "secondary"}],
        },
    ]
    values["policy"] = {}
    return values


def test_without_aws_the_routes_use_cloud_dns_routing_policies() -> None:
    plan = evaluate_values("prod", gcp_only_values())
    assert not plan.of_type(RECORD) and not plan.of_type(HEALTH_CHECK)
    records = {r.name: r.props for r in plan.of_type("gcp:dns/recordSet:RecordSet")}
    checks = plan.of_type("gcp:compute/healthCheck:HealthCheck")
    assert len(checks) == 2
    for check in checks:
        https = check.props["httpsHealthCheck"]
        assert (https["port"], https["requestPath"]) == (443, "/llama-8b/health")
        assert len(check.props["sourceRegions"]) == 3
    weighted = records[route_name("api.llm.example.com")]
    assert (weighted["name"], weighted["type"], weighted["managedZone"]) == ("api.llm.example.com.", "A", "example-com")
    wrrs = weighted["routingPolicy"]["wrrs"]
    assert [(w["weight"], w["rrdatas"]) for w in wrrs] == [
        (70, [standin_address("gcp-usc1")]),
        (30, [standin_address("gcp-use4")]),
    ]
    assert wrrs[0]["healthCheckedTargets"] == {"externalEndpoints": [standin_address("gcp-usc1")]}
    assert "healthCheckedTargets" in wrrs[0]
    assert "healthCheckedTargets" not in wrrs[1]  # gcp-use4 scales to zero
    failover = records[route_name("failover.llm.example.com")]["routingPolicy"]["primaryBackup"]
    assert failover["primary"]["externalEndpoints"] == [standin_address("gcp-usc1")]
    assert failover["backupGeos"][0]["rrdatas"] == [standin_address("gcp-use4")]
    assert "healthCheckedTargets" not in failover["backupGeos"][0]  # scales to zero
    assert failover["backupGeos"][0]["location"] == "us-east4"


def test_cloud_dns_needs_an_address_for_every_endpoint() -> None:
    values = gcp_only_values()
    onprem = next(t for t in load_stack_file("prod", ROOT).values["targets"] if t["kind"] == "onprem")
    values["targets"].append(onprem)
    values["models"][0]["placements"].append({"target": "dc1", "pool": "h100", "replicas": {"min": 1, "max": 1}})
    values["routing"][1]["endpoints"][1] = {"target": "dc1", "role": "secondary"}
    with pytest.raises((PlanError, LlmFleetError), match=r"routing\[1\]\.endpoints: target 'dc1' \(onprem\) exposes no edge IP"):
        evaluate_values("prod", values)


def test_on_prem_only_stack_uses_route53_with_a_default_provider() -> None:
    values = copy.deepcopy(load_stack_file("dev", ROOT).values)
    values["targets"] = [t for t in values["targets"] if t["kind"] == "onprem"]
    values["models"][0]["placements"] = [p for p in values["models"][0]["placements"] if p["target"] == "lab"]
    values["routing"][0]["mode"] = "weighted"
    values["routing"][0]["endpoints"] = [{"target": "lab", "weight": 100}]
    plan = evaluate_values("dev", values)
    (provider,) = [r for r in plan.of_type("pulumi:providers:aws") if r.name == "routing-aws"]
    assert provider.props["region"] == "us-east-1"
    (record,) = plan.of_type(RECORD)
    assert record.provider is not None and record.provider.endswith("::routing-aws")
    assert record.props["weightedRoutingPolicies"] == [{"weight": 100}]
