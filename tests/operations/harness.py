"""Offline evaluation of the operations and routing code alone, against the real stack configs.

The full program (``dev_plan`` / ``prod_plan``) depends on every target and the serving layer;
these tests pin down operations' own behaviour with stand-in targets that honour the
ClusterContext contract (a Kubernetes provider, pools, the gateway, ``metrics``) and the
attributes routing reads (``aws_provider``, ``gcp_provider``, ``edge_address``). The program
runs under the same mock runtime and Plan recorder as ``llmfleet plan``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import pulumi_kubernetes as k8s

import infra.program as program
from infra import naming
from infra.config import StackConfig
from infra.plan import Plan, PlanResource, evaluate_config
from infra.stackfile import load_stack_file
from infra.targets import pool_scheduling
from infra.workloads.context import ClusterContext, GatewayRef, WeightStoreRef
from infra.workloads.operations import ClusterOperations, ClusterOperationsArgs, PlacementOperations

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "registry.example/serving@sha256:" + "0" * 64


def standin_address(target: str) -> str:
    """The edge IP a stand-in GCP target exposes (distinct per target name)."""
    return f"34.120.{sum(map(ord, target)) % 250}.{len(target)}"


class StandInTarget(pulumi.ComponentResource):
    """A target component reduced to what operations and routing read."""

    def __init__(self, target: Any, stack: StackConfig) -> None:
        super().__init__(f"llm-fleet:{target.kind}:Target", target.name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        self.provider = k8s.Provider(f"{target.name}-k8s", kubeconfig=pulumi.Output.secret("{}"), opts=child)
        if target.kind == "aws":
            import pulumi_aws as aws

            self.aws_provider = aws.Provider(f"{target.name}-aws", region=target.region, opts=child)
        if target.kind == "gcp":
            import pulumi_gcp as gcp

            self.gcp_provider = gcp.Provider(f"{target.name}-gcp", project=target.project, opts=child)
            self.edge_address = pulumi.Output.from_input(standin_address(target.name))
        managed = target.kind == "gcp" and target.monitoring.stack == "managed"
        self.context = ClusterContext(
            stack=stack,
            target=target,
            provider=self.provider,
            pools={p.name: pool_scheduling(target, p) for p in target.gpu_pools},
            weights=WeightStoreRef(uri="s3://weights"),
            image=IMAGE,
            gateway=GatewayRef(name="llm-gateway", namespace="llm-edge", hostname=target.edge.domain),
            metrics="gmp" if managed else "prometheus-operator",
        )
        self.register_outputs({})


class StandInPlacement(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("llm-fleet:workloads:ModelPlacement", name, None, opts)


def operations_program(config: StackConfig, *, routing: bool = True) -> dict[str, Any]:
    from infra.routing import build_routing
    from infra.workloads.placement import PlacementArgs

    targets = {t.name: StandInTarget(t, config) for t in config.targets}
    for name, component in targets.items():
        ClusterOperations(
            f"{name}-ops",
            ClusterOperationsArgs.from_target(component),
            opts=pulumi.ResourceOptions(parent=component, provider=component.provider),
        )
    for model, placement in config.placements():
        component = targets[placement.target]
        name = naming.placement_name(placement.target, model.name)
        parent = StandInPlacement(name, pulumi.ResourceOptions(parent=component))
        PlacementOperations(
            f"{name}-ops",
            PlacementArgs(model=model, placement=placement, cluster=component.context),
            opts=pulumi.ResourceOptions(parent=parent, provider=component.provider),
        )
    if routing:
        build_routing(config, targets)
    return targets


def evaluate_values(
    stack: str, values: dict[str, Any] | None = None, build: Callable[[StackConfig], Any] = operations_program
) -> Plan:
    """Plan of ``build`` for stack ``stack`` (its config values replaced by ``values`` if given)."""
    base = load_stack_file(stack, ROOT)
    stack_file = base if values is None else dataclasses.replace(base, values=values)
    config = stack_file.parse()

    def main() -> None:
        build(program.load_config())

    with mock.patch.object(program, "main", main):
        return evaluate_config(stack_file, config)


def one(plan: Plan, typ: str, name: str) -> PlanResource:
    found = [r for r in plan.resources if r.type == typ and r.name == name]
    assert len(found) == 1, f"expected one {typ} named {name}, found {[r.name for r in plan.of_type(typ)]}"
    return found[0]


@functools.cache
def stack_plan(stack: str) -> Plan:
    """The operations-only Plan of a real stack, evaluated once per test process."""
    return evaluate_values(stack)
