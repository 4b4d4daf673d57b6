"""A server wider than a node runs as a LeaderWorkerSet group (the lwsvariant stack)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.plan import Plan
from infra.workloads import meta, server
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


def test_only_the_leader_serves_and_is_probed(group: PlacementView) -> None:
    templates = group.pod_templates()
    (leader,) = templates["leader"]["spec"]["containers"]
    (worker,) = templates["worker"]["spec"]["containers"]
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(leader)
    assert not {"startupProbe", "readinessProbe", "livenessProbe"} & set(worker)
    selector = group.one("Service").props["spec"]["selector"]
    assert selector[server.ROLE_LABEL] == "leader"


def test_templates_carry_their_checkov_suppressions(group: PlacementView) -> None:
    # Checkov cannot read custom resources: the tests render these templates as Pods.
    for role, template in group.pod_templates().items():
        skips = {
            v.split("=", 1)[0]: v.split("=", 1)[1]
            for k, v in template["metadata"]["annotations"].items()
            if k.startswith("checkov.io/skip")
        }
        expected = set(server.SERVER_CHECKOV_SKIPS) | (set(server.WORKER_CHECKOV_SKIPS) if role == "worker" else set())
        assert set(skips) == expected, role
        assert all(len(reason) > 20 for reason in skips.values())


def test_checkov_skip_annotations_need_reasons() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        meta.checkov_skips({"CKV_K8S_40": " "})
