"""Operations inside the real program (``dev_plan`` / ``prod_plan``): every cluster gets its
add-ons, every placement its monitor, rules, dashboard and scaler, aimed at the objects the
serving layer really creates."""

from __future__ import annotations

import pytest

from infra.plan import Plan, PlanResource


def placements(plan: Plan) -> list[tuple[str, str]]:
    return [(p["target"], m["name"]) for m in plan.config["models"] for p in m["placements"]]


def named(plan: Plan, typ: str, name: str) -> PlanResource:
    found = [r for r in plan.resources if r.type == typ and r.name == name]
    assert len(found) == 1, f"{typ} {name}: {len(found)}"
    return found[0]


@pytest.fixture(params=["dev", "prod"])
def plan(request: pytest.FixtureRequest, dev_plan: Plan, prod_plan: Plan) -> Plan:
    return {"dev": dev_plan, "prod": prod_plan}[request.param]


def test_each_target_has_cluster_operations(plan: Plan) -> None:
    for target in plan.config["targets"]:
        ops = named(plan, "llm-fleet:operations:ClusterOperations", f"{target['name']}-ops")
        parent = plan.by_urn()[ops.parent]
        assert parent.type == f"llm-fleet:{target['kind']}:Target" and parent.name == target["name"]


def test_each_placement_has_operations_aimed_at_its_server(plan: Plan) -> None:
    for target, model in placements(plan):
        name = f"{target}-{model}"
        ops = named(plan, "llm-fleet:operations:PlacementOperations", f"{name}-ops")
        assert plan.by_urn()[ops.parent].type == "llm-fleet:workloads:ModelPlacement"
        children = {c.name: c for c in plan.children(ops.urn)}
        scaler = children[f"{name}-ops-scaler"].props["spec"]
        ref = scaler["scaleTargetRef"]
        workloads = [
            r
            for r in plan.resources
            if r.type == f"kubernetes:{ref['apiVersion']}:{ref['kind']}"
            and r.props["metadata"]["name"] == ref["name"]
            and r.props["metadata"].get("namespace") == f"llm-{model}"
            and plan.target_of(r) == target
        ]
        assert len(workloads) == 1, f"{name}: scale target {ref} not found"
        workload = workloads[0].props["spec"]
        # KEDA owns the replica count: the workload must not carry one (server-side apply would reset it)
        assert "replicas" not in workload
        monitor = next(c for c in children.values() if c.name.endswith(("-pod-monitor", "-pod-monitoring")))
        selector = monitor.props["spec"]["selector"]["matchLabels"]
        pod_labels = (workload.get("template") or workload.get("leaderWorkerTemplate", {}).get("workerTemplate", {}))[
            "metadata"
        ]["labels"]
        assert selector.items() <= pod_labels.items(), f"{name}: monitor selects {selector}, pods have {pod_labels}"


def test_scalers_and_slis_read_the_api_routes_the_serving_layer_creates(plan: Plan) -> None:
    for target, model in placements(plan):
        routes = {
            r.props["metadata"]["name"]
            # an AIGatewayRoute generates the HTTPRoute of its name (Envoy clusters httproute/<ns>/<name>/...)
            for r in plan.of_type(
                "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
            )
            if r.props["metadata"].get("namespace") == f"llm-{model}" and plan.target_of(r) == target
        }
        api = {r for r in routes if not r.endswith("-health")}
        scaler = named(plan, "kubernetes:keda.sh/v1alpha1:ScaledObject", f"{target}-{model}-ops-scaler")
        queries = " ".join(t["metadata"]["query"] for t in scaler.props["spec"]["triggers"])
        (rules,) = [r for r in plan.resources if r.name == f"{target}-{model}-ops-rules"]
        sli = next(
            r["expr"] for g in rules.props["spec"]["groups"] for r in g["rules"] if r.get("labels", {}).get("slo") == "availability"
        )
        expected = f"httproute/llm-{model}/({'|'.join(sorted(api, key=lambda n: (len(n), n)))})/rule/.*"
        assert expected in sli, f"{target}-{model}: SLI does not read {api}"
        if "gateway-requests" in queries:
            assert expected in queries


def test_routing_is_health_checked_across_targets(plan: Plan) -> None:
    for route in plan.config["routing"]:
        name = "route-" + route["hostname"].replace(".", "-")
        component = named(plan, "llm-fleet:routing:Route", name)
        kinds = [c.type for c in plan.children(component.urn)]
        assert kinds.count("aws:route53/healthCheck:HealthCheck") == len(route["endpoints"])
        assert kinds.count("aws:route53/record:Record") == len(route["endpoints"])
