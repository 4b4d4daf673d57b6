"""SUPPLY-07: Helm charts come from repositories over HTTPS or OCI, never plain HTTP."""

from policy.props import get
from policy.rules.base import resource_rule


@resource_rule(
    id="SUPPLY-07",
    title="Helm charts come from repositories over HTTPS or OCI, never plain HTTP",
    severity="high",
    category="security",
    types=("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"),
    remediation="Use the chart's https:// repository or its oci:// reference (infra/versions.py pins each chart).",
    references=("custom",),
    doc="https://helm.sh/docs/topics/provenance/",
)
def disallow_plain_http_repository(resource, ctx):
    for path in ("repositoryOpts.repo", "chart"):
        value = str(get(resource.props, path) or "")
        if value.lower().startswith("http://"):
            yield f"{path} is {value!r} (plain HTTP: anyone on the path can swap the chart); expected https:// or oci://"
