"""A server wider than a node runs as a LeaderWorkerSet group (the lwsvariant stack)."""

from __future__ import annotations

from typing import Any

import pytest

from infra import naming
from infra.plan import Plan
from infra.workloads import image, meta, server, sizing
from serving import versions
from serving.spec import ServingSpec
from tests.workloads.conftest import PlacementView


@pytest.fixture(scope="module")
def group(variant_plan: Plan) -> PlacementView:
    return PlacementView("lwsvariant", variant_plan, "rack2-llama-70b")


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container["env"]}


def test_group_spans_two_nodes_and_restarts_as_one(group: PlacementView) -> None:
    lws = group.workload.props
    assert lws["apiVersion"] == server.LWS_API_VERSION and lws["kind"] == "LeaderWorkerSet"
    spec = lws["spec"]
    assert spec["leaderWorkerTemplate"]["size"] == 2
    assert spec["leaderWorkerTemplate"]["restartPolicy"] == "RecreateGroupOnPodRestart"
    assert spec["startupPolicy"] == "LeaderCreated"
    for template in group.pod_templates().values():
        (container,) = template["spec"]["containers"]
        assert container["resources"]["requests"]["nvidia.com/gpu"] == "2"


def test_leader_and_worker_know_their_role(group: PlacementView) -> None:
    templates = group.pod_templates()
    for role in ("leader", "worker"):
        (container,) = templates[role]["spec"]["containers"]
        env = env_of(container)
        assert env[server.GROUP_ROLE_ENV] == role
        assert env[server.GROUP_SIZE_ENV] == "2"
        assert templates[role]["metadata"]["labels"][server.ROLE_LABEL] == role


def test_only_the_leader_serves_and_holds_the_api_key(group: PlacementView) -> None:
    templates = group.pod_templates()
    (leader,) = templates["leader"]["spec"]["containers"]
    (worker,) = templates["worker"]["spec"]["containers"]
    assert {p["name"]: p["containerPort"] for p in leader["ports"]} == {
        "http": naming.SERVER_PORT, "ray-gcs": versions.RAY_PORT, "raylet": versions.RAY_NODE_MANAGER_PORT,
    }  # fmt: skip
    assert {p["name"]: p["containerPort"] for p in worker["ports"]} == {"raylet": versions.RAY_NODE_MANAGER_PORT}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert leader[probe]["httpGet"] == {"path": server.HEALTH_PATH, "port": server.PORT_NAME}
    selector = group.one("Service").props["spec"]["selector"]
    assert selector[server.ROLE_LABEL] == "leader"
    assert any(m["mountPath"] == image.API_KEY_DIR for m in leader["volumeMounts"])
    assert not any(m["mountPath"] == image.API_KEY_DIR for m in worker["volumeMounts"])


def test_workers_are_probed_on_their_raylet(group: PlacementView) -> None:
    """A worker's PID 1 is `ray start --block` (serving.launch): its raylet listens on the fixed port."""
    templates = group.pod_templates()
    (leader,) = templates["leader"]["spec"]["containers"]
    (worker,) = templates["worker"]["spec"]["containers"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert worker[probe]["tcpSocket"] == {"port": "raylet"}, probe
        assert "httpGet" not in worker[probe]
    assert worker["livenessProbe"]["failureThreshold"] >= 3
    # The raylet opens only once the worker has joined the leader's head: the same startup budget.
    assert worker["startupProbe"]["failureThreshold"] == leader["startupProbe"]["failureThreshold"]
    budget = worker["startupProbe"]["periodSeconds"] * worker["startupProbe"]["failureThreshold"]
    assert budget >= sizing.GROUP_JOIN_TIMEOUT_S + sizing.STARTUP_FLOOR_S


def test_the_spec_runs_the_group_on_ray(group: PlacementView) -> None:
    config_map = group.one("ConfigMap", f"{group.model_name}-serving-spec")
    spec = ServingSpec.from_json(config_map.props["data"][image.SPEC_FILE])
    assert spec.distributed_executor_backend == "ray"
    assert spec.tensor_parallel_size * spec.pipeline_parallel_size == 4  # over 2 pods of 2 GPUs
    assert spec.group_join_timeout == sizing.GROUP_JOIN_TIMEOUT_S
    argv = spec.to_vllm_argv()
    assert argv[argv.index("--distributed-executor-backend") + 1] == "ray"
    # The leader waits up to groupJoinTimeout for its workers before vLLM starts loading.
    (leader,) = group.pod_templates()["leader"]["spec"]["containers"]
    startup = leader["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= spec.group_join_timeout + sizing.STARTUP_FLOOR_S


def test_the_group_reaches_itself_on_every_port(group: PlacementView) -> None:
    """Ray picks its object-manager and worker ports; the server policy allows the group's pods to each other."""
    policy = group.one("NetworkPolicy", naming.server_name(group.model_name)).props["spec"]
    peer = {"podSelector": {"matchLabels": policy["podSelector"]["matchLabels"]}}
    assert {"from": [peer]} in policy["ingress"] and {"to": [peer]} in policy["egress"]


def test_templates_carry_their_checkov_suppressions(group: PlacementView) -> None:
    # Checkov cannot read custom resources: the tests render these templates as Pods.
    for role, template in group.pod_templates().items():
        skips = {
            v.split("=", 1)[0]: v.split("=", 1)[1]
            for k, v in template["metadata"]["annotations"].items()
            if k.startswith("checkov.io/skip")
        }
        assert set(skips) == set(server.SERVER_CHECKOV_SKIPS) == {"CKV_K8S_40"}, role
        assert all(len(reason) > 20 for reason in skips.values())


def test_checkov_skip_annotations_need_reasons() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        meta.checkov_skips({"CKV_K8S_40": " "})
