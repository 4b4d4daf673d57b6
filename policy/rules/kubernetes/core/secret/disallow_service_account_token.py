"""K8S-21: no long-lived service-account token Secrets."""

from policy.props import get
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-21",
    title="No long-lived service-account token Secrets",
    severity="high",
    category="security",
    types=("kubernetes:core/v1:Secret",),
    remediation="Drop the Secret of type kubernetes.io/service-account-token: pods get short-lived projected tokens "
    "(and the model servers none at all).",
    references=("CIS Kubernetes 1.8 5.1.6",),
    doc="https://kubernetes.io/docs/concepts/security/service-accounts/#get-a-token",
)
def disallow_service_account_token(resource, ctx):
    if get(resource.props, "type") == "kubernetes.io/service-account-token":
        account = get(resource.props, ("metadata", "annotations", "kubernetes.io/service-account.name"))
        yield f"type is 'kubernetes.io/service-account-token' (a token for {account or '?'} that never expires); expected none"
