"""K8S-17: no ClusterRole that reads Secrets is bound cluster-wide."""

from policy.props import as_list, get
from policy.rules._rbac import CLUSTER_ROLE, CLUSTER_ROLE_BINDING, reads_secrets, role_of, rules_of, subject_label
from policy.rules.base import Violation, stack_rule


@stack_rule(
    id="K8S-17",
    title="No ClusterRole that reads Secrets is bound cluster-wide",
    severity="high",
    category="security",
    types=(CLUSTER_ROLE, CLUSTER_ROLE_BINDING),
    remediation="Grant get on the named Secrets (resourceNames) with a Role and RoleBinding in the namespace that "
    "holds them; never get/list/watch on secrets through a ClusterRoleBinding.",
    references=("CIS Kubernetes 1.8 5.1.2",),
    doc="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets",
)
def disallow_cluster_wide_secret_read(ctx):
    for binding in ctx.of_type(CLUSTER_ROLE_BINDING):
        if get(binding.props, "roleRef.kind") != "ClusterRole":
            continue
        role = role_of(ctx, binding)
        if not any(reads_secrets(r) for r in rules_of(role)):
            continue
        who = ", ".join(subject_label(s) for s in as_list(get(binding.props, "subjects"))) or "no subjects"
        yield Violation(
            f"binds ClusterRole {get(binding.props, 'roleRef.name')!r}, which reads Secrets, cluster-wide to {who}; "
            "expected a namespaced Role with resourceNames",
            binding.urn,
        )
