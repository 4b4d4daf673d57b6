"""Rendered manifests of dev, prod and the LWS variant, once per session, under one root:

    <root>/<stack>/<target>/<namespace>/<kind>-<name>.yaml     (llmfleet render)
    <root>/lws-pods/<stack>/<namespace>/pod-<name>-<role>.yaml  (pod templates of LeaderWorkerSets)

Outside validators cannot see into custom resources, so the pod templates of every
LeaderWorkerSet are also written as Pods (with the template's annotations).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.plan import Plan
from infra.render import dump_yaml, render_plan
from tests.workloads.conftest import evaluate_variant

STACKS = ("dev", "prod", "lwsvariant")


@pytest.fixture(scope="session")
def render_plans(dev_plan: Plan, prod_plan: Plan) -> dict[str, Plan]:
    return {"dev": dev_plan, "prod": prod_plan, "lwsvariant": evaluate_variant()}


@pytest.fixture(scope="session")
def rendered_root(tmp_path_factory: pytest.TempPathFactory, render_plans: dict[str, Plan]) -> Path:
    root = tmp_path_factory.mktemp("rendered")
    for stack, plan in render_plans.items():
        render_plan(plan, root / stack)
    for stack in STACKS:
        for path in sorted((root / stack).rglob("*.yaml")):
            manifest = load(path)
            if manifest.get("kind") == "LeaderWorkerSet":
                for pod in group_pods(manifest):
                    out = root / "lws-pods" / stack / pod["metadata"]["namespace"] / f"pod-{pod['metadata']['name']}.yaml"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_text(dump_yaml(pod), encoding="utf-8")
    return root


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def group_pods(lws: dict[str, Any]) -> list[dict[str, Any]]:
    """The leader and worker templates of a LeaderWorkerSet as Pod manifests."""
    group = lws["spec"]["leaderWorkerTemplate"]
    pods = []
    for role, key in (("leader", "leaderTemplate"), ("worker", "workerTemplate")):
        template = group[key]
        pods.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{lws['metadata']['name']}-{role}",
                    "namespace": lws["metadata"]["namespace"],
                    "labels": template["metadata"]["labels"],
                    "annotations": template["metadata"]["annotations"],
                },
                "spec": template["spec"],
            }
        )
    return pods
