"""dev builds the serving image and pushes it to the lab's own registry; servers run that digest."""

from __future__ import annotations

from infra.plan import SECRET, Plan


def test_dev_builds_and_pushes_to_the_lab_registry(dev_plan: Plan) -> None:
    images = {r.name: r for r in dev_plan.of_type("docker-build:index:Image")}
    lab = images["lab-serving-image"]
    assert dev_plan.target_of(lab) == "lab"
    assert lab.props["tags"] == ["harbor.lab.internal/llm-fleet/serving:0.32.0-llmfleet.1"]
    assert lab.props["push"] is True
    assert lab.props["platforms"] == ["linux/amd64"]
    assert lab.props["context"]["location"].endswith("/serving")
    [registry] = lab.props["registries"]
    assert registry == {"address": "harbor.lab.internal", "username": "robot$llm-fleet-ci", "password": SECRET}


def test_lab_servers_run_the_pushed_digest(dev_plan: Plan) -> None:
    from infra.plan.mocks import OUTPUTS

    digest = OUTPUTS["docker-build:index:Image"]("lab-serving-image", {}, "")["digest"]
    servers = [
        r
        for r in dev_plan.of_type("kubernetes:apps/v1:Deployment")
        if dev_plan.target_of(r) == "lab" and r.name.endswith("-server")
    ]
    assert servers
    for server in servers:
        images = {c["image"] for c in server.props["spec"]["template"]["spec"]["containers"]}
        assert images == {f"harbor.lab.internal/llm-fleet/serving@{digest}"}


def test_prod_onprem_uses_the_promoted_digest_and_builds_nothing(prod_plan: Plan) -> None:
    assert not [r for r in prod_plan.of_type("docker-build:index:Image") if prod_plan.target_of(r) == "dc1"]
    digest = prod_plan.config["image"]["digest"]
    servers = [
        r
        for r in prod_plan.of_type("kubernetes:apps/v1:Deployment")
        if prod_plan.target_of(r) == "dc1" and r.name.endswith("-server")
    ]
    assert servers
    for server in servers:
        for container in server.props["spec"]["template"]["spec"]["containers"]:
            assert container["image"] == f"registry.dc1.internal/llm-fleet/serving@{digest}"
