"""SUPPLY-07: Helm charts come from a reviewed publisher over HTTPS or OCI, at a pinned version."""

import functools
import re

import yaml

from policy.props import get
from policy.rules._credentials import redacted
from policy.rules._images import registry_host
from policy.rules.base import resource_rule

EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


@functools.cache
def trusted_sources() -> tuple[str, ...]:
    from policy.coverage import CATALOG

    with open(CATALOG / "chart_sources.yaml", encoding="utf-8") as f:
        return tuple(str(s["prefix"]) for s in yaml.safe_load(f)["sources"])


def _own_hosts(ctx) -> set[str]:
    """Registries of the stack itself: on-prem registry hosts, its ECR and Artifact Registry hosts."""
    hosts = {registry_host(str(t["registry"])) for t in ctx.settings.targets if t.get("registry")}
    hosts |= {f"{t.get('region')}-docker.pkg.dev" for t in ctx.settings.targets if t.get("kind") == "gcp"}
    return hosts


def _source(resource) -> str | None:
    """Where the chart is fetched from: the repository URL, or an oci:// / https:// chart reference."""
    chart = str(get(resource.props, "chart") or "")
    if "://" in chart:
        return chart
    repo = get(resource.props, "repositoryOpts.repo")
    return str(repo) if repo else None


@resource_rule(
    id="SUPPLY-07",
    title="Helm charts come from a reviewed publisher over HTTPS or OCI, at a pinned version",
    severity="high",
    category="security",
    types=("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"),
    remediation="Use the chart's https:// repository or oci:// reference listed in policy/catalog/chart_sources.yaml "
    "(or a copy in the stack's own registry) with an exact version (infra/versions.py pins each chart).",
    references=("custom",),
    doc="https://helm.sh/docs/topics/provenance/",
)
def enforce_trusted_chart_source(resource, ctx):
    source = _source(resource)
    if source is None:
        yield "the chart names no repository (a local path or whatever repo the runner has); expected a reviewed one"
    elif source.lower().startswith("http://"):
        yield f"the chart comes from {redacted(source)!r} over plain HTTP (anyone on the path can swap it); expected https:// or oci://"
    elif not source.startswith(trusted_sources()) and registry_host(source.split("://", 1)[-1]) not in _own_hosts(ctx):
        yield f"the chart comes from {redacted(source)!r}, not a reviewed publisher; expected one of policy/catalog/chart_sources.yaml"
    version = str(get(resource.props, "version") or "")
    if not EXACT_VERSION.match(version):
        yield f"version is {version or 'not set'!r}; expected an exact chart version"
