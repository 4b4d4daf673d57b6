"""Edge: global external Application Load Balancer, managed certificates, TLS 1.2+, Cloud Armor."""

from __future__ import annotations

import json
import re

import pytest

from infra.config import parse_stack_config
from infra.gcp.edge import (
    ENVOY_READINESS_PORT,
    GATEWAY_CONTAINER_PORT,
    GATEWAY_SERVICE_PORT,
    GOOGLE_FRONT_END_RANGES,
    INFERENCE_PATHS,
    MAX_ALLOWED_CIDRS,
)
from infra.plan import evaluate_config
from infra.stackfile import StackFile
from infra.workloads.context import ClusterContext
from infra.workloads.gateway import edge_hostnames
from serving.errors import LlmFleetError
from tests.gcp.conftest import ROOT, GcpView, variant_values

ARMOR = "gcp:compute/securityPolicy:SecurityPolicy"
REQUIRED_WAF = {"sqli", "xss", "lfi", "rce"}


def rules(view: GcpView) -> list[dict]:
    return view.one(ARMOR).props["rules"]


def expressions(view: GcpView) -> list[str]:
    return [r["match"].get("expr", {}).get("expression", "") for r in rules(view)]


def test_ssl_policy_requires_tls_1_2_and_is_on_the_https_proxy(prod_gcp: GcpView) -> None:
    policy = prod_gcp.one("gcp:compute/sSLPolicy:SSLPolicy").props
    assert policy["minTlsVersion"] == "TLS_1_2"
    assert policy["profile"] in ("MODERN", "RESTRICTED")
    proxy = prod_gcp.one("gcp:compute/targetHttpsProxy:TargetHttpsProxy").props
    assert proxy["sslPolicy"].endswith(f"/sslPolicies/{policy['name']}")


def test_managed_certificates_cover_every_gateway_hostname(prod_gcp: GcpView, variant_gcp: GcpView) -> None:
    certs = prod_gcp.of_type("gcp:compute/managedSslCertificate:ManagedSslCertificate")
    assert sorted(c.props["managed"]["domains"] for c in certs) == [
        ["api.llm.example.com"],  # routing hostname: DNS elsewhere, its own certificate
        ["llama-70b.llm-gcp.example.com", "llama-8b.llm-gcp.example.com", "llm-gcp.example.com"],
    ]
    assert sorted(d for c in certs for d in c.props["managed"]["domains"]) == edge_hostnames(
        parse_stack_config(prod_gcp.plan.config, "prod"), prod_gcp.target
    )
    assert all(c.props["type"] == "MANAGED" for c in certs)
    proxy = prod_gcp.one("gcp:compute/targetHttpsProxy:TargetHttpsProxy").props
    assert sorted(p.rsplit("/", 1)[1] for p in proxy["sslCertificates"]) == sorted(c.props["name"] for c in certs)
    [variant_cert] = variant_gcp.of_type("gcp:compute/managedSslCertificate:ManagedSslCertificate")
    assert variant_cert.props["managed"]["domains"] == ["llama-8b.llm-gcp-dev.example.com", "llm-gcp-dev.example.com"]


def test_waf_rules_deny_sqli_xss_lfi_rce_and_log4j(prod_gcp: GcpView) -> None:
    waf = {
        e.split("'")[1]: r
        for e, r in zip(expressions(prod_gcp), rules(prod_gcp), strict=True)
        if e.startswith("evaluatePreconfiguredWaf(")
    }
    families = {name.split("-")[0] for name in waf}
    assert families >= REQUIRED_WAF
    assert "cve-canary" in waf  # Log4j
    assert all(name == "cve-canary" or name.endswith("-stable") for name in waf)
    assert all(r["action"] == "deny(403)" for r in waf.values())


