"""SUPPLY-03: ConfigMaps and Helm values hold no credentials."""

from policy.props import get
from policy.rules._helpers import looks_secret, secret_by_name, walk_strings
from policy.rules.base import resource_rule


@resource_rule(
    id="SUPPLY-03",
    title="ConfigMaps and Helm values hold no credentials",
    severity="critical",
    category="security",
    types=("kubernetes:core/v1:ConfigMap", "kubernetes:helm.sh/v3:Release"),
    remediation="Move the value into a Secret (filled from the cloud secret store or a Pulumi secret) and reference it.",
    references=("custom",),
)
def disallow_plain_secrets(resource, ctx):
    if resource.type == "kubernetes:core/v1:ConfigMap":
        for key, value in (get(resource.props, "data") or {}).items():
            if looks_secret(value) or secret_by_name(str(key), value):
                yield f"data.{key} holds a credential; expected a Secret"
        return
    # Helm values may legitimately carry Pulumi secrets (redacted offline, decrypted under CrossGuard),
    # so only values that look like credentials count here.
    for path, value in walk_strings(get(resource.props, "values") or {}, "values"):
        if looks_secret(value):
            yield f"{path} holds a credential; expected a Secret reference"
