"""Cases of the InferencePool rules (ROUTE-01..03): one model on dc1 with its servers, its pool, the
pool's endpoint picker and the model's routes, as infra/workloads builds them."""

import copy

import pytest

from tests.policy.baseline import DIGEST, PROVIDERS, TARGET_URN, urn
from tests.policy.harness import Case, cases_params, chain, check, config

NS = "llm-mistral-7b"
SERVER = {"app.kubernetes.io/name": "mistral-7b", "app.kubernetes.io/component": "server"}
PICKER = {"app.kubernetes.io/name": "mistral-7b", "app.kubernetes.io/component": "endpoint-picker"}
IMAGE = f"registry.dc1.internal/llm-fleet/serving@{DIGEST}"
POOL_REF = {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "mistral-7b"}
SERVICE_REF = {"kind": "Service", "name": "mistral-7b-server", "port": 8000}


def _k8s(type_, name, body):
    group_version, kind = type_.split(":")[1], type_.split(":")[2]
    return {
        "urn": urn(type_, name),
        "type": type_,
        "name": name,
        "custom": True,
        "parent": TARGET_URN["dc1"],
        "provider": PROVIDERS["dc1-k8s"],
        "protect": False,
        "props": {"apiVersion": group_version.removeprefix("core/").removeprefix("apps/v1") or "apps/v1",
                  "kind": kind, **body},
    }


def _deployment(name, labels, port, replicas=2, args=()):
    return _k8s("kubernetes:apps/v1:Deployment", name, {
        "metadata": {"name": name.removeprefix("dc1-"), "namespace": NS, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [
                {"name": "main", "image": IMAGE, "args": list(args),
                 "ports": [{"containerPort": port, "protocol": "TCP"}]}
            ]}},
        },
    })


def _route(type_, name, rules, hostnames=("mistral-7b.llm-dc1.example.com",)):
    return _k8s(type_, name, {
        "metadata": {"name": name.removeprefix("dc1-"), "namespace": NS},
        "spec": {"parentRefs": [{"name": "llm-gateway", "namespace": "llm-edge"}], "hostnames": list(hostnames),
                 "rules": rules},
    })


def model(picker_replicas=2, picker_args=("--ha-enable-leader-election",), picker_image=IMAGE,
          pool_selector=None, target_port=8000, api_backend=None, prefixed_backend=None, health_backend=None):
    """A Mutation adding dc1's mistral-7b: servers, Service, picker, pool and routes."""

    def change(plan):
        picker = _deployment("dc1-mistral-7b-epp", PICKER, 9002, picker_replicas, picker_args)
        picker["props"]["spec"]["template"]["spec"]["containers"][0]["image"] = picker_image
        plan["resources"] += [
            _deployment("dc1-mistral-7b-server", SERVER, 8000),
            _k8s("kubernetes:core/v1:Service", "dc1-mistral-7b-service", {
                "metadata": {"name": "mistral-7b-server", "namespace": NS},
                "spec": {"selector": dict(SERVER), "ports": [{"port": 8000}]},
            }),
            picker,
            _k8s("kubernetes:core/v1:Service", "dc1-mistral-7b-epp-service", {
                "metadata": {"name": "mistral-7b-epp", "namespace": NS},
                "spec": {"selector": dict(PICKER), "ports": [{"port": 9002}]},
            }),
            _k8s("kubernetes:inference.networking.k8s.io/v1:InferencePool", "dc1-mistral-7b-inference-pool", {
                "metadata": {"name": "mistral-7b", "namespace": NS},
                "spec": {
                    "selector": {"matchLabels": dict(SERVER if pool_selector is None else pool_selector)},
                    "targetPorts": [{"number": target_port}],
                    "endpointPickerRef": {"kind": "Service", "name": "mistral-7b-epp", "port": {"number": 9002},
                                          "failureMode": "FailOpen"},
                },
            }),
            _route("kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute", "dc1-mistral-7b",
                   [{"backendRefs": [api_backend or POOL_REF]}]),
            _route("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "dc1-mistral-7b-prefixed",
                   [{"matches": [{"path": {"type": "PathPrefix", "value": "/mistral-7b/v1"}}],
                     "backendRefs": [prefixed_backend or POOL_REF]}]),
            _route("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "dc1-mistral-7b-health",
                   [{"matches": [{"path": {"type": "Exact", "value": "/mistral-7b/health"}}],
                     "backendRefs": [health_backend or SERVICE_REF]}]),
        ]

    return change


