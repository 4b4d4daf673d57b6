"""SUPPLY-01: workload images come from the stack's own registries."""

import re

from policy.props import get
from policy.rules._helpers import is_workload, workload_containers
from policy.rules.base import Violation, stack_rule


def _registries(ctx) -> list[tuple[str, re.Pattern]]:
    """(label, pattern) of every registry the stack declares or names in config."""
    out = []
    for repo in ctx.of_type("aws:ecr/repository:Repository"):
        name = get(repo.props, "name") or repo.name
        out.append(
            (f"ECR {name}", re.compile(rf"^\d{{12}}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/{re.escape(name)}[@:]"))
        )
    for repo in ctx.of_type("gcp:artifactregistry/repository:Repository"):
        repo_id = get(repo.props, "repositoryId") or repo.name
        location = get(repo.props, "location") or "[a-z0-9-]+"
        out.append(
            (
                f"Artifact Registry {repo_id}",
                re.compile(rf"^{location}-docker\.pkg\.dev/[a-z0-9-]+/{re.escape(repo_id)}/"),
            )
        )
    for target in ctx.settings.targets:
        if target.get("registry"):
            registry = str(target["registry"])
            out.append((f"{target.get('name')} registry {registry}", re.compile(rf"^{re.escape(registry)}[@:/]")))
    return out


@stack_rule(
    id="SUPPLY-01",
    title="Workload images come from the stack's own registries",
    severity="high",
    category="security",
    types=("aws:ecr/repository:Repository", "gcp:artifactregistry/repository:Repository", "kubernetes:*"),
    remediation="Mirror the image into the target's registry (ECR, Artifact Registry, or the on-prem `registry`) "
    "and reference it there by digest.",
    references=("custom",),
)
def enforce_own_registry(ctx):
    registries = _registries(ctx)
    for type_ in list(ctx.types):
        for resource in ctx.of_type(type_):
            if not is_workload(resource):
                continue
            for where, _, _, container in workload_containers(resource):
                image = str(get(container, "image") or "")
                if not any(p.match(image) for _, p in registries):
                    yield Violation(f"{where}: image {image!r} is not from the stack's registries", resource.urn)
