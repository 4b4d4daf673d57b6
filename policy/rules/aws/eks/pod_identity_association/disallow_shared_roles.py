"""IAM-07: each Pod Identity role serves one service account, and model namespaces get no controller roles."""

import re

from policy.props import get
from policy.rules._helpers import refers_to, resource_names
from policy.rules._network import model_server_pods
from policy.rules._policy_documents import IDENTITY_POLICIES, documents
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


def _role_name(arn: str) -> str:
    return re.sub(r"^.*:role/(?:.*/)?", "", arn)


def _controller_actions(ctx, role_arn: str) -> list[str]:
    name = _role_name(role_arn)
    roles = [r for r in ctx.of_type("aws:iam/role:Role") if name in resource_names(r, "name")]
    names = set().union(*(resource_names(r, "name") for r in roles)) if roles else {name}
    found: list[str] = []
    carriers = [p for p in ctx.of_type(*IDENTITY_POLICIES) if refers_to(get(p.props, "role"), names)] + roles
    for carrier in carriers:
        for _, statements in documents(carrier, IDENTITY_POLICIES):
            for st in statements:
                found += [a for a in CONTROLLER_ACTIONS if st.grants(a) and a not in found]
    return found


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
    here = (str(get(props, "clusterName")), str(get(props, "namespace")), str(get(props, "serviceAccount")))
    for other in ctx.of_type(POD_IDENTITY):
        if other is resource or str(get(other.props, "roleArn") or "") != role:
            continue
        there = (
            str(get(other.props, "clusterName")),
            str(get(other.props, "namespace")),
            str(get(other.props, "serviceAccount")),
        )
        if there != here:
            yield f"role {_role_name(role)!r} is also bound to {there[1]}/{there[2]}; expected one role per service account"
    model_namespaces = {ns for _, ns, _ in model_server_pods(ctx)}
    if here[1] in model_namespaces:
        actions = _controller_actions(ctx, role)
        if actions:
            yield (
                f"{here[1]}/{here[2]} (a model namespace) gets role {_role_name(role)!r}, which may {actions[:3]}; "
                "expected a role that only reads its weights"
            )
