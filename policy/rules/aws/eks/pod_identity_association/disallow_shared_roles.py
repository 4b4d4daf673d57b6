"""IAM-07: each Pod Identity role serves one service account, and model namespaces get no controller roles."""

from policy.props import get
from policy.rules._network import model_server_pods
from policy.rules._policy_documents import role_grants
from policy.rules._policy_documents import role_name as _role_name
from policy.rules.base import resource_rule

POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
CONTROLLER_ACTIONS = (
    "iam:PassRole",
    "iam:CreateRole",
    "ec2:RunInstances",
    "ec2:CreateFleet",
    "ec2:TerminateInstances",
    "ec2:AuthorizeSecurityGroupIngress",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:ModifyListener",
    "eks:UpdateClusterConfig",
    "eks:CreateAccessEntry",
)
"""Actions that control the cluster's capacity, network or identities (Karpenter, the LB controller)."""


def _controller_actions(ctx, role_arn: str) -> list[str]:
    return role_grants(ctx, role_arn, CONTROLLER_ACTIONS)


def _bindings(ctx) -> dict[str, set[tuple[str, str, str]]]:
    """roleArn -> every (cluster, namespace, service account) it is bound to."""

    def build() -> dict[str, set[tuple[str, str, str]]]:
        out: dict[str, set[tuple[str, str, str]]] = {}
        for a in ctx.of_type(POD_IDENTITY):
            out.setdefault(str(get(a.props, "roleArn") or ""), set()).add(_binding(a))
        return out

    return ctx.memo("iam:pod-identity-bindings", build)


def _binding(association) -> tuple[str, str, str]:
    props = association.props
    return (str(get(props, "clusterName")), str(get(props, "namespace")), str(get(props, "serviceAccount")))


@resource_rule(
    id="IAM-07",
    title="Each Pod Identity role serves one service account, and model namespaces get no controller roles",
    severity="high",
    category="security",
    types=(POD_IDENTITY,),
    remediation="Give every service account its own role (Karpenter's, the load balancer controller's and each model "
    "server's and stager's): a model server that holds a controller role can launch instances or rewire the edge.",
    references=("CIS EKS 1.7 5.1.5", "custom"),
    doc="https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html",
)
def disallow_shared_roles(resource, ctx):
    props = resource.props
    role = str(get(props, "roleArn") or "")
    if not role:
        return
    here = _binding(resource)
    for there in sorted(_bindings(ctx).get(role, set()) - {here}):
        yield f"role {_role_name(role)!r} is also bound to {there[1]}/{there[2]}; expected one role per service account"
    model_namespaces = {ns for _, ns, _ in model_server_pods(ctx)}
    if here[1] in model_namespaces:
        actions = _controller_actions(ctx, role)
        if actions:
            yield (
                f"{here[1]}/{here[2]} (a model namespace) gets role {_role_name(role)!r}, which may {actions[:3]}; "
                "expected a role that only reads its weights"
            )
