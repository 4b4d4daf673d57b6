"""The on-prem target: provider, GPU operator, the edge (TLS, API keys, rate limits, WAF,
allow-list), the LeaderWorkerSet controller and the weight store."""

from __future__ import annotations

import copy

import pytest

from infra import versions
from infra.config import parse_stack_config
from infra.plan import SECRET, Plan
from infra.stackfile import load_stack_file
from infra.workloads import gateway
from infra.workloads.gateway import GatewayOptions, edge_hostnames
from serving.errors import LlmFleetError
from tests.onprem.conftest import OnPremView
from tests.workloads.conftest import PLANTED_KUBECONFIG, PLANTED_TOKEN, ROOT

# -- provider --------------------------------------------------------------------------------


def test_provider_reads_the_kubeconfig_as_a_secret(onprem: OnPremView) -> None:
    (provider,) = onprem.of_type("pulumi:providers:kubernetes")
    assert provider.props["kubeconfig"] == SECRET
    assert provider.props["enableServerSideApply"] in (True, "true")
    for resource in onprem.resources:
        if resource.type.startswith("kubernetes:") and resource.custom:
            assert resource.provider == provider.urn, resource.name


def test_planted_secrets_never_reach_the_plan(variant_plan: Plan) -> None:
    text = variant_plan.dumps()
    assert PLANTED_TOKEN not in text
    assert "planted-kubeconfig-marker" not in text and PLANTED_KUBECONFIG not in text


# -- GPU operator ------------------------------------------------------------------------------