def test_inference_paths_are_rate_limited_per_client_ip(prod_gcp: GcpView) -> None:
    [throttle] = [r for r in rules(prod_gcp) if r["action"] in ("throttle", "rate_based_ban")]
    expression = throttle["match"]["expr"]["expression"]
    assert expression == f"request.path.matches('{INFERENCE_PATHS}')"
    for path in ("/v1/chat/completions", "/v1/completions", "/llama-8b/v1/chat/completions"):
        assert re.match(INFERENCE_PATHS, path), path
    for path in ("/health", "/metrics", "/", "/a/b/v1/x"):
        assert not re.match(INFERENCE_PATHS, path), path
    options = throttle["rateLimitOptions"]
    assert options["rateLimitThreshold"] == {"count": prod_gcp.config["edge"]["rateLimitPerMinute"], "intervalSec": 60}
    assert options["rateLimitThreshold"]["count"] == 1200
    assert options["enforceOnKey"] == "IP"
    assert options["exceedAction"] == "deny(429)"
    waf_priorities = [r["priority"] for r in rules(prod_gcp) if r["action"] == "deny(403)"]
    assert max(waf_priorities) < throttle["priority"], "WAF rules run before the throttle allows a request"


def test_default_rule_and_json_parsing(prod_gcp: GcpView) -> None:
    armor = prod_gcp.one(ARMOR).props
    default = max(rules(prod_gcp), key=lambda r: r["priority"])
    assert default["priority"] == 2147483647
    assert armor["advancedOptionsConfig"]["jsonParsing"] == "STANDARD"
    assert armor["type"] == "CLOUD_ARMOR"


def test_restricted_edge_denies_everyone_else_first(variant_gcp: GcpView) -> None:
    first = min(rules(variant_gcp), key=lambda r: r["priority"])
    assert first["action"] == "deny(403)"
    assert first["match"]["expr"]["expression"] == (
        "!(inIpRange(origin.ip, '10.0.0.0/8') || inIpRange(origin.ip, '192.168.0.0/16'))"
    )
    [throttle] = [r for r in rules(variant_gcp) if r["action"] == "throttle"]
    assert throttle["rateLimitOptions"]["rateLimitThreshold"]["count"] == 300


def test_security_policy_is_attached_to_the_backend(prod_gcp: GcpView) -> None:
    armor = prod_gcp.one(ARMOR).props
    [backend] = prod_gcp.of_type("gcp:compute/backendService:BackendService")
    assert backend.props["securityPolicy"].endswith(f"/securityPolicies/{armor['name']}")
    assert backend.props["loadBalancingScheme"] == "EXTERNAL_MANAGED"
    assert backend.props["logConfig"]["enable"] is True
    assert backend.props["timeoutSec"] >= 300  # streamed generations


def test_backend_reaches_the_gateway_negs_in_the_system_zones(prod_gcp: GcpView, prod_context: ClusterContext) -> None:
    [backend] = prod_gcp.of_type("gcp:compute/backendService:BackendService")
    system = prod_gcp.named(f"{prod_gcp.target}-gke-system").props
    annotation = json.loads(prod_context.extra["gateway_service"]["annotations"]["cloud.google.com/neg"])
    [(port, neg)] = annotation["exposed_ports"].items()
    assert port == str(prod_context.extra["gateway_service"]["port"])
    groups = [b["group"] for b in backend.props["backends"]]
    assert groups == [
        f"projects/{prod_gcp.config['project']}/zones/{zone}/networkEndpointGroups/{neg['name']}"
        for zone in system["nodeLocations"]
    ]
    health = prod_gcp.one("gcp:compute/healthCheck:HealthCheck").props
    assert backend.props["healthChecks"].endswith(f"/healthChecks/{health['name']}")


def test_firewall_lets_only_google_front_ends_reach_the_gateway(prod_gcp: GcpView) -> None:
    rule = prod_gcp.one("gcp:compute/firewall:Firewall").props
    system = prod_gcp.named(f"{prod_gcp.target}-gke-system").props
    assert rule["sourceRanges"] == GOOGLE_FRONT_END_RANGES
    assert rule["targetTags"] == system["nodeConfig"]["tags"]
    assert rule["allows"] == [{"protocol": "tcp", "ports": [str(GATEWAY_CONTAINER_PORT), str(ENVOY_READINESS_PORT)]}]


