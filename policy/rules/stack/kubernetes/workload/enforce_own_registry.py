"""SUPPLY-01: workload images come from the stack's own registries."""

from policy.props import get, image_pinned
from policy.rules._credentials import redacted
from policy.rules._helpers import is_workload, workload_containers
from policy.rules._images import (
    EXTENSION_POLICY,
    HELM_TYPES,
    is_public_registry,
    own_registries,
    own_registry_hosts,
    value_images,
    wasm_images,
)
from policy.rules.base import Violation, stack_rule


@stack_rule(
    id="SUPPLY-01",
    title="Workload images come from the stack's own registries",
    severity="high",
    category="security",
    types=(
        "aws:ecr/repository:Repository",
        "gcp:artifactregistry/repository:Repository",
        EXTENSION_POLICY,
        *HELM_TYPES,
        "kubernetes:*",
    ),
    remediation="Mirror the image into the target's registry (ECR in the stack's account and region, Artifact "
    "Registry in the target's project, or the on-prem `registry`, never a public one) and reference it there, by "
    "digest in prod. Images set in Helm values and WASM filters obey the same; a chart's default images are "
    "governed by its pinned version.",
    references=("custom",),
)
def enforce_own_registry(ctx):
    for target in ctx.settings.targets:
        registry = str(target.get("registry") or "")
        if registry and is_public_registry(registry):
            yield Violation(
                f"targets.{target.get('name')}.registry {redacted(registry)!r} is a public registry; expected the "
                "datacenter's own"
            )
    registries = [p for _, p in own_registries(ctx)]
    for type_ in list(ctx.types):
        for resource in ctx.of_type(type_):
            if not is_workload(resource):
                continue
            for where, _, _, container in workload_containers(resource):
                image = str(get(container, "image") or "")
                if not any(p.match(image) for p in registries):
                    yield Violation(f"{where}: image {redacted(image)!r} is not from the stack's registries", resource.urn)
    hosts = own_registry_hosts(ctx)
    prod = ctx.settings.environment == "prod"
    for resource in ctx.of_type(*HELM_TYPES):
        for where, image in value_images(get(resource.props, "values")):
            if not any(p.match(image) for p in hosts):
                yield Violation(f"{where}: image {redacted(image)!r} is not from the stack's registries", resource.urn)
            elif prod and not image_pinned(image):
                yield Violation(f"{where}: image {redacted(image)!r} is not pinned by digest in prod", resource.urn)
    for resource in ctx.of_type(EXTENSION_POLICY):
        for where, image in wasm_images(resource):
            if not any(p.match(image) for p in hosts):
                yield Violation(f"{where}: WASM filter image {redacted(image)!r} is not from the stack's registries", resource.urn)
