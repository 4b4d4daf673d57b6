"""Default-deny NetworkPolicies and their explicit allows, on every placement."""

from __future__ import annotations

from typing import Any

from infra import naming
from infra.workloads import gateway, meta
from infra.workloads.peers import DNS_SOURCES, METRICS_SCRAPERS, POD_IDENTITY_ENDPOINTS
from tests.workloads.conftest import PlacementView


def policies(view: PlacementView) -> dict[str, dict[str, Any]]:
    return {r.props["metadata"]["name"]: r.props["spec"] for r in view.of_kind("NetworkPolicy")}


def test_default_deny_selects_every_pod_both_ways(view: PlacementView) -> None:
    deny = policies(view)["default-deny"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_every_pod_may_resolve_names_and_nothing_else_by_default(view: PlacementView) -> None:
    dns = policies(view)["allow-dns"]
    assert dns["podSelector"] == {} and dns["policyTypes"] == ["Egress"]
    (rule,) = dns["egress"]
    assert rule["to"] == DNS_SOURCES
    assert sorted((p["protocol"], p["port"]) for p in rule["ports"]) == [("TCP", 53), ("UDP", 53)]


def test_servers_accept_only_the_gateway_and_the_scraper_on_the_server_port(view: PlacementView) -> None:
    server = policies(view)[naming.server_name(view.model_name)]
    assert server["podSelector"] == {"matchLabels": meta.selector_labels(view.model_name)}
    port_rules = [r for r in server["ingress"] if "ports" in r]
    assert all(r["ports"] == [{"protocol": "TCP", "port": naming.SERVER_PORT}] for r in port_rules)
    sources = [peer for r in port_rules for peer in r["from"]]
    proxies = sources[0]
    assert proxies["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": gateway.ENVOY_GATEWAY_NAMESPACE}
    }
    assert proxies["podSelector"]["matchLabels"]["gateway.envoyproxy.io/owning-gateway-name"] == gateway.GATEWAY_NAME
    assert METRICS_SCRAPERS["prometheus-operator"] in sources or METRICS_SCRAPERS["gmp"] in sources
    # In a multi-node group the pods of one server talk among themselves (Ray, NCCL); nothing else.
    open_rules = [r for r in server["ingress"] if "ports" not in r]
    if view.is_group:
        assert open_rules == [{"from": [{"podSelector": {"matchLabels": meta.selector_labels(view.model_name)}}]}]
    else:
        assert open_rules == []


def test_servers_reach_only_the_weight_store_and_their_identity(view: PlacementView) -> None:
    server = policies(view)[naming.server_name(view.model_name)]
    weights = view.target_config.get("weights", {})
    identity = POD_IDENTITY_ENDPOINTS[view.target_config["kind"]]
    store_rules = [r for r in server["egress"] if r not in identity and "ports" in r]
    if weights.get("kind") == "pvc":
        assert store_rules == [], "a PVC store needs no network"
    else:
        expected = 9000 if ":9000" in weights.get("endpoint", "") else 443
        assert [p["port"] for r in store_rules for p in r["ports"]] == [expected]
        for rule in store_rules:
            (peer,) = rule["to"]
            assert "169.254.0.0/16" in peer["ipBlock"]["except"], "no route to link-local metadata services"
    assert all(rule in server["egress"] for rule in identity)


def test_stager_reaches_https_only(view: PlacementView) -> None:
    stager = policies(view)[f"{view.model_name}-stager"]
    assert stager["podSelector"] == {"matchLabels": meta.selector_labels(view.model_name, meta.STAGER)}
    assert "ingress" not in stager, "nothing connects to the stager"
    ports = {p["port"] for r in stager["egress"] for p in r.get("ports", [])}
    assert 443 in ports
    assert ports <= {443, 9000, 80, 988}


def test_job_and_server_pods_are_selected_by_their_policies(view: PlacementView) -> None:
    job_labels = view.one("Job").props["spec"]["template"]["metadata"]["labels"]
    stager = policies(view)[f"{view.model_name}-stager"]["podSelector"]["matchLabels"]
    assert all(job_labels.get(k) == v for k, v in stager.items())
    server = policies(view)[naming.server_name(view.model_name)]["podSelector"]["matchLabels"]
    for template in view.pod_templates().values():
        assert all(template["metadata"]["labels"].get(k) == v for k, v in server.items())