def test_https_on_443_and_http_only_redirects(prod_gcp: GcpView) -> None:
    address = prod_gcp.one("gcp:compute/globalAddress:GlobalAddress")
    rules_by_port = {
        r.props["portRange"]: r.props for r in prod_gcp.of_type("gcp:compute/globalForwardingRule:GlobalForwardingRule")
    }
    assert set(rules_by_port) == {"443", "80"}
    https_proxy = prod_gcp.one("gcp:compute/targetHttpsProxy:TargetHttpsProxy").props
    http_proxy = prod_gcp.one("gcp:compute/targetHttpProxy:TargetHttpProxy").props
    assert rules_by_port["443"]["target"].endswith(f"/targetHttpsProxies/{https_proxy['name']}")
    assert rules_by_port["80"]["target"].endswith(f"/targetHttpProxies/{http_proxy['name']}")
    assert len({r["ipAddress"] for r in rules_by_port.values()}) == 1, "both listeners share the address"
    assert all(r["loadBalancingScheme"] == "EXTERNAL_MANAGED" for r in rules_by_port.values())
    url_maps = {u.props["name"]: u.props for u in prod_gcp.of_type("gcp:compute/uRLMap:URLMap")}
    redirect = url_maps[http_proxy["urlMap"].rsplit("/", 1)[1]]
    assert redirect["defaultUrlRedirect"]["httpsRedirect"] is True
    assert "defaultService" not in redirect
    assert address.props["addressType"] == "EXTERNAL"


def test_dns_records_point_the_edge_names_at_the_load_balancer(prod_gcp: GcpView, variant_gcp: GcpView) -> None:
    records = [r.props for r in prod_gcp.of_type("gcp:dns/recordSet:RecordSet")]
    forwarding = prod_gcp.of_type("gcp:compute/globalForwardingRule:GlobalForwardingRule")[0].props
    assert sorted(r["name"] for r in records) == [
        "llama-70b.llm-gcp.example.com.",
        "llama-8b.llm-gcp.example.com.",
        "llm-gcp.example.com.",
    ]
    for record in records:
        assert record["managedZone"] == prod_gcp.config["edge"]["dnsZone"]
        assert record["type"] == "A" and record["rrdatas"] == [forwarding["ipAddress"]]
    assert not variant_gcp.of_type("gcp:dns/recordSet:RecordSet")  # no dnsZone configured


def test_more_cidrs_than_cloud_armor_matches_in_one_rule_is_an_error() -> None:
    values = variant_values()
    values["targets"][0]["edge"]["allowedCidrs"] = [f"10.{i}.0.0/16" for i in range(MAX_ALLOWED_CIDRS + 1)]
    stack_file = StackFile("gcpcidrs", ROOT / "Pulumi.gcpcidrs.yaml", values, frozenset())
    with pytest.raises(LlmFleetError, match=r"targets\.gcp-dev\.edge\.allowedCidrs: 6 CIDRs is not allowed on gcp"):
        evaluate_config(stack_file, stack_file.parse())


def test_gateway_is_built_behind_the_load_balancer(prod_gcp: GcpView, prod_context: ClusterContext) -> None:
    [proxy] = prod_gcp.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
    service = proxy.props["spec"]["provider"]["kubernetes"]["envoyService"]
    assert service == {"type": "ClusterIP", "annotations": prod_context.extra["gateway_service"]["annotations"]}
    [gateway] = prod_gcp.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    assert [(listener["protocol"], listener["port"]) for listener in gateway.props["spec"]["listeners"]] == [
        ("HTTP", GATEWAY_SERVICE_PORT)
    ]
    assert not prod_gcp.of_type(
        "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyExtensionPolicy"
    )  # Cloud Armor is the WAF
    [client] = prod_gcp.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy")
    assert client.props["spec"]["clientIPDetection"] == {"xForwardedFor": {"numTrustedHops": 1}}
