"""Kubernetes RBAC as rules read it: bindings, the roles they grant, what a role allows."""

from __future__ import annotations

from policy.context import PlanContext, Resource
from policy.props import as_list, get

RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"
CLUSTER_ROLE, ROLE = RBAC + "ClusterRole", RBAC + "Role"
CLUSTER_ROLE_BINDING, ROLE_BINDING = RBAC + "ClusterRoleBinding", RBAC + "RoleBinding"


def role_of(ctx: PlanContext, binding: Resource) -> Resource | None:
    """The Role or ClusterRole in the Plan that a binding's roleRef names (same cluster)."""
    kind = get(binding.props, "roleRef.kind")
    name = get(binding.props, "roleRef.name")
    namespace = get(binding.props, "metadata.namespace")
    candidates = ctx.of_type(CLUSTER_ROLE if kind == "ClusterRole" else ROLE)
    for role in candidates:
        if ctx.cluster_key(role) != ctx.cluster_key(binding) or get(role.props, "metadata.name") != name:
            continue
        if kind == "Role" and get(role.props, "metadata.namespace") != namespace:
            continue
        return role
    return None


def rules_of(role: Resource | None) -> list:
    return as_list(get(role.props, "rules")) if role is not None else []


ESCALATION_VERBS = {"bind", "escalate", "impersonate"}
WORKLOAD_RESOURCES = {
    "pods", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "replicationcontrollers",
}  # fmt: skip
"""Whoever creates these runs code as any ServiceAccount of the namespace, with any of its Secrets."""
EXEC_RESOURCES = {"pods/exec", "pods/attach", "pods/portforward", "nodes/proxy", "serviceaccounts/token"}


def dangerous(rule) -> str | None:
    """Why a rule gives a workload more than it should: every verb, privilege escalation
    (bind/escalate/impersonate), a shell in other pods, its own tokens minted, new workloads, or
    every Secret."""
    verbs = {str(v) for v in as_list(get(rule, "verbs"))}
    resources = {str(r) for r in as_list(get(rule, "resources"))}
    if "*" in verbs:
        return f"every verb ('*') on {sorted(resources)}"
    if verbs & ESCALATION_VERBS:
        return f"{sorted(verbs & ESCALATION_VERBS)} (privilege escalation)"
    if resources & EXEC_RESOURCES and verbs & {"create", "get"}:
        return f"{sorted(verbs & {'create', 'get'})} on {sorted(resources & EXEC_RESOURCES)}"
    if resources & WORKLOAD_RESOURCES and verbs & {"create", "update", "patch"}:
        return f"{sorted(verbs & {'create', 'update', 'patch'})} on {sorted(resources & WORKLOAD_RESOURCES)}"
    if reads_secrets(rule):
        return "reading every Secret it can list (no resourceNames)"
    return None


def reads_secrets(rule) -> bool:
    """get/list/watch on Secrets (list and watch ignore resourceNames; get does not)."""
    groups = as_list(get(rule, "apiGroups"))
    resources = as_list(get(rule, "resources"))
    verbs = {str(v) for v in as_list(get(rule, "verbs"))}
    if not ("" in groups or "*" in groups) or not ("secrets" in resources or "*" in resources):
        return False
    if verbs & {"*", "list", "watch"}:
        return True
    return "get" in verbs and not as_list(get(rule, "resourceNames"))


def subject_label(subject) -> str:
    kind, name = get(subject, "kind"), get(subject, "name")
    if kind == "ServiceAccount":
        return f"ServiceAccount {get(subject, 'namespace') or '?'}/{name}"
    return f"{kind} {name}"
