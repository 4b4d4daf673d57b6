"""Edge: global external Application Load Balancer, managed certificates, TLS 1.2+, Cloud Armor."""

from __future__ import annotations

import json

from infra.gcp.edge import ENVOY_READINESS_PORT, GATEWAY_CONTAINER_PORT, GOOGLE_FRONT_END_RANGES
from infra.workloads.context import ClusterContext
from tests.gcp.conftest import GcpView

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


def test_managed_certificates_cover_the_edge_and_routing_hostnames(prod_gcp: GcpView, variant_gcp: GcpView) -> None:
    certs = prod_gcp.of_type("gcp:compute/managedSslCertificate:ManagedSslCertificate")
    assert sorted(c.props["managed"]["domains"] for c in certs) == [["api.llm.example.com"], ["llm-gcp.example.com"]]
    assert all(c.props["type"] == "MANAGED" for c in certs)
    proxy = prod_gcp.one("gcp:compute/targetHttpsProxy:TargetHttpsProxy").props
    assert sorted(p.rsplit("/", 1)[1] for p in proxy["sslCertificates"]) == sorted(c.props["name"] for c in certs)
    [variant_cert] = variant_gcp.of_type("gcp:compute/managedSslCertificate:ManagedSslCertificate")
    assert variant_cert.props["managed"]["domains"] == ["llm-gcp-dev.example.com"]


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
    assert throttle["match"]["expr"]["expression"] == "request.path.startsWith('/v1/')"
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


def test_dns_record_points_the_edge_name_at_the_load_balancer(prod_gcp: GcpView, variant_gcp: GcpView) -> None:
    record = prod_gcp.one("gcp:dns/recordSet:RecordSet").props
    forwarding = prod_gcp.of_type("gcp:compute/globalForwardingRule:GlobalForwardingRule")[0].props
    assert record["name"] == "llm-gcp.example.com."
    assert record["managedZone"] == prod_gcp.config["edge"]["dnsZone"]
    assert record["type"] == "A" and record["rrdatas"] == [forwarding["ipAddress"]]
    assert not variant_gcp.of_type("gcp:dns/recordSet:RecordSet")  # no dnsZone configured
