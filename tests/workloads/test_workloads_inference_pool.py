"""Inference-aware routing: each placement's InferencePool, its endpoint picker and their guards."""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from infra import naming, versions
from infra.plan import Plan, evaluate_config
from infra.stackfile import StackFile, load_stack_file
from infra.workloads import endpoint_picker, gateway, inference_extension
from infra.workloads.peers import METRICS_SCRAPERS
from infra.workloads.server import ROLE_LABEL
from tests.workloads.conftest import ROOT, PlacementView

POOL = "InferencePool"
PICKER = endpoint_picker.COMPONENT


def inference_aware(view: PlacementView) -> bool:
    return view.model.get("routing", "inference-aware") == "inference-aware"


@pytest.fixture
def pooled(view: PlacementView) -> PlacementView:
    if not inference_aware(view):
        pytest.skip("round-robin placement")
    return view


# -- the CRD, read the way the API server applies it --------------------------------------------


def _structural(schema: Any) -> Any:
    """Unknown fields rejected where the schema lists properties (strict server-side apply)."""
    if isinstance(schema, list):
        return [_structural(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _structural(v) for k, v in schema.items() if k != "x-kubernetes-validations"}
    preserve = out.pop("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


@functools.cache
def pool_validator() -> Draft202012Validator:
    schema = _structural(copy.deepcopy(inference_extension.served_schema("v1")))
    schema["properties"]["metadata"] = {"type": "object"}
    return Draft202012Validator(schema)


def pool_errors(manifest: dict[str, Any]) -> list[str]:
    errors = [
        f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in pool_validator().iter_errors(manifest)
    ]
    # the CRD's one CEL rule on endpointPickerRef: a Service reference needs a port
    ref = manifest.get("spec", {}).get("endpointPickerRef", {})
    if ref and ref.get("kind", "Service") == "Service" and "port" not in ref:
        errors.append("spec.endpointPickerRef: port is required when kind is 'Service'")
    return errors


def test_vendored_crd_is_the_pinned_release() -> None:
    crd = inference_extension.load_crd()
    assert crd["spec"]["group"] == inference_extension.API_GROUP
    assert crd["metadata"]["annotations"]["inference.networking.k8s.io/bundle-version"] == (
        versions.GATEWAY_API_INFERENCE_EXTENSION
    )
    sources = (ROOT / "vendor" / "SOURCES").read_text().splitlines()
    (row,) = [line.split("\t") for line in sources if line.startswith("crds/gateway-api-inference-extension/")]
    assert row[1:4] == [
        "GATEWAY_API_INFERENCE_EXTENSION",
        "kubernetes-sigs/gateway-api-inference-extension",
        versions.GATEWAY_API_INFERENCE_EXTENSION,
    ]
    assert re.fullmatch(r"[0-9a-f]{40}", row[4])


# -- the pool -------------------------------------------------------------------------------------


def test_every_inference_aware_placement_has_one_pool_of_exactly_its_api_servers(pooled: PlacementView) -> None:
    (pool,) = pooled.of_kind(POOL)
    spec = pool.props["spec"]
    assert pool.props["metadata"] == {
        **pool.props["metadata"],
        "name": pooled.model_name,
        "namespace": pooled.namespace,
    }
    assert spec["targetPorts"] == [{"number": naming.SERVER_PORT}]
    selector = spec["selector"]["matchLabels"]
    # the pool selects the pods that serve the API, and nothing else of the namespace
    for role, template in pooled.pod_templates().items():
        labels = template["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in selector.items()) == (role != "worker"), role
    job_labels = pooled.one("Job").props["spec"]["template"]["metadata"].get("labels", {})
    assert not all(job_labels.get(k) == v for k, v in selector.items()), "the stager is no pool member"
    (picker,) = pooled.picker_objects("Deployment")
    picker_labels = picker.props["spec"]["template"]["metadata"]["labels"]
    assert not all(picker_labels.get(k) == v for k, v in selector.items()), "the picker is no pool member"
    assert selector == pooled.one("Service").props["spec"]["selector"], "the same pods as the Service"


def test_pool_fails_open_to_its_picker_service(pooled: PlacementView) -> None:
    """FailOpen (inference_pool.py says why); the CRD defaults to FailClose, so it must be explicit."""
    ref = pooled.one(POOL).props["spec"]["endpointPickerRef"]
    (service,) = pooled.picker_objects("Service")
    assert ref == {
        "kind": "Service",
        "name": service.props["metadata"]["name"],
        "port": {"number": service.props["spec"]["ports"][0]["port"]},
        "failureMode": "FailOpen",
    }
    assert (
        inference_extension.served_schema()["properties"]["spec"]["properties"]["endpointPickerRef"]["properties"][
            "failureMode"
        ]["default"]
        == "FailClose"
    )


def test_every_rendered_pool_validates_strictly_against_the_vendored_crd(pooled: PlacementView) -> None:
    manifest = pooled.one(POOL).props
    assert pool_errors(manifest) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s.update(targetPort=8000), "Additional properties"),
        (lambda s: s["endpointPickerRef"].update(failureMode="Open"), "is not one of"),
        (lambda s: s["endpointPickerRef"].pop("port"), "port is required"),
        (lambda s: s.pop("targetPorts"), "'targetPorts' is a required property"),
        (lambda s: s["targetPorts"][0].update(number=70000), "is greater than the maximum"),
    ],
)
def test_the_pool_check_rejects_a_one_field_change(prod_plan: Plan, change: Any, expected: str) -> None:
    manifest = copy.deepcopy(next(r.props for r in prod_plan.resources if r.props.get("kind") == POOL))
    change(manifest["spec"])
    assert any(expected in e for e in pool_errors(manifest)), pool_errors(manifest)


