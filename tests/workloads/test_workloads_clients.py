"""One fleet, one identity (issue 14), read off the dev and prod Plans: every endpoint of every
routed hostname accepts the same clients with the same keys for the same model, never a lone
per-target key; one key generator per client key; the keys reach clients only as secret stack
outputs."""

from __future__ import annotations

import json
from typing import Any

from infra import api_clients
from infra.plan import SECRET, Plan
from infra.workloads import client_credentials, meta

SECRET_TYPE = "kubernetes:core/v1:Secret"
AI_ROUTE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
SECURITY_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"
GENERATOR = "random:index/randomPassword:RandomPassword"


def accepted(plan: Plan, target: str, hostname: str) -> dict[str, dict[str, str]]:
    """model namespace -> {client id: key source} accepted on ``hostname`` at ``target``."""
    secrets = {
        (r.props["metadata"]["namespace"], r.props["metadata"]["name"]): r.props
        for r in plan.of_type(SECRET_TYPE)
        if plan.target_of(r) == target
    }
    out: dict[str, dict[str, str]] = {}
    for route in plan.of_type(AI_ROUTE, HTTP_ROUTE):
        meta_ = route.props["metadata"]
        if plan.target_of(route) != target or hostname not in route.props["spec"].get("hostnames", []):
            continue
        if meta_["name"].endswith("-health"):
            continue  # the unauthenticated health check of the global routing
        (policy,) = [
            p.props["spec"] for p in plan.of_type(SECURITY_POLICY)
            if plan.target_of(p) == target and p.props["metadata"]["namespace"] == meta_["namespace"]
            and meta_["name"] in {t["name"] for t in p.props["spec"]["targetRefs"]}
        ]
        (ref,) = policy["apiKeyAuth"]["credentialRefs"]
        secret = secrets[(ref.get("namespace", meta_["namespace"]), ref["name"])]
        sources = json.loads(secret["metadata"]["annotations"][meta.KEY_SOURCES_ANNOTATION])
        (rule,) = policy["authorization"]["rules"]
        (header,) = rule["principal"]["headers"]
        out[meta_["namespace"]] = {cid: sources[cid] for cid in header["values"]}
    return out


def test_every_endpoint_of_every_route_accepts_the_same_clients(stack_plan: Plan) -> None:
    routing = stack_plan.config.get("routing", [])
    assert routing
    for route in routing:
        seen = {e["target"]: accepted(stack_plan, e["target"], route["hostname"]) for e in route["endpoints"]}
        first = next(iter(seen.values()))
        assert first and all(first[ns] for ns in first), (route["hostname"], seen)
        for target, found in seen.items():
            assert found == first, (route["hostname"], target)
        for by_client in first.values():
            assert "default" not in by_client, "never a lone per-target default key"
            for source in by_client.values():
                assert not any(source.startswith(f"random:{t}-") for t in seen), "a per-target generator"


def test_the_prod_bar_two_clients_each_with_models_on_routed_endpoints(prod_plan: Plan) -> None:
    clients = prod_plan.config["clients"]
    assert len(clients) >= 2
    accepted_ids = {
        cid
        for route in prod_plan.config["routing"]
        for e in route["endpoints"]
        for found in accepted(prod_plan, e["target"], route["hostname"]).values()
        for cid in found
    }
    assert {cid.split(".")[0] for cid in accepted_ids} == {c["name"] for c in clients}


def test_one_generator_per_generated_client_key_and_none_per_target(stack_plan: Plan) -> None:
    expected = {
        api_clients.generator_name(c["name"], k["id"])
        for c in stack_plan.config["clients"]
        for k in c["keys"]
        if k.get("state", "active") == "active" and k.get("source", "generated") == "generated"
    }
    generators = [r for r in stack_plan.of_type(GENERATOR) if r.name.startswith(api_clients.GENERATOR_PREFIX)]
    assert sorted(r.name for r in generators) == sorted(expected)
    for generator in generators:
        assert stack_plan.target_of(generator) is None, "fleet-wide: not under any target"
        assert generator.props["length"] >= 32
    # every target's client-key Secret is built from those generators (or secret references)
    for secret in stack_plan.of_type(SECRET_TYPE):
        if secret.props["metadata"]["name"] != client_credentials.CLIENT_KEYS_SECRET:
            continue
        assert secret.props["stringData"] == SECRET
        sources = json.loads(secret.props["metadata"]["annotations"][meta.KEY_SOURCES_ANNOTATION])
        for source in sources.values():
            assert source.removeprefix("random:") in expected or not source.startswith("random:"), source


def test_generated_keys_are_secret_stack_outputs_only(stack_plan: Plan) -> None:
    outputs: dict[str, Any] = stack_plan.outputs
    expected = {
        api_clients.output_name(c["name"], k["id"])
        for c in stack_plan.config["clients"]
        for k in c["keys"]
        if k.get("state", "active") == "active" and k.get("source", "generated") == "generated"
    }
    assert {k for k in outputs if k.startswith("clientKey_")} == expected
    assert all(outputs[name] == SECRET for name in expected)


def test_a_planted_client_key_never_reaches_the_plan_or_the_render(tmp_path) -> None:
    import copy as copy_

    from infra.plan import evaluate_config
    from infra.render import render_plan
    from infra.stackfile import load_stack_file
    from tests.workloads.conftest import ROOT

    planted = "sk-PlantedClientKeyThatMustNeverAppear0123456789"
    base = load_stack_file("dev", ROOT)
    values = copy_.deepcopy(base.values)
    values["clients"][0]["keys"].append({"id": "k2026b", "source": {"config": "mlDevKeyB"}})
    stack_file = base.__class__(base.stack, base.path, values, base.secure_keys | {"mlDevKeyB"})
    plan = evaluate_config(stack_file, stack_file.parse(), secret_values={"mlDevKeyB": planted})
    assert planted not in plan.dumps()
    render_plan(plan, tmp_path)
    assert not [p for p in tmp_path.rglob("*.yaml") if planted in p.read_text()]
    # the referenced key is deployed (by reference) next to the generated one
    (secret,) = [
        r for r in plan.of_type(SECRET_TYPE)
        if r.props["metadata"]["name"] == client_credentials.CLIENT_KEYS_SECRET and plan.target_of(r) == "lab"
    ]
    sources = json.loads(secret.props["metadata"]["annotations"][meta.KEY_SOURCES_ANNOTATION])
    assert sources["ml-dev.k2026b"] == "config:mlDevKeyB"
