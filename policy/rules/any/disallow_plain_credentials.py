"""SUPPLY-06: no resource carries a credential in its properties outside a secret store."""

from policy.rules._credentials import credential_shape, may_hold_credentials, walk_keyed_strings
from policy.rules.base import resource_rule

SECRET_STORES = (
    "kubernetes:core/v1:Secret",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "gcp:secretmanager/secretVersion:SecretVersion",
)
"""Where credentials belong (their values are Pulumi secrets, redacted in the Plan)."""
CHECKED_ELSEWHERE = ("kubernetes:core/v1:ConfigMap", "kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
"""SUPPLY-03 reads every value of these, by key as well as by shape."""


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
    if resource.type in SECRET_STORES or resource.type in CHECKED_ELSEWHERE:
        return
    if not may_hold_credentials(resource.props):
        return
    for path, _, value in walk_keyed_strings(resource.props):
        reason = credential_shape(value)
        if reason:
            yield f"{path} {reason}; expected a secret store reference"