# -- the picker -----------------------------------------------------------------------------------


def picker_pod(view: PlacementView) -> dict[str, Any]:
    (deployment,) = view.picker_objects("Deployment")
    return deployment.props["spec"]["template"]["spec"]


def test_picker_is_pinned_mirrored_and_highly_available_in_prod(pooled: PlacementView) -> None:
    (deployment,) = pooled.picker_objects("Deployment")
    spec = deployment.props["spec"]
    (container,) = spec["template"]["spec"]["containers"]
    serving_image = next(c for _, c in pooled.serving_containers())["image"]
    serving_repository = serving_image.split("@")[0]
    assert container["image"] == f"{serving_repository}@{versions.ENDPOINT_PICKER_DIGEST}"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", versions.ENDPOINT_PICKER_DIGEST)
    prod = pooled.config["environment"] == "prod"
    assert spec["replicas"] == (2 if prod else 1)
    assert ("--ha-enable-leader-election" in container["args"]) == prod
    # with leader election only the leader is ready: every call goes to the replica holding the prefix state
    assert container["readinessProbe"]["grpc"]["service"] == ("readiness" if prod else "inference-extension")
    args = container["args"]
    assert args[args.index("--pool-name") + 1] == pooled.model_name
    assert args[args.index("--pool-namespace") + 1] == pooled.namespace


