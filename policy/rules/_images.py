"""Container images a stack pulls, wherever they are set, and the registries it owns.

Images come from pod templates (any workload kind, custom resources included), from Helm
values the program sets (``image: "repo:tag"`` or ``image: {registry, repository, tag,
digest}``) and from Envoy Gateway WASM filters. Images that a chart uses by default are the
chart's: the chart version pin (infra/versions.py) is their supply-chain control, so only
images written into values are read here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from policy.context import PlanContext, Resource
from policy.props import as_list, get, is_list, is_map

PUBLIC_REGISTRIES = (
    "docker.io", "index.docker.io", "registry-1.docker.io", "ghcr.io", "quay.io", "registry.k8s.io", "k8s.gcr.io",
    "gcr.io", "us.gcr.io", "eu.gcr.io", "asia.gcr.io", "public.ecr.aws", "mcr.microsoft.com", "nvcr.io",
    "registry.gitlab.com", "docker.pkg.github.com", "cgr.dev", "registry.hub.docker.com", "hub.docker.com", "lscr.io",
    "registry.redhat.io", "registry.access.redhat.com", "container-registry.oracle.com", "huggingface.co",
)  # fmt: skip
"""Registries anyone can publish to or that the stack does not control."""
EXTENSION_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyExtensionPolicy"
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):")


def registry_host(image: str) -> str:
    """The registry an image reference names: its first path part when that is a host, else Docker Hub."""
    image = image.removeprefix("oci://")
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return "docker.io"


def is_public_registry(reference: str) -> bool:
    host = registry_host(reference)
    return host in PUBLIC_REGISTRIES or host.endswith(".gcr.io")


def stack_aws_accounts(ctx: PlanContext) -> set[str]:
    """Accounts the stack's EKS clusters run in (EKS requires the cluster role in its own account)."""
    found = set()
    for cluster in ctx.of_type("aws:eks/cluster:Cluster"):
        match = _ARN_ACCOUNT.match(str(get(cluster.props, "roleArn") or ""))
        if match:
            found.add(match.group(1))
    return found


def own_registries(ctx: PlanContext) -> list[tuple[str, re.Pattern[str]]]:
    """(label, pattern) of every repository the stack owns: its ECR repositories in its own
    account and region, its Artifact Registry repositories in their own project, and the
    on-prem targets' ``registry``."""

    def build() -> list[tuple[str, re.Pattern[str]]]:
        out = []
        accounts = sorted(stack_aws_accounts(ctx)) or [r"\d{12}"]
        account = "(" + "|".join(accounts) + ")"
        regions = sorted({str(t["region"]) for t in ctx.settings.targets if t.get("kind") == "aws" and t.get("region")})
        region = "(" + "|".join(re.escape(r) for r in regions) + ")" if regions else "[a-z0-9-]+"
        for repo in ctx.of_type("aws:ecr/repository:Repository"):
            name = get(repo.props, "name") or repo.name
            pattern = rf"^{account}\.dkr\.ecr\.{region}\.amazonaws\.com/{re.escape(name)}[@:]"
            out.append((f"ECR {name}", re.compile(pattern)))
        for repo in ctx.of_type("gcp:artifactregistry/repository:Repository"):
            repo_id = get(repo.props, "repositoryId") or repo.name
            location = re.escape(str(get(repo.props, "location"))) if get(repo.props, "location") else "[a-z0-9-]+"
            project = get(repo.props, "project")
            project_re = re.escape(str(project)) if project else _gcp_projects(ctx)
            pattern = rf"^{location}-docker\.pkg\.dev/{project_re}/{re.escape(repo_id)}/"
            out.append((f"Artifact Registry {repo_id}", re.compile(pattern)))
        for target in ctx.settings.targets:
            registry = str(target.get("registry") or "")
            if registry and not is_public_registry(registry):
                out.append((f"{target.get('name')} registry {registry}", re.compile(rf"^{re.escape(registry)}[@:/]")))
        return out

    return ctx.memo("supply:own-registries", build)


def own_registry_hosts(ctx: PlanContext) -> list[re.Pattern[str]]:
    """Registries (not single repositories) the stack owns, for mirrored add-on artefacts: ECR of
    the stack's account in each AWS target's region, Artifact Registry of each GCP target's
    project and region, the on-prem registries' hosts, and the repositories of :func:`own_registries`."""
    hosts = [pattern for _, pattern in own_registries(ctx)]
    accounts = sorted(stack_aws_accounts(ctx))
    for target in ctx.settings.targets:
        kind, region = target.get("kind"), str(target.get("region") or "")
        if kind == "aws" and accounts and region:
            account = "(" + "|".join(accounts) + ")"
            hosts.append(re.compile(rf"^{account}\.dkr\.ecr\.{re.escape(region)}\.amazonaws\.com/"))
        if kind == "gcp" and target.get("project") and region:
            hosts.append(re.compile(rf"^{re.escape(region)}-docker\.pkg\.dev/{re.escape(str(target['project']))}/"))
    for target in ctx.settings.targets:
        registry = str(target.get("registry") or "")
        if registry and not is_public_registry(registry):
            hosts.append(re.compile(rf"^{re.escape(registry_host(registry))}/"))
    return hosts


def _gcp_projects(ctx: PlanContext) -> str:
    projects = sorted({str(t["project"]) for t in ctx.settings.targets if t.get("kind") == "gcp" and t.get("project")})
    return "(" + "|".join(re.escape(p) for p in projects) + ")" if projects else "[a-z0-9-]+"


def value_images(values: Any, path: str = "values") -> Iterator[tuple[str, str]]:
    """(path, image reference) of every image set in Helm values."""
    if is_map(values):
        for key, value in values.items():
            where = f"{path}.{key}"
            name = str(key)
            if name.lower().endswith("image") and isinstance(value, str) and ("/" in value or ":" in value):
                yield where, value
            elif name.lower().endswith("image") and is_map(value) and get(value, "repository"):
                yield where, _compose(value)
            else:
                yield from value_images(value, where)
    elif is_list(values):
        for index, item in enumerate(as_list(values)):
            yield from value_images(item, f"{path}[{index}]")


def _compose(spec: Any) -> str:
    registry = str(get(spec, "registry") or "")
    reference = str(get(spec, "repository"))
    if registry:
        reference = f"{registry.rstrip('/')}/{reference}"
    if get(spec, "tag"):
        reference += f":{get(spec, 'tag')}"
    digest = str(get(spec, "digest") or "")
    if digest:
        reference += digest if digest.startswith("@") else f"@{digest}"
    return reference


def wasm_images(resource: Resource) -> Iterator[tuple[str, str]]:
    """(path, image) of every WASM filter an EnvoyExtensionPolicy loads from an OCI image."""
    for index, wasm in enumerate(as_list(get(resource.props, "spec.wasm"))):
        url = get(wasm, "code.image.url")
        if url:
            yield f"spec.wasm[{index}].code.image.url", str(url).removeprefix("oci://")
        remote = get(wasm, "code.http.url")
        if remote:  # a module downloaded over HTTP(S): judged by its host, like an image
            yield f"spec.wasm[{index}].code.http.url", re.sub(r"^[a-z]+://", "", str(remote))
