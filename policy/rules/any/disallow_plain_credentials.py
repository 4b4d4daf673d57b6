"""SUPPLY-06: no resource carries a credential in its properties outside a secret store."""

from policy.rules._credentials import (
    credential_shape,
    literal_under_credential_key,
    may_hold_credentials,
    walk_keyed_strings,
)
from policy.rules.base import resource_rule

SECRET_STORES = (
    "kubernetes:core/v1:Secret",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "gcp:secretmanager/secretVersion:SecretVersion",
)
"""Where credentials belong (their values are Pulumi secrets, redacted in the Plan)."""
CHECKED_ELSEWHERE = {
    "kubernetes:core/v1:ConfigMap": ("data", "binaryData"),
    "kubernetes:helm.sh/v3:Release": ("values",),
    "kubernetes:helm.sh/v4:Chart": ("values",),
}
"""Subtrees SUPPLY-03 reads, by key as well as by shape (the rest of these resources is read here)."""
SECRET_INPUTS = {"docker-build:index:Image": ("registries",)}
"""Inputs that are Pulumi secrets by design (redacted offline, plain text under CrossGuard)."""
ENCODED_KEYS = ("userdata", "base64", "customdata")
"""Props that hold base64 (EC2 user data): decoded before they are read."""


@resource_rule(
    id="SUPPLY-06",
    title="No resource carries a credential in its properties outside a secret store",
    severity="critical",
    category="security",
    types=("*",),
    remediation="Put the credential in a secret store (a Kubernetes Secret filled from AWS Secrets Manager / GCP "
    "Secret Manager, or a Pulumi secret) and reference it; drop user:password@ from URLs (use the client's "
    "credential settings).",
    references=("custom",),
)
def disallow_plain_credentials(resource, ctx):
    if resource.type in SECRET_STORES:
        return
    skip = CHECKED_ELSEWHERE.get(resource.type, ()) + SECRET_INPUTS.get(resource.type, ())
    props = {k: resource.props[k] for k in resource.props if k not in skip} if skip else resource.props
    if not may_hold_credentials(props, by_key=True) and not _encoded(props):
        return
    for path, key, value in walk_keyed_strings(props):
        reason = credential_shape(value)
        if not reason and literal_under_credential_key(key, value):
            reason = "holds a literal under a credential key"
        if not reason and any(word in key.lower() for word in ENCODED_KEYS):
            reason = credential_shape(_decode(value))
            reason = reason and f"{reason} (base64-encoded)"
        if reason:
            yield f"{path} {reason}; expected a secret store reference"


def _encoded(props) -> bool:
    return any(word in str(key).lower() for key in props for word in ENCODED_KEYS)


def _decode(value: str) -> str:
    import base64
    import binascii

    try:
        return base64.b64decode(value.strip(), validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""