def test_picker_runs_restricted_with_an_explicit_expiring_token(pooled: PlacementView) -> None:
    pod = picker_pod(pooled)
    (container,) = pod["containers"]
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]} and sc["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    (token,) = [v for v in pod["volumes"] if v["name"] == "api-token"]
    (sa_token,) = [s["serviceAccountToken"] for s in token["projected"]["sources"] if "serviceAccountToken" in s]
    assert sa_token["expirationSeconds"] <= 3600
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts[endpoint_picker.TOKEN_DIR]["readOnly"] is True
    assert container["resources"]["requests"] == container["resources"]["limits"]


def test_picker_rbac_is_least_privilege(pooled: PlacementView) -> None:
    (role,) = pooled.picker_objects("Role")
    rules = role.props["rules"]
    reads = {
        (r["apiGroups"][0], res) for r in rules if r["verbs"] == ["get", "list", "watch"] for res in r["resources"]
    }
    assert reads == {("", "pods"), (inference_extension.API_GROUP, "inferencepools")}
    writes = [r for r in rules if set(r["verbs"]) - {"get", "list", "watch"}]
    prod = pooled.config["environment"] == "prod"
    assert {res for r in writes for res in r["resources"]} == ({"leases", "events"} if prod else set())
    assert all("*" not in r["verbs"] and "*" not in r["resources"] for r in rules)
    (binding,) = pooled.picker_objects("RoleBinding")
    assert binding.props["subjects"] == [
        {"kind": "ServiceAccount", "name": picker_pod(pooled)["serviceAccountName"], "namespace": pooled.namespace}
    ]
    assert not pooled.picker_objects("ClusterRole") and not pooled.picker_objects("ClusterRoleBinding")


def test_picker_network_policies(pooled: PlacementView) -> None:
    policies = {p.props["metadata"]["name"]: p.props["spec"] for p in pooled.picker_objects("NetworkPolicy")}
    own = policies[endpoint_picker.picker_name(pooled.model_name)]
    port = lambda *ps: [{"protocol": "TCP", "port": p} for p in ps]  # noqa: E731
    assert own["policyTypes"] == ["Ingress", "Egress"]
    (grpc,) = [r for r in own["ingress"] if r["ports"] == port(endpoint_picker.GRPC_PORT)]
    (proxies,) = grpc["from"]
    assert proxies["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": gateway.ENVOY_GATEWAY_NAMESPACE}
    }
    assert proxies["podSelector"]["matchLabels"]["gateway.envoyproxy.io/owning-gateway-name"] == gateway.GATEWAY_NAME
    (metrics,) = [r for r in own["ingress"] if r["ports"] == port(endpoint_picker.METRICS_PORT)]
    assert metrics["from"][0] in METRICS_SCRAPERS.values()
    assert len(own["ingress"]) == 2, "nothing else reaches the picker"
    pool_selector = pooled.one(POOL).props["spec"]["selector"]["matchLabels"]
    to_servers = [r for r in own["egress"] if r["to"] == [{"podSelector": {"matchLabels": pool_selector}}]]
    assert to_servers and to_servers[0]["ports"] == port(naming.SERVER_PORT)
    others = [r for r in own["egress"] if r not in to_servers]
    assert all(p["port"] in endpoint_picker.API_SERVER_PORTS for r in others for p in r["ports"])
    back = policies[f"{pooled.model_name}-epp-server-from-picker"]
    assert back["podSelector"] == {"matchLabels": pool_selector}
    assert back["ingress"][0]["ports"] == port(naming.SERVER_PORT)


def test_picker_disruption_budget_and_scrape(pooled: PlacementView) -> None:
    selector = picker_pod_labels(pooled)
    (pdb,) = pooled.picker_objects("PodDisruptionBudget")
    assert pdb.props["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": selector}}
    scrapes = pooled.picker_objects("PodMonitor") + pooled.picker_objects("PodMonitoring")
    (scrape,) = scrapes
    assert scrape.props["spec"]["selector"] == {"matchLabels": selector}
    (endpoint,) = scrape.props["spec"].get("podMetricsEndpoints") or scrape.props["spec"]["endpoints"]
    assert endpoint["port"] == "metrics"


def picker_pod_labels(view: PlacementView) -> dict[str, str]:
    (deployment,) = view.picker_objects("Deployment")
    return deployment.props["spec"]["selector"]["matchLabels"]


# -- the picker's configuration -----------------------------------------------------------------


def rendered_config(view: PlacementView) -> dict[str, Any]:
    (config_map,) = view.picker_objects("ConfigMap")
    return yaml.safe_load(config_map.props["data"][endpoint_picker.CONFIG_FILE])


def test_picker_config_is_valid_and_scores_queue_kv_cache_and_prefix(pooled: PlacementView) -> None:
    config = rendered_config(pooled)
    assert endpoint_picker.config_errors(config) == []
    weights = endpoint_picker.scorer_weights(config)
    assert weights == {"queue-scorer": 2, "kv-cache-utilization-scorer": 2, "prefix-cache-scorer": 3}
    (container,) = picker_pod(pooled)["containers"]
    args = container["args"]
    assert args[args.index("--config-file") + 1] == f"{endpoint_picker.CONFIG_DIR}/{endpoint_picker.CONFIG_FILE}"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c["plugins"].append({"type": "queue-depth-scorer"}), "unknown plugin type 'queue-depth-scorer'"),
        (lambda c: c["schedulingProfiles"][0]["plugins"].append({"pluginRef": "nope"}), "names no plugin"),
        (lambda c: c["plugins"].append({"type": "utilization-filter"}), "is alpha"),
        (lambda c: c.update(scheduler={}), "unknown field 'scheduler'"),
        (lambda c: c["plugins"][0].update(params={}), "unknown field 'params'"),
        (lambda c: c["schedulingProfiles"][0]["plugins"][0].update(weight=-1), "must be a number >= 0"),
        (lambda c: c.update(apiVersion="inference.networking.x-k8s.io/v1alpha1"), "apiVersion/kind"),
    ],
)
def test_the_picker_config_check_rejects_what_the_picker_would(change: Any, expected: str) -> None:
    config = endpoint_picker.picker_config()
    change(config)
    assert any(expected in e for e in endpoint_picker.config_errors(config)), endpoint_picker.config_errors(config)