POOL_WHERE = f"InferencePool {NS}/mistral-7b"
PICKER_WHERE = f"picker {NS}/mistral-7b-epp"

CASES = {
    "ROUTE-01": [
        Case("baseline"),
        Case("pinned-ha-picker", model()),
        Case(
            "tag-image",
            model(picker_image="ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0"),
            {"dc1-mistral-7b-epp": [f"{PICKER_WHERE} of {POOL_WHERE}: image "
                                  "'ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0' is not pinned by digest"]},
        ),
        Case(
            "single-replica-without-election",
            model(picker_replicas=1, picker_args=()),
            {"dc1-mistral-7b-epp": [
                f"{PICKER_WHERE} of {POOL_WHERE}: no --ha-enable-leader-election; replicas without leader election "
                "split the prefix-cache state",
                f"{PICKER_WHERE} of {POOL_WHERE}: replicas 1; expected >= 2 in prod",
            ]},
        ),
        Case("dev-may-run-one", chain(model(picker_replicas=1, picker_args=()), config("environment", "dev"))),
        Case(
            "picker-missing",
            chain(model(), lambda plan: plan["resources"].remove(
                next(r for r in plan["resources"] if r["name"] == "dc1-mistral-7b-epp-service"))),
            {"dc1-mistral-7b-inference-pool": [
                f"{POOL_WHERE}: endpointPickerRef 'mistral-7b-epp' names no Service backed by a Deployment in the Plan"
            ]},
        ),
    ],
    "ROUTE-02": [
        Case("baseline"),
        Case("selects-the-servers", model()),
        Case(
            "selects-the-picker-too",
            model(pool_selector={"app.kubernetes.io/name": "mistral-7b"}),
            {"dc1-mistral-7b-inference-pool": [
                f"{POOL_WHERE} selects Deployment {NS}/mistral-7b-epp (spec.template.spec), which serves none of its "
                "targetPorts [8000]"
            ]},
        ),
        Case(
            "wrong-target-port",
            model(target_port=9000),
            {"dc1-mistral-7b-inference-pool": [
                f"{POOL_WHERE} selects Deployment {NS}/mistral-7b-server (spec.template.spec), which serves none of its "
                "targetPorts [9000]"
            ]},
        ),
        Case(
            "selects-nothing",
            model(pool_selector={"app.kubernetes.io/name": "llama-70b"}),
            {"dc1-mistral-7b-inference-pool": [f"{POOL_WHERE}: selects no pod of any workload in its namespace"]},
        ),
        Case(
            "empty-selector",
            model(pool_selector={}),
            {"dc1-mistral-7b-inference-pool": [f"{POOL_WHERE}: empty selector selects every pod of the namespace"]},
        ),
    ],
    "ROUTE-03": [
        Case("baseline"),
        Case("api-on-the-pool-health-on-the-service", model()),
        Case(
            "prefixed-route-on-the-service",
            model(prefixed_backend=copy.deepcopy(SERVICE_REF)),
            {"dc1-mistral-7b-prefixed": [
                f"HTTPRoute {NS}/mistral-7b-prefixed rules[0] sends API traffic to Service 'mistral-7b-server', "
                f"around {POOL_WHERE}"
            ]},
        ),
        Case(
            "api-route-on-an-ai-service-backend",
            model(api_backend={"name": "mistral-7b"}),
            {"dc1-mistral-7b": [
                f"AIGatewayRoute {NS}/mistral-7b rules[0] sends API traffic to AIServiceBackend 'mistral-7b', "
                f"around {POOL_WHERE}"
            ]},
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
