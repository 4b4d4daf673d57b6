"""The llm-fleet program: read config, build each target, place each model, route, export.

Kept thin on purpose (see STYLE.md): every resource lives in a component.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from infra import naming
from infra.api_clients import ApiClients
from infra.config import PROJECT, StackConfig, parse_stack_config
from infra.routing import build_routing
from infra.workloads.admission import ImageAdmission, ImageAdmissionArgs
from infra.workloads.operations import ClusterOperations, ClusterOperationsArgs
from infra.workloads.placement import ModelPlacement, PlacementArgs


def _target_component(kind: str) -> Any:
    # Imported per kind so a stack without GCP never imports pulumi_gcp, and so on.
    if kind == "aws":
        from infra.aws import AwsTargetComponent

        return AwsTargetComponent
    if kind == "gcp":
        from infra.gcp import GcpTargetComponent

        return GcpTargetComponent
    from infra.onprem import OnPremTargetComponent

    return OnPremTargetComponent


def build_fleet(config: StackConfig) -> dict[str, Any]:
    """Declare every resource of the stack. Returns the components by target name."""
    targets: dict[str, Any] = {}
    for target in config.targets:
        component = targets[target.name] = _target_component(target.kind)(target.name, target, config)
        # Monitoring, GPU metrics, dashboards, GPU alerts and KEDA of this cluster (operations).
        ClusterOperations(
            f"{target.name}-ops",
            ClusterOperationsArgs.from_target(component),
            opts=pulumi.ResourceOptions(parent=component, provider=component.context.provider),
        )
        if config.image.signer is not None:
            # Signature check at admission; model namespaces (and so their pods) wait for the policy.
            admission = ImageAdmission(
                f"{target.name}-admission",
                ImageAdmissionArgs(context=component.context, signer=config.image.signer),
                opts=pulumi.ResourceOptions(parent=component),
            )
            component.context.depends_on.append(admission.policy)

    # One value per client key for the whole fleet: every target gets the same keys.
    clients = ApiClients(config)
    placements: dict[str, ModelPlacement] = {}
    for model, placement in config.placements():
        component = targets[placement.target]
        name = naming.placement_name(placement.target, model.name)
        placements[name] = ModelPlacement(
            name,
            # KEDA's ScaledObject (operations) owns the replica count of every placement.
            PlacementArgs(
                model=model,
                placement=placement,
                cluster=component.context,
                replicas_managed_externally=True,
                clients=clients.active,
            ),
            opts=pulumi.ResourceOptions(parent=component),
        )

    build_routing(config, targets)

    pulumi.export("environment", config.environment)
    pulumi.export("targets", {t.name: t.kind for t in config.targets})
    pulumi.export("edgeDomains", {t.name: t.edge.domain for t in config.targets})
    pulumi.export("hostnames", {r.hostname: r.mode for r in config.routing})
    pulumi.export("clients", {c.name: sorted(c.models) for c in config.clients})
    clients.export()
    pulumi.export(
        "placements",
        sorted(naming.placement_name(p.target, m.name) for m, p in config.placements()),
    )
    return {"targets": targets, "placements": placements}


def load_config() -> StackConfig:
    """StackConfig from the engine's config (a real `pulumi up` / `preview`)."""
    from pulumi.runtime.config import CONFIG, get_config_env, is_config_secret

    prefix = f"{PROJECT}:"
    values: dict[str, Any] = {}
    for key, raw in {**get_config_env(), **CONFIG.get()}.items():
        if not key.startswith(prefix) or is_config_secret(key):
            continue
        try:
            values[key[len(prefix) :]] = json.loads(raw)
        except (TypeError, json.JSONDecodeError):
            values[key[len(prefix) :]] = raw
    return parse_stack_config(values, pulumi.get_stack())


def main() -> None:
    build_fleet(load_config())