def test_plugin_table_covers_the_vendored_registry() -> None:
    """One entry per distinct plugin the pinned picker registers (runner.go, vendored)."""
    runner = (ROOT / "vendor" / "schemas" / "llm-d-router" / "runner.go").read_text()
    registered = set(re.findall(r"fwkplugin\.Register\((\w+\.\w+),", runner))
    assert len(endpoint_picker.known_plugins()) == len(registered)
    assert {"queue-scorer", "kv-cache-utilization-scorer", "prefix-cache-scorer", "max-score-picker"} <= set(
        endpoint_picker.known_plugins()
    )


def test_metrics_the_picker_reads_are_listed_for_the_real_server_test() -> None:
    data = json.loads((ROOT / "serving" / "catalog" / "endpoint_picker_metrics.json").read_text())
    required = {m["name"] for m in data["metrics"] if m["required"]}
    assert {"vllm:num_requests_waiting", "vllm:kv_cache_usage_perc"} <= required
    configured = {p["type"] for p in endpoint_picker.picker_config()["plugins"]}
    for metric in data["metrics"]:
        if metric["required"]:
            assert any(u.split(" ")[0] in configured for u in metric["used_by"]), metric["name"]


# -- opting out -----------------------------------------------------------------------------------


@functools.cache
def round_robin_plan() -> Plan:
    values = copy.deepcopy(load_stack_file("dev", ROOT).values)
    for model in values["models"]:
        model["routing"] = "round-robin"
    stack_file = StackFile("rrvariant", ROOT / "Pulumi.rrvariant.yaml", values, frozenset())
    return evaluate_config(stack_file, stack_file.parse(), secret_values={})


def test_round_robin_models_get_no_pool_and_route_to_the_service() -> None:
    plan = round_robin_plan()
    kinds = [r.props.get("kind") for r in plan.resources if r.type.startswith("kubernetes:")]
    assert POOL not in kinds
    assert not [
        r
        for r in plan.resources
        if r.props.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/component") == PICKER
    ]
    for r in plan.resources:
        if r.props.get("kind") == "HTTPRoute" and r.props["metadata"]["name"].endswith("-prefixed"):
            assert r.props["spec"]["rules"][0]["backendRefs"][0]["kind"] == "Service"
        if r.props.get("kind") == "AIGatewayRoute":
            assert r.props["spec"]["rules"][0]["backendRefs"] == [{"name": r.props["metadata"]["name"]}]


def test_routing_strategy_rejects_an_unknown_value() -> None:
    from pydantic import ValidationError

    from infra.config import ModelConfig

    field = ModelConfig.model_fields["routing"]
    assert field.default == "inference-aware"
    with pytest.raises(ValidationError, match="inference-aware"):
        ModelConfig.model_validate({**load_stack_file("dev", ROOT).values["models"][0], "routing": "least-request"})


def test_pool_selector_matches_the_service_in_a_group(view: PlacementView) -> None:
    if not inference_aware(view) or not view.is_group:
        pytest.skip("single-pod servers")
    selector = view.one(POOL).props["spec"]["selector"]["matchLabels"]
    assert selector[ROLE_LABEL] == "leader", "workers run Ray only; the leader serves the API"


def test_servers_of_a_pool_cache_prefixes(pooled: PlacementView) -> None:
    """The prefix-cache scorer sends a prompt to the replica that saw its prefix: worth it only when
    vLLM keeps those KV blocks (its own parser reads the flag: tests/serving/test_vllm_argv.py, -m vllm)."""
    from tests.workloads.test_workloads_placement import spec_of

    spec = spec_of(pooled)
    assert spec.enable_prefix_caching is True
    assert "--enable-prefix-caching" in spec.to_vllm_args()


def test_the_vendored_llm_d_files_are_crds() -> None:
    """vendor/SOURCES rows, tags and commits are checked for every vendored file by
    tests/render/test_vendored_sources.py; here: llm-d's folder holds CRDs."""
    files = sorted((ROOT / "vendor" / "crds" / "llm-d-router").glob("*.yaml"))
    assert len(files) == 2
    for crd in files:
        assert yaml.safe_load(crd.read_text())["kind"] == "CustomResourceDefinition"