def test_gpu_operator_installed_unless_preinstalled(onprem: OnPremView) -> None:
    releases = onprem.releases()
    if onprem.config.get("gpuOperator", "install") == "preinstalled":
        assert "gpu-operator" not in releases
        return
    release = releases["gpu-operator"].props
    assert release["chart"] == versions.GPU_OPERATOR.chart
    assert release["version"] == versions.GPU_OPERATOR.version
    assert release["repositoryOpts"]["repo"] == versions.GPU_OPERATOR.repository
    assert release["namespace"] == "gpu-operator"
    assert release["values"]["driver"]["enabled"] is True
    namespace = onprem.one("Namespace", "gpu-operator")
    assert namespace.props["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_lab_keeps_its_preinstalled_operator(lab: OnPremView) -> None:
    assert "gpu-operator" not in lab.releases()


def test_every_chart_is_pinned(onprem: OnPremView) -> None:
    pinned = {c.chart: c.version for c in (
        versions.GPU_OPERATOR, versions.ENVOY_GATEWAY, versions.CERT_MANAGER, versions.LEADER_WORKER_SET
    )}
    for name, release in onprem.releases().items():
        props = release.props
        assert props.get("version"), f"{name}: unpinned chart"
        if props["chart"] in pinned:
            assert props["version"] == pinned[props["chart"]], name


# -- edge ----------------------------------------------------------------------------------------


def test_envoy_gateway_and_gateway_class(onprem: OnPremView) -> None:
    release = onprem.releases()["envoy-gateway"].props
    assert release["chart"] == versions.ENVOY_GATEWAY.chart and release["version"] == versions.ENVOY_GATEWAY.version
    assert release["namespace"] == gateway.ENVOY_GATEWAY_NAMESPACE
    gateway_class = onprem.one("GatewayClass").props["spec"]
    assert gateway_class == {"controllerName": gateway.CONTROLLER_NAME}


def test_gateway_terminates_tls_for_the_edge_domain(onprem: OnPremView) -> None:
    spec = onprem.one("Gateway", gateway.GATEWAY_NAME).props["spec"]
    listeners = {listener["name"]: listener for listener in spec["listeners"]}
    https = listeners["https"]
    assert https["protocol"] == "HTTPS" and https["port"] == 443
    assert https["tls"]["mode"] == "Terminate"
    secret = https["tls"]["certificateRefs"][0]["name"]
    certificate = onprem.one("Certificate", secret).props["spec"]
    assert certificate["secretName"] == secret
    assert onprem.config["edge"]["domain"] in certificate["dnsNames"]
    config = parse_stack_config(onprem.plan.config, onprem.stack)
    assert certificate["dnsNames"] == edge_hostnames(config, onprem.target)
    # Plain HTTP answers only with a redirect (and ACME challenges): no model route may attach.
    assert listeners["http"]["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    redirect = onprem.one("HTTPRoute", "https-redirect").props["spec"]
    assert redirect["rules"][0]["filters"][0]["requestRedirect"] == {"scheme": "https", "statusCode": 301}
    policy = onprem.one("ClientTrafficPolicy").props["spec"]
    assert policy["tls"]["minVersion"] == "1.2"


def test_tls_issuer_follows_the_config(onprem: OnPremView) -> None:
    issuers = {r.props["metadata"]["name"]: r.props["spec"] for r in onprem.kind("ClusterIssuer")}
    certificate = onprem.one("Certificate", f"{gateway.GATEWAY_NAME}-tls").props["spec"]
    issuer = issuers[certificate["issuerRef"]["name"]]
    if onprem.config["edge"].get("tlsIssuer", "acme") == "acme":
        assert issuer["acme"]["email"] == onprem.config["edge"]["acmeEmail"]
        assert issuer["acme"]["server"] == versions.LETSENCRYPT_DIRECTORY
        (solver,) = issuer["acme"]["solvers"]
        assert solver["http01"]["gatewayHTTPRoute"]["parentRefs"][0]["sectionName"] == "http"
    else:
        assert issuer == {"ca": {"secretName": "llm-fleet-ca"}}
        ca = onprem.one("Certificate", "llm-fleet-ca").props["spec"]
        assert ca["isCA"] is True and ca["issuerRef"]["name"] == "llm-fleet-selfsigned"
    release = onprem.releases()["cert-manager"].props
    assert release["version"] == versions.CERT_MANAGER.version
    assert release["values"]["crds"]["enabled"] is True
    assert release["values"]["config"]["enableGatewayAPI"] is True


def test_gateway_allows_only_the_configured_clients(onprem: OnPremView) -> None:
    policy = onprem.one("SecurityPolicy", gateway.GATEWAY_NAME).props["spec"]
    assert policy["authorization"]["defaultAction"] == "Deny"
    cidrs = policy["authorization"]["rules"][0]["principal"]["clientCIDRs"]
    assert cidrs == onprem.config["edge"].get("allowedCidrs", ["0.0.0.0/0"])


def test_waf_runs_the_owasp_core_rule_set(onprem: OnPremView) -> None:
    policy = onprem.one("EnvoyExtensionPolicy").props["spec"]
    assert policy["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.GATEWAY_NAME}]
    (wasm,) = policy["wasm"]
    # The upstream filter, mirrored into the target's own registry (same path and tag).
    host = onprem.config["registry"].split("/", 1)[0]
    upstream_path = versions.CORAZA_WASM_IMAGE.split("/", 1)[1]
    assert wasm["code"] == {"type": "Image", "image": {"url": f"{host}/{upstream_path}"}}
    assert wasm["failOpen"] is False
    directives = wasm["config"]["directives_map"][wasm["config"]["default_directives"]]
    assert "SecRuleEngine On" in directives
    assert "Include @owasp_crs/*.conf" in directives
    assert directives.index("Include @crs-setup-conf") < directives.index("Include @owasp_crs/*.conf")


def test_envoy_service_keeps_client_addresses(onprem: OnPremView) -> None:
    proxy = onprem.one("EnvoyProxy").props["spec"]["provider"]["kubernetes"]
    assert proxy["envoyService"] == {"type": "LoadBalancer", "externalTrafficPolicy": "Local"}
    assert proxy["envoyDeployment"]["replicas"] >= 2
    assert proxy["envoyPDB"] == {"minAvailable": 1}


def test_acme_needs_a_contact_address() -> None:
    values = copy.deepcopy(load_stack_file("prod", ROOT).values)
    dc1 = next(t for t in values["targets"] if t["name"] == "dc1")
    dc1["edge"].pop("acmeEmail")
    config = parse_stack_config(values, "prod")
    with pytest.raises(LlmFleetError, match=r"targets\.dc1\.edge\.acmeEmail: required when tlsIssuer is 'acme'"):
        GatewayOptions.from_edge(config, config.target("dc1"))


# -- LeaderWorkerSet, weights ---------------------------------------------------------------------


def test_leader_worker_set_controller_only_where_a_model_spans_nodes(onprem: OnPremView) -> None:
    releases = onprem.releases()
    spans = any(
        r.props.get("kind") == "LeaderWorkerSet" for r in onprem.resources if r.type.startswith("kubernetes:")
    )
    assert ("lws" in releases) == spans
    assert spans == (onprem.target == "rack2")
    if spans:
        release = releases["lws"].props
        assert release["chart"] == versions.LEADER_WORKER_SET.chart
        assert release["version"] == versions.LEADER_WORKER_SET.version


def test_s3_compatible_weights_use_the_endpoint_and_mounted_keys(dc1: OnPremView) -> None:
    secret = dc1.one("Secret", "llama-70b-weights-credentials")
    assert secret.props["stringData"] == SECRET
    (job,) = dc1.kind("Job")
    container = job.props["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    assert args[args.index("--dest-endpoint-url") + 1] == dc1.config["weights"]["endpoint"]
    assert args[args.index("--dest") + 1].startswith(f"s3://{dc1.config['weights']['bucket']}/llama-70b/")
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["AWS_SHARED_CREDENTIALS_FILE"].startswith("/var/run/secrets/llm-fleet/")
    assert "AWS_SECRET_ACCESS_KEY" not in env and "AWS_ACCESS_KEY_ID" not in env


def test_pvc_weights_are_a_protected_shared_claim(rack2: OnPremView) -> None:
    claim = rack2.one("PersistentVolumeClaim")
    assert claim.protect is True
    spec = claim.props["spec"]
    assert spec["accessModes"] == ["ReadWriteMany"]
    assert spec["storageClassName"] == rack2.config["weights"]["storageClass"]
    assert spec["resources"]["requests"]["storage"] == f"{rack2.config['weights']['sizeGib']}Gi"
    name = claim.props["metadata"]["name"]
    (job,) = rack2.kind("Job")
    volumes = job.props["spec"]["template"]["spec"]["volumes"]
    assert {"name": "weights", "persistentVolumeClaim": {"claimName": name, "readOnly": False}} in volumes
    (lws,) = rack2.kind("LeaderWorkerSet")
    leader = lws.props["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]
    assert {"name": "weights", "persistentVolumeClaim": {"claimName": name, "readOnly": True}} in leader["volumes"]


# -- add-on namespaces -----------------------------------------------------------------------------

SERVING_LAYER_NAMESPACES = {"envoy-gateway-system", "llm-edge", "cert-manager", "gpu-operator", "lws-system"}


def test_every_namespace_denies_by_default_and_explains_exceptions(onprem: OnPremView) -> None:
    policies: dict[str, list[dict]] = {}
    for policy in onprem.kind("NetworkPolicy"):
        policies.setdefault(policy.props["metadata"]["namespace"], []).append(policy.props["spec"])
    namespaces = [
        n for n in onprem.kind("Namespace")
        if n.props["metadata"]["name"] in SERVING_LAYER_NAMESPACES or n.props["metadata"]["name"].startswith("llm-")
    ]
    assert {"envoy-gateway-system", "llm-edge", "cert-manager"} <= {n.props["metadata"]["name"] for n in namespaces}
    for namespace in namespaces:
        name = namespace.props["metadata"]["name"]
        assert {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} in policies.get(name, []), name
        level = namespace.props["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        if level != "restricted":
            reason = namespace.props["metadata"]["annotations"]["llm-fleet.dev/pod-security-exception"]
            assert len(reason) > 40, name


def test_gateway_proxies_reach_only_the_model_servers_and_the_controller(onprem: OnPremView) -> None:
    (allow,) = [p.props["spec"] for p in onprem.kind("NetworkPolicy", "allow-envoy-gateway-system")]
    model_rule = allow["egress"][0]
    assert model_rule["to"] == [{"namespaceSelector": {"matchLabels": {"llm-fleet.dev/gateway-access": "true"}}}]
    assert model_rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    client_ports = {p["port"] for p in allow["ingress"][0]["ports"]}
    assert client_ports == set(gateway.ENVOY_PROXY_PORTS)
